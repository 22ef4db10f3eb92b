"""The run's static-IP step done by the tool: the restore through VMware Tools, when the site names a guest account.

Without one (or without a record with MACs and prefixes, as when only ASR discovered the address) the step stays
manual. The plan previewed at the confirmation is exactly the one applied.
"""

from __future__ import annotations

from collections.abc import Callable

from failback.checks.site import Site
from failback.remediations.guest_ip.restore import RestoreError, RestorePlan, StaticIpRestore, guest_login
from failback.runner.orchestrator import StepAutomationError
from failback.runner.plan import Step

STEP_PREFIX = "manual:static-ip:"


class StaticIpAutomation:
    def __init__(self, site: Site, vcenter_password: Callable[[], str]):
        self.site = site
        self._vcenter_password = vcenter_password  # asked only when a step is automated
        self._plans: dict[str, RestorePlan] = {}

    def handles(self, step: Step) -> bool:
        vm = next((vm for vm in self.site.vms if step.items and vm.name == step.items[0]), None)
        return step.id.startswith(STEP_PREFIX) and bool(step.ip_record) and vm is not None and self.site.guest_account(vm) is not None

    def _restore(self, step: Step) -> StaticIpRestore:
        name = step.items[0]
        try:
            login = guest_login(self.site, name)
            if login is None:
                raise RestoreError(f"the site file names no guest account for {name}")
            return StaticIpRestore(self.site, self._vcenter_password(), name, step.ip_record or {}, login)
        except RestoreError as exc:
            raise StepAutomationError(exc.problem, step.instructions) from None

    def preview(self, step: Step) -> list[str]:
        restore = self._restore(step)
        try:
            self._plans[step.id] = restore.plan()
        except RestoreError as exc:
            raise StepAutomationError(exc.problem, restore.manual_steps()) from None
        return self._plans[step.id].describe()

    def apply(self, step: Step) -> str:
        restore = self._restore(step)
        try:
            plan = self._plans.pop(step.id, None) or restore.plan()
            return restore.apply(plan)
        except RestoreError as exc:
            raise StepAutomationError(exc.problem, restore.manual_steps()) from None
