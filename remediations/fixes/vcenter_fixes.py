"""Fixes applied through vCenter: delete a VM's snapshots, set disk.EnableUUID (only on a powered-off VM)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.site import Site
from failback.checks.sources.errors import SourceError
from failback.checks.sources.vcenter_session import vcenter_session, vms_named
from failback.checks.vcenter.inventory import Inventory
from failback.remediations.fixes.base import FixAction, FixError, subject_name


def _vm_by_name(si: Any, name: str) -> Any:
    matches = vms_named(si, name)
    if len(matches) != 1:
        raise FixError(f"expected one VM named {name}, found {len(matches)}: nothing changed")
    return matches[0]


def _wait(si: Any, task: Any, timeout: float, what: str) -> None:
    """Follow a vCenter task until it ends, reading its state through the collector."""
    from pyVmomi import vim

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = task.info
        if info.state == vim.TaskInfo.State.success:
            return
        if info.state == vim.TaskInfo.State.error:
            raise FixError(f"{what} failed in vCenter: {info.error.msg if info.error else 'no reason given'}")
        time.sleep(0.2)
    raise FixError(f"{what} still runs after {timeout:g} s; check the task in vCenter before trying again")


def _run_on_vm(site: Site, secrets: Mapping[str, Any], name: str, what: str, start_task) -> str:
    try:
        with vcenter_session(site.vcenter, secrets["vcenter"]) as session:
            vm = _vm_by_name(session.si, name)
            _wait(session.si, start_task(vm), site.vcenter.timeout_seconds * 30, what)
    except SourceError as exc:
        raise FixError(f"{what}: {exc.reason}") from None
    return f"{what}: done"


class RemoveSnapshots:
    """Delete every snapshot and consolidate: what reprotect needs, and what the operator confirms first."""

    check_ids = ("vm.snapshots", "mt.snapshots")
    source = "vcenter"

    def plan(self, result: Result, facts: Facts) -> FixAction:
        name = subject_name(result)
        snapshots = result.evidence.get("snapshots") or []
        if not snapshots:
            return FixAction(result.check, result.target, f"delete the snapshots of {name}", refused=f"{result.message}: not a snapshot problem")
        return FixAction(result.check, result.target,
                         f"delete all {len(snapshots)} snapshot(s) of VM {name} ({', '.join(snapshots)}) and consolidate its disks",
                         details=(("vm", name),))

    def apply(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> str:
        name = action.detail("vm")
        return _run_on_vm(site, secrets, name, f"deleting the snapshots of {name}", lambda vm: vm.RemoveAllSnapshots_Task(consolidate=True))


class EnableDiskUuid:
    """disk.EnableUUID = TRUE, refused on a running VM: the setting is read at power-on and a running VM is in use."""

    check_ids = ("vm.disk_enableuuid", "mt.disk_enableuuid")
    source = "vcenter"

    def plan(self, result: Result, facts: Facts) -> FixAction:
        name = subject_name(result)
        description = f"set disk.EnableUUID = TRUE in the advanced configuration of VM {name}"
        found = Inventory.of(facts).vm(name)
        if found is None:
            return FixAction(result.check, result.target, description, refused=f"no VM named {name} in vCenter")
        if found.power_state != "poweredOff":
            return FixAction(result.check, result.target, description,
                             refused=f"{name} is {found.power_state}: power it off first (the setting is read at power-on)")
        return FixAction(result.check, result.target, description, details=(("vm", name),))

    def apply(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> str:
        from pyVmomi import vim

        name = action.detail("vm")
        spec = vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key="disk.EnableUUID", value="TRUE")])
        return _run_on_vm(site, secrets, name, f"setting disk.EnableUUID on {name}", lambda vm: vm.ReconfigVM_Task(spec=spec))
