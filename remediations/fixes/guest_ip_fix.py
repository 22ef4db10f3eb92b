"""guest.ip_mode's fix: set the static IP recorded before failback again inside the guest, through VMware Tools.

plan() decides from the facts alone; inspect() probes the guest read-only and adds what it has now and the exact
commands (the dry run shows them); apply() runs exactly those and verifies the address from vCenter's guest info.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.site import Site
from failback.remediations.fixes.base import FixAction, FixError, subject_name
from failback.remediations.guest_ip.config import RecordError, nics_manual_steps, record_from_evidence, static_nics
from failback.remediations.guest_ip.restore import RestoreError, StaticIpRestore, guest_login


class RestoreStaticIp:
    check_ids = ("guest.ip_mode",)
    source = "vcenter"

    def plan(self, result: Result, facts: Facts) -> FixAction:
        name = subject_name(result)
        evidence = result.evidence
        description = f"set {name}'s recorded static IP again inside the guest through VMware Tools guest operations"
        if evidence.get("told_by") != "record":
            why = (f"vCenter still shows {name}'s static {', '.join(evidence.get('addresses') or [])}: nothing to restore before failback"
                   if evidence.get("static") else result.message)
            return FixAction(result.check, result.target, description,
                             refused=f"{why}; after failback, give the report saved before it: --record BEFORE.json")
        record = record_from_evidence(evidence)
        try:
            nics = static_nics(record)
        except (RecordError, ValueError) as exc:
            return FixAction(result.check, result.target, description, refused=f"{exc}; set it by hand from the VM console")
        description = f"set {name}'s static {'; '.join(nic.describe() for nic in nics)} again inside the guest through VMware Tools"
        vm = next((vm for vm in facts.site.vms if vm.name == name), None)
        account = facts.site.guest_account(vm) if vm is not None else None
        if account is None:
            return FixAction(result.check, result.target, description, refused=(
                f"the site file names no guest account for {name} (guest_user and guest_password_env in its [[vms]] entry, "
                f"or [guest_operations] user and password_env); by hand: {' '.join(nics_manual_steps(name, nics))}"))
        return FixAction(result.check, result.target, f"{description} (as {account[0]})",
                         details=(("vm", name), ("record", record)))

    def _restore(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> StaticIpRestore:
        name = action.detail("vm")
        login = guest_login(site, name)
        if login is None:
            raise RestoreError(f"the site file names no guest account for {name}")
        return StaticIpRestore(site, secrets["vcenter"], name, action.detail("record"), login)

    def inspect(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> FixAction:
        """Probe the guest (read-only): the action then shows what the VM has now and exactly what will run."""
        try:
            plan = self._restore(action, site, secrets).plan()
        except RestoreError as exc:
            return replace(action, refused=str(exc))
        return replace(action, description="\n      ".join([action.description, *plan.describe()]), details=(*action.details, ("plan", plan)))

    def apply(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> str:
        try:
            restore = self._restore(action, site, secrets)
            plan = dict(action.details).get("plan") or restore.plan()
            return restore.apply(plan)
        except RestoreError as exc:
            raise FixError(str(exc)) from None
