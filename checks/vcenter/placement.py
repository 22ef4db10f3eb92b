"""Where each VM's disks and memory land on failback: the per-datastore and per-host demand the capacity checks judge."""

from __future__ import annotations

from dataclasses import dataclass, field

from failback.checks.facts import Facts
from failback.checks.model import Experience
from failback.checks.site import Vm
from failback.checks.vcenter.inventory import GIB, FoundVm, Inventory


# Why a datastore's free space shrinks during a failback.
NEW_DISKS = "new disks"  # alternate location, or a datastore the site file moves the VM to: the whole disk is written
THIN_FILLED = "thin disks filled"  # the failback writes every block back into the VM's thin disks
REDO_LOGS = "reprotect redo logs"  # the snapshot a reprotect keeps while it replicates, beside each disk
SWAP_FILES = "swap files at power-on"  # configured memory minus reservation, created when the VM powers on
RETENTION = "master target retention"  # classic: the master target's thin disks fill with the failback change log
RESIZED_IN_AZURE = "disks resized in Azure"  # what a disk grew in Azure beyond its size on-premises


@dataclass(frozen=True)
class Growth:
    owner: str  # the VM (or master target) whose file grows
    reason: str  # one of the reasons above
    detail: str  # which disk or file, in the operator's words
    bytes: int


@dataclass
class DatastoreDemand:
    moref: str | None  # None: the site names a datastore vCenter does not have
    name: str
    vms: list[str] = field(default_factory=list)
    growth: list[Growth] = field(default_factory=list)
    unknown_sizes: list[str] = field(default_factory=list)  # VMs whose disk sizes vCenter cannot tell
    hosts_needing_access: set[str] = field(default_factory=set)  # host morefs

    @property
    def growth_bytes(self) -> int:
        return sum(growth.bytes for growth in self.growth)

    def by_reason(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for growth in self.growth:
            totals[growth.reason] = totals.get(growth.reason, 0) + growth.bytes
        return totals


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


def datastore_demand(facts: Facts) -> dict[str, DatastoreDemand]:
    """Per target datastore name: which VMs come back to it, what grows on it, which hosts must mount it. Worked out once
    per facts: three checks judge it."""
    return facts.derived(_datastore_demand)


def _datastore_demand(facts: Facts) -> dict[str, DatastoreDemand]:
    """The disks resized in Azure (checks/azure/resized_disks.py, when the Azure facts tell them: VM name -> {vCenter disk
    label -> bytes grown}) land where that disk comes back (a label vCenter does not know: where the VM's first disk
    comes back). A VM's disk list is read only when a selected check weighs disks (see the vCenter source); without it,
    the datastores a VM comes back to are the ones it uses today (its `datastore` property: disks and home)."""
    from failback.checks.azure.resized_disks import resized_in_azure

    inventory = Inventory.of(facts)
    resized = resized_in_azure(facts)
    site = inventory.site
    demand: dict[str, DatastoreDemand] = {}
    for vm in site.vms:
        found = inventory.vm(vm.name)
        detail = found.detail if found else {}
        disks = detail.get("disks", [])
        original = vm.recovery_location == "original"
        # Original location: the VM's own files come back where they are, its configuration and swap file included.
        home = {detail.get("files_datastore")} if original else set()
        used = {inventory.datastore_name(moref) for moref in detail.get("datastores", [])} if "disks" not in detail else set()
        names = [vm.datastore] if vm.datastore else sorted(({inventory.datastore_name(d["datastore"]) for d in disks} | home | used) - {None})
        hosts = {h for h in (inventory.target_host(vm), _data_mover_host(inventory, vm)) if h}
        for name in names:
            entry = demand.setdefault(name, DatastoreDemand(inventory.datastore_moref(name), name))
            entry.vms.append(vm.name)
            entry.hosts_needing_access |= hosts
            if found is None:
                entry.unknown_sizes.append(vm.name)
        if found is None or not names:
            continue
        landing = {d["label"]: vm.datastore or inventory.datastore_name(d["datastore"]) or names[0] for d in disks}
        for disk in disks:
            lands = landing[disk["label"]]
            in_place = original and lands == inventory.datastore_name(disk["datastore"])
            _disk_growth(demand[lands], vm, disk, in_place, site.policy.reprotect_redo_percent)
        swap = _swap_bytes(found, original)
        swap_home = vm.datastore or (detail.get("files_datastore") if original else None) or names[0]
        if swap and swap_home in demand:
            demand[swap_home].growth.append(Growth(vm.name, SWAP_FILES, f"{detail.get('memory_mb')} MB of memory", swap))
        first_disk_lands = landing[disks[0]["label"]] if disks else names[0]
        for label, grown in resized.get(vm.name, {}).items():
            if grown > 0:
                demand[landing.get(label, first_disk_lands)].growth.append(Growth(vm.name, RESIZED_IN_AZURE, label, grown))
    if site.experience is Experience.CLASSIC:
        _master_target_retention(inventory, demand)
    return demand


def _disk_growth(entry: DatastoreDemand, vm: Vm, disk: dict, in_place: bool, redo_percent: int) -> None:
    capacity = disk["capacity_bytes"] or 0
    if not in_place:
        entry.growth.append(Growth(vm.name, NEW_DISKS, disk["label"], capacity))
    elif disk.get("thin") and (unwritten := _unwritten(disk)):
        entry.growth.append(Growth(vm.name, THIN_FILLED, _thin_disk(disk), unwritten))
    if redo := capacity * redo_percent // 100:
        entry.growth.append(Growth(vm.name, REDO_LOGS, f"{disk['label']} ({redo_percent}% of {_gib(capacity)} GB)", redo))


def _unwritten(disk: dict) -> int:
    """What a thin disk can still grow: its capacity beyond what the datastore allocated (all of it when unknown)."""
    return max(0, (disk["capacity_bytes"] or 0) - (disk.get("allocated_bytes") or 0))


def _thin_disk(disk: dict) -> str:
    written = "unknown" if disk.get("allocated_bytes") is None else f"{_gib(disk['allocated_bytes'])}"
    return f"{disk['label']} ({written} of {_gib(disk['capacity_bytes'] or 0)} GB written)"


def _gib(value: int) -> float:
    return round(value / GIB, 1)


def _swap_bytes(found: FoundVm, original: bool) -> int:
    """The swap file vSphere creates when the VM powers on: a VM running in place already has it."""
    if original and found.power_state == "poweredOn":
        return 0
    memory = found.detail.get("memory_mb") or 0
    reserved = min(found.detail.get("memory_reservation_mb") or 0, memory)
    return (memory - reserved) * 1024 * 1024


def _master_target_retention(inventory: Inventory, demand: dict[str, DatastoreDemand]) -> None:
    """Classic: a master target's thin disks on a target datastore fill as it keeps the failback's change log
    (its retention volume among them)."""
    for master_target in inventory.site.master_targets:
        found = inventory.master_target_vm(master_target)
        for disk in found.detail.get("disks", []) if found else []:
            entry = demand.get(inventory.datastore_name(disk["datastore"]) or "")
            if entry is not None and disk.get("thin") and (unwritten := _unwritten(disk)):
                entry.growth.append(Growth(found.name, RETENTION, _thin_disk(disk), unwritten))


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
