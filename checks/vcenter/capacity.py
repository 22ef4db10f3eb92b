"""Where the VMs land: datastore access, type and free space, and host memory to power them on."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.host_state import HOST_STATE, unusable_because
from failback.checks.vcenter.inventory import GIB, Inventory
from failback.checks.vcenter.placement import Growth, datastore_demand, host_demand

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
    title="Free space on each target datastore covers what grows on it during the failback",
    severity=Severity.HIGH,
    gates=(Gate.FAILOVER,),
    experiences=BOTH,
    sources=("vcenter",),
    optional_sources=("azure",),  # the disks resized in Azure (checks/azure/resized_disks.py)
    why="A datastore that fills during failover stops the VMs and the failback with them. Even in the original location "
        "it grows: thin disks fill as the failback writes them back, reprotect keeps redo logs, VMs powering on create swap "
        "files, a classic master target's retention fills, disks resized in Azure come back larger.",
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


def _largest(growth: list[Growth], shown: int = 10) -> list[str]:
    """What grows, largest first: the first few that show in GB, then how much the rest come to."""
    ranked = sorted(growth, key=lambda g: g.bytes, reverse=True)
    lines = [f"{g.owner} {g.detail}: {_gb(g.bytes)} GB ({g.reason})" for g in ranked[:shown] if _gb(g.bytes) > 0]
    rest = ranked[len(lines):]
    if rest:
        lines.append(f"{len(rest)} smaller item(s): {_gb(sum(g.bytes for g in rest))} GB")
    return lines


@register(FREE_SPACE)
def datastore_free_space(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    headroom = facts.site.policy.datastore_headroom_percent
    for name, demand in sorted(datastore_demand(facts).items()):
        if demand.moref is None:
            yield _missing_datastore(FREE_SPACE, name, demand.vms, inventory.facts["datacenter"])
            continue
        datastore = inventory.datastore(demand.moref)
        required = demand.growth_bytes * (100 + headroom) / 100
        free = datastore["free_bytes"] or 0
        by_reason = {reason: _gb(size) for reason, size in demand.by_reason().items()}
        evidence = {
            "vms": demand.vms,
            "required_gb": _gb(required),
            "free_gb": _gb(free),
            "capacity_gb": _gb(datastore["capacity_bytes"] or 0),
            "headroom_percent": headroom,
            "shortfall_gb": _gb(max(0, required - free)),
            "growth_gb": by_reason,
            "growth": _largest(demand.growth),
            "growth_summary": ", ".join(f"{reason} {size} GB" for reason, size in by_reason.items() if size > 0) or "nothing of note grows",
        }
        if required > free:
            yield Result(FREE_SPACE.id, f"datastore:{name}", Status.FAIL,
                         f"{name} has {evidence['free_gb']} GB free; {evidence['required_gb']} GB are needed ({evidence['growth_summary']}, "
                         f"plus {headroom}% headroom)", evidence)
        elif demand.unknown_sizes:
            evidence["unknown_sizes"] = demand.unknown_sizes
            yield Result(FREE_SPACE.id, f"datastore:{name}", Status.WARN, f"{name}: disk sizes of {', '.join(demand.unknown_sizes)} are unknown to vCenter; {evidence['free_gb']} GB free", evidence)
        else:
            yield Result(FREE_SPACE.id, f"datastore:{name}", Status.PASS,
                         f"{name} has {evidence['free_gb']} GB free for {evidence['required_gb']} GB ({evidence['growth_summary']})", evidence)


@register(MEMORY)
def host_memory(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for moref, demand in sorted(host_demand(inventory).items()):
        host = inventory.host(moref)
        target = f"host:{host['name']}"
        problem = unusable_because(host)
        if problem:
            # host.state fails on it; its memory figures are what vCenter last heard, and no VM powers on there anyway.
            yield Result(MEMORY.id, target, Status.ERROR,
                         f"{host['name']} is {problem}: its memory cannot be judged until it is back (host.state fails on it)",
                         {"vms": demand.vms, "connection_state": host["connection_state"], "maintenance": host["maintenance"],
                          "problem": problem}, remediation_id=HOST_STATE.remediation)
            continue
        total_mb = (host["memory_bytes"] or 0) // (1024 * 1024)
        # overallMemoryUsage is the host memory consumed (what running VMs and the hypervisor hold, vSphere's "used"),
        # not the guests' active memory: what is left is the host's free memory as the vSphere Client shows it.
        available = total_mb - (host["memory_used_mb"] or 0)
        evidence = {
            "vms": demand.vms,
            "required_mb": demand.memory_mb,
            "available_mb": available,
            "total_mb": total_mb,
            "shortfall_mb": max(0, demand.memory_mb - available),
        }
        if demand.memory_mb > available:
            yield Result(MEMORY.id, target, Status.FAIL, f"{host['name']} has {available} MB free; {', '.join(demand.vms)} need {demand.memory_mb} MB", evidence)
        elif demand.unknown:
            evidence["unknown"] = demand.unknown
            yield Result(MEMORY.id, target, Status.WARN, f"{host['name']}: memory of {', '.join(demand.unknown)} is unknown to vCenter", evidence)
        else:
            yield Result(MEMORY.id, target, Status.PASS, f"{host['name']} has {available} MB free for {demand.memory_mb} MB of VMs powering on", evidence)
