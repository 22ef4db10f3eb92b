"""Where the VMs land: datastore access, type and free space, and host memory to power them on."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import GIB, Inventory
from failback.checks.vcenter.placement import datastore_demand, host_demand

SUPPORTED_DATASTORE_TYPES = {"VMFS", "VSAN"}

ACCESS = CheckMeta(
    id="datastore.access",
    title="The target datastore is mounted read-write and accessible on the hosts that write and run the VMs",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="ASR error 8061: the master target's or appliance's host must reach the datastore to write the failback disks.",
    remediation="mount-datastore",
)
TYPE = CheckMeta(
    id="datastore.type",
    title="The target datastore is VMFS or vSAN",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="ASR offers only VMFS and vSAN datastores as failback targets; NFS ones are not listed.",
    remediation="use-vmfs-datastore",
)
FREE_SPACE = CheckMeta(
    id="datastore.free_space",
    title="Free space on each target datastore covers the disks coming back",
    severity=Severity.HIGH,
    gates=(Gate.FAILOVER,),
    experiences=BOTH,
    sources=("vcenter",),
    why="A datastore that fills during failover stops the VMs and the failback with them.",
    remediation="free-datastore-space",
)
MEMORY = CheckMeta(
    id="host.memory",
    title="Each target host has the memory to power on the VMs coming back to it",
    severity=Severity.HIGH,
    gates=(Gate.FAILOVER,),
    experiences=BOTH,
    sources=("vcenter",),
    why="ASR error 8038: failover completes but the VM cannot power on for lack of host memory.",
    remediation="free-host-memory",
)


def _missing_datastore(meta: CheckMeta, name: str, vms: list[str], datacenter: str) -> Result:
    return Result(meta.id, f"datastore:{name}", Status.FAIL, f"no datastore named {name} in datacenter {datacenter} (target of {', '.join(vms)})", {"vms": vms})


@register(ACCESS)
def datastore_access(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for name, demand in sorted(datastore_demand(facts).items()):
        if demand.moref is None:
            yield _missing_datastore(ACCESS, name, demand.vms, inventory.facts["datacenter"])
            continue
        datastore = inventory.datastore(demand.moref)
        without = []
        for host in sorted(demand.hosts_needing_access):
            mount = datastore["mounts"].get(host)
            if mount is None or not mount["mounted"] or not mount["accessible"] or mount["access_mode"] != "readWrite":
                state = "not mounted" if mount is None or not mount["mounted"] else ("inaccessible" if not mount["accessible"] else mount["access_mode"])
                without.append(f"{inventory.host_name(host)} ({state})")
        evidence = {"hosts_without_access": without, "vms": demand.vms, "accessible": datastore["accessible"],
                    "hosts_checked": sorted(inventory.host_name(h) or h for h in demand.hosts_needing_access)}
        if not datastore["accessible"]:
            yield Result(ACCESS.id, f"datastore:{name}", Status.FAIL, f"{name} is inaccessible in vCenter", {**evidence, "hosts_without_access": ["all"]})
        elif without:
            yield Result(ACCESS.id, f"datastore:{name}", Status.FAIL, f"{name} is not mounted read-write on {', '.join(without)}", evidence)
        elif not demand.hosts_needing_access:
            yield Result(ACCESS.id, f"datastore:{name}", Status.WARN, f"{name}: no host that writes or runs {', '.join(demand.vms)} is known to vCenter", evidence)
        else:
            yield Result(ACCESS.id, f"datastore:{name}", Status.PASS, f"{name} is mounted read-write on {', '.join(evidence['hosts_checked'])}", evidence)


@register(TYPE)
def datastore_type(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for name, demand in sorted(datastore_demand(facts).items()):
        if demand.moref is None:
            yield _missing_datastore(TYPE, name, demand.vms, inventory.facts["datacenter"])
            continue
        kind = inventory.datastore(demand.moref)["type"] or "unknown"
        evidence = {"type": kind, "vms": demand.vms}
        if kind.upper() in SUPPORTED_DATASTORE_TYPES:
            yield Result(TYPE.id, f"datastore:{name}", Status.PASS, f"{name} is {kind}", evidence)
        else:
            yield Result(TYPE.id, f"datastore:{name}", Status.FAIL, f"{name} is {kind}; ASR fails back only to VMFS or vSAN", evidence)


def _gb(value: float) -> float:
    return round(value / GIB, 1)


@register(FREE_SPACE)
def datastore_free_space(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    headroom = facts.site.policy.datastore_headroom_percent
    for name, demand in sorted(datastore_demand(facts).items()):
        if demand.moref is None:
            yield _missing_datastore(FREE_SPACE, name, demand.vms, inventory.facts["datacenter"])
            continue
        datastore = inventory.datastore(demand.moref)
        required = demand.new_bytes * (100 + headroom) / 100
        free = datastore["free_bytes"] or 0
        evidence = {
            "vms": demand.vms,
            "required_gb": _gb(required),
            "free_gb": _gb(free),
            "capacity_gb": _gb(datastore["capacity_bytes"] or 0),
            "headroom_percent": headroom,
            "shortfall_gb": _gb(max(0, required - free)),
        }
        if required > free:
            yield Result(FREE_SPACE.id, f"datastore:{name}", Status.FAIL, f"{name} has {evidence['free_gb']} GB free; {evidence['required_gb']} GB are needed", evidence)
        elif demand.unknown_sizes:
            evidence["unknown_sizes"] = demand.unknown_sizes
            yield Result(FREE_SPACE.id, f"datastore:{name}", Status.WARN, f"{name}: disk sizes of {', '.join(demand.unknown_sizes)} are unknown to vCenter; {evidence['free_gb']} GB free", evidence)
        else:
            yield Result(FREE_SPACE.id, f"datastore:{name}", Status.PASS, f"{name} has {evidence['free_gb']} GB free for {evidence['required_gb']} GB of new disks", evidence)


@register(MEMORY)
def host_memory(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for moref, demand in sorted(host_demand(inventory).items()):
        host = inventory.host(moref)
        total_mb = (host["memory_bytes"] or 0) // (1024 * 1024)
        available = total_mb - (host["memory_used_mb"] or 0)
        evidence = {
            "vms": demand.vms,
            "required_mb": demand.memory_mb,
            "available_mb": available,
            "total_mb": total_mb,
            "shortfall_mb": max(0, demand.memory_mb - available),
        }
        target = f"host:{host['name']}"
        if demand.memory_mb > available:
            yield Result(MEMORY.id, target, Status.FAIL, f"{host['name']} has {available} MB free; {', '.join(demand.vms)} need {demand.memory_mb} MB", evidence)
        elif demand.unknown:
            evidence["unknown"] = demand.unknown
            yield Result(MEMORY.id, target, Status.WARN, f"{host['name']}: memory of {', '.join(demand.unknown)} is unknown to vCenter", evidence)
        else:
            yield Result(MEMORY.id, target, Status.PASS, f"{host['name']} has {available} MB free for {demand.memory_mb} MB of VMs powering on", evidence)
