"""Where each VM's disks and memory land on failback: the per-datastore and per-host demand the capacity checks judge."""

from __future__ import annotations

from dataclasses import dataclass, field

from failback.checks.model import Experience
from failback.checks.site import Vm
from failback.checks.vcenter.inventory import FoundVm, Inventory


@dataclass
class DatastoreDemand:
    moref: str | None  # None: the site names a datastore vCenter does not have
    name: str
    vms: list[str] = field(default_factory=list)
    new_bytes: int = 0  # disks that do not already live here: alternate location or a moved datastore
    unknown_sizes: list[str] = field(default_factory=list)  # VMs whose disk sizes vCenter cannot tell
    hosts_needing_access: set[str] = field(default_factory=set)  # host morefs


def _data_mover(inventory: Inventory, vm: Vm) -> FoundVm | None:
    """The VM that writes the VM's disks: its master target (classic) or the replication appliance (modernized)."""
    site = inventory.site
    if site.experience is Experience.CLASSIC:
        master_target = site.master_target_for(vm)
        return inventory.master_target_vm(master_target) if master_target else None
    name = site.config_server.vm_name if site.config_server else None
    return inventory.vm(name) if name else None


def _data_mover_host(inventory: Inventory, vm: Vm) -> str | None:
    """The host that writes the VM's disks: the master target's (classic) or the appliance's (modernized)."""
    found = _data_mover(inventory, vm)
    return found.host if found else None


def failback_hosts(inventory: Inventory) -> dict[str, list[str]]:
    """Every host the failback uses (by moref), with what it does for it: the VMs come back to it, it runs the master
    target or appliance that writes their disks, or the site file lists it among the target hosts."""
    roles: dict[str, list[str]] = {}

    def add(moref: str | None, role: str) -> None:
        if moref is not None and role not in roles.setdefault(moref, []):
            roles[moref].append(role)

    mover_kind = "master target" if inventory.site.experience is Experience.CLASSIC else "appliance"
    for vm in inventory.site.vms:
        add(inventory.target_host(vm), f"{vm.name} comes back to it")
        if (mover := _data_mover(inventory, vm)) is not None:
            add(mover.host, f"it runs {mover_kind} {mover.name}")
    for name in inventory.site.vcenter.target_hosts:
        add(inventory.host_moref(name), "the site file lists it in target_hosts")
    return roles


def datastore_demand(inventory: Inventory) -> dict[str, DatastoreDemand]:
    """Per target datastore name: which VMs come back to it, what new space they need, which hosts must mount it."""
    demand: dict[str, DatastoreDemand] = {}
    for vm in inventory.site.vms:
        found = inventory.vm(vm.name)
        disks = found.detail.get("disks", []) if found else []
        names = [vm.datastore] if vm.datastore else sorted({inventory.datastore_name(d["datastore"]) for d in disks} - {None})
        hosts = {h for h in (inventory.target_host(vm), _data_mover_host(inventory, vm)) if h}
        for name in names:
            entry = demand.setdefault(name, DatastoreDemand(inventory.datastore_moref(name), name))
            entry.vms.append(vm.name)
            entry.hosts_needing_access |= hosts
            if found is None:
                entry.unknown_sizes.append(vm.name)
                continue
            already_here = vm.recovery_location == "original"
            entry.new_bytes += sum(
                d["capacity_bytes"] for d in disks if not (already_here and inventory.datastore_name(d["datastore"]) == name)
            )
    return demand


@dataclass
class HostDemand:
    moref: str
    vms: list[str] = field(default_factory=list)
    memory_mb: int = 0
    unknown: list[str] = field(default_factory=list)


def host_demand(inventory: Inventory) -> dict[str, HostDemand]:
    """Per target host: memory of the VMs that will power on there and do not consume it today.

    A VM needs its configured memory, not its reservation: a reservation only decides whether it may power on, and one
    that fits only by ballooning and swapping is back but unusable. They ran in Azure with all of it backed."""
    demand: dict[str, HostDemand] = {}
    for vm in inventory.site.vms:
        moref = inventory.target_host(vm)
        if moref is None:
            continue
        entry = demand.setdefault(moref, HostDemand(moref))
        found = inventory.vm(vm.name)
        if found is not None and found.power_state == "poweredOn" and found.host == moref:
            continue  # already running there: its memory is in today's usage
        memory = found.detail.get("memory_mb") if found else None
        entry.vms.append(vm.name)
        if memory is None:
            entry.unknown.append(vm.name)
        else:
            entry.memory_mb += memory
    return demand
