"""Snapshots and disk.EnableUUID, on the VMs failed back onto (vm.*) and on classic master targets (mt.*)."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import FoundVm
from failback.checks.vcenter.subjects import Verdict, judge_master_targets, judge_site_vms


def no_snapshots(found: FoundVm, entry: object = None) -> Verdict:
    snapshots = found.detail.get("snapshots", [])
    if snapshots:
        return Status.FAIL, f"{found.name} has {len(snapshots)} snapshot(s): {', '.join(snapshots)}", {"snapshots": snapshots}
    return Status.PASS, f"{found.name} has no snapshots", {"snapshots": []}


def disk_uuid_enabled(found: FoundVm, entry: object = None) -> Verdict:
    extra = {key.lower(): value for key, value in found.detail.get("extra_config", {}).items()}
    value = extra.get("disk.enableuuid")
    evidence = {"disk.EnableUUID": value, "power_state": found.power_state}
    if value is not None and value.strip().lower() == "true":
        return Status.PASS, f"{found.name} has disk.EnableUUID = TRUE", evidence
    shown = "not set" if value is None else f"set to {value!r}"
    return Status.FAIL, f"{found.name}: disk.EnableUUID is {shown}; it must be TRUE", evidence


VM_SNAPSHOTS = CheckMeta(
    id="vm.snapshots",
    title="The on-prem VMs to fail back onto have no snapshots",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="Reprotect writes into the original VM's disks; with a snapshot present it fails hours into the job.",
    remediation="remove-snapshots",
)
MT_SNAPSHOTS = CheckMeta(
    id="mt.snapshots",
    title="The master target VM has no snapshots",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("vcenter",),
    why="ASR attaches the failback disks to the master target; a snapshot on it breaks the attach and the reprotect.",
    remediation="remove-snapshots",
)
VM_DISK_UUID = CheckMeta(
    id="vm.disk_enableuuid",
    title="Protected VMs have disk.EnableUUID = TRUE",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="Without stable disk UUIDs the guest cannot match the disks ASR writes back to the disks it replicated.",
    remediation="set-disk-enableuuid",
)
MT_DISK_UUID = CheckMeta(
    id="mt.disk_enableuuid",
    title="The master target has disk.EnableUUID = TRUE",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("vcenter",),
    why="The master target finds the disks it receives by UUID; without it reprotect cannot attach them.",
    remediation="set-disk-enableuuid",
)


@register(VM_SNAPSHOTS)
def vm_snapshots(facts: Facts) -> Iterator[Result]:
    return judge_site_vms(VM_SNAPSHOTS, facts, no_snapshots)


@register(MT_SNAPSHOTS)
def mt_snapshots(facts: Facts) -> Iterator[Result]:
    return judge_master_targets(MT_SNAPSHOTS, facts, no_snapshots)


@register(VM_DISK_UUID)
def vm_disk_enableuuid(facts: Facts) -> Iterator[Result]:
    return judge_site_vms(VM_DISK_UUID, facts, disk_uuid_enabled)


@register(MT_DISK_UUID)
def mt_disk_enableuuid(facts: Facts) -> Iterator[Result]:
    return judge_master_targets(MT_DISK_UUID, facts, disk_uuid_enabled)
