"""Where each VM's disks and memory land on failback: the per-datastore and per-host demand the capacity checks judge."""

from __future__ import annotations

from dataclasses import dataclass, field

from failback.checks.facts import Facts
from failback.checks.model import Experience
from failback.checks.site import Vm
from failback.checks.vcenter.inventory import Inventory


@dataclass
class DatastoreDemand:
    moref: str | None  # None: the site names a datastore vCenter does not have
    name: str
    vms: list[str] = field(default_factory=list)
    new_bytes: int = 0  # disks that do not already live here: alternate location or a moved datastore
    unknown_sizes: list[str] = field(default_factory=list)  # VMs whose disk sizes vCenter cannot tell
    hosts_needing_access: set[str] = field(default_factory=set)  # host morefs


def _data_mover_host(inventory: Inventory, vm: Vm) -> str | None:
    """The host that writes the VM's disks: the master target's (classic) or the appliance's (modernized)."""
    site = inventory.site
    if site.experience is Experience.CLASSIC:
        master_target = site.master_target_for(vm)
        found = inventory.master_target_vm(master_target) if master_target else None
    else:
        name = site.config_server.vm_name if site.config_server else None
        found = inventory.vm(name) if name else None
    return found.host if found else None


def datastore_demand(facts: Facts) -> dict[str, DatastoreDemand]:
    """Per target datastore name: which VMs come back to it, what new space they need, which hosts must mount it.
    Worked out once per facts: three checks judge it."""
    return facts.derived(_datastore_demand)


def _datastore_demand(facts: Facts) -> dict[str, DatastoreDemand]:
    inventory = Inventory.of(facts)
    demand: dict[str, DatastoreDemand] = {}
    for vm in inventory.site.vms:
        found = inventory.vm(vm.name)
        # Disks are read only for the VMs that need new space (see the vCenter source): coming back elsewhere.
        disks = found.detail.get("disks", []) if found else []
        here = found.detail.get("datastores", []) if found else []
        names = [vm.datastore] if vm.datastore else sorted({inventory.datastore_name(moref) for moref in here} - {None})
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
    """Per target host: memory of the VMs that will power on there and do not consume it today."""
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
