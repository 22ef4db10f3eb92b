"""The failback as a plan of steps, for classic and modernized sites, from the site file and what ASR reports.

Phase 1 reprotects the Azure VMs toward on-premises and waits for healthy replication; phase 2 fails over (classic:
unplanned; modernized: planned) and commits, then the manual steps no recovery plan can script; phase 3 reprotects the
on-prem VMs back to Azure. Each ASR step names the items it acts on. Step ids are stable: the journal refers to them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from failback.checks.model import Experience, Gate
from failback.remediations.guest_ip.config import manual_steps

# ASR's provider of an item failed over to Azure, by experience; after failback it is the reverse one.
FORWARD_PROVIDER = {Experience.CLASSIC: "InMageAzureV2", Experience.MODERNIZED: "InMageRcm"}
REVERSE_PROVIDER = {Experience.CLASSIC: "InMage", Experience.MODERNIZED: "InMageRcmFailback"}


class StepKind:
    GATE = "gate"
    REPROTECT = "reprotect"
    WAIT_PROTECTED = "wait-protected"
    FAILOVER = "failover"
    COMMIT = "commit"
    MANUAL = "manual"
    REPROTECT_BACK = "reprotect-back"
    CLEANUP = "cleanup"

    ASR = {REPROTECT, FAILOVER, COMMIT, REPROTECT_BACK}


@dataclass(frozen=True)
class Step:
    id: str
    kind: str
    title: str
    phase: int
    items: tuple[str, ...] = ()  # protected items' names (their friendlyName = the VM name)
    gate: str | None = None  # for gate steps
    instructions: tuple[str, ...] = ()  # for manual steps
    recovery_plan: str | None = None  # failover and commit of a whole plan
    optional: bool = False  # asked for, never done by default (the removal of the old Azure VMs)
    ip_record: dict[str, Any] | None = None  # static-IP steps: what vCenter recorded before failback, for the automated restore

    def describe(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value not in ((), None, False)}


@dataclass
class FailbackPlan:
    site: str
    experience: Experience
    recovery_point: str
    steps: list[Step] = field(default_factory=list)
    # What ASR held of each item's replication to Azure when the plan was made (by lower-case VM name): the reprotect
    # back to Azure reuses it, and the item's details no longer show it once it replicates back.
    asr_before: dict[str, dict[str, Any]] = field(default_factory=dict)

    def step(self, step_id: str) -> Step:
        return next(step for step in self.steps if step.id == step_id)

    def gate_before(self, step: Step) -> Step | None:
        """The gate whose checks vouch for a step: the last gate before it."""
        gates = [candidate for candidate in self.steps[:self.steps.index(step)] if candidate.kind == StepKind.GATE]
        return gates[-1] if gates else None

    def to_document(self) -> dict[str, Any]:
        return {"site": self.site, "experience": self.experience.value, "recovery_point": self.recovery_point,
                "steps": [step.describe() for step in self.steps], "asr_before": self.asr_before}

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> FailbackPlan:
        steps = [Step(**{key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()}) for raw in document["steps"]]
        return cls(document["site"], Experience(document["experience"]), document["recovery_point"], steps, document.get("asr_before", {}))


@dataclass(frozen=True)
class VmAfterFailback:
    """What the manual steps need to know of a VM: its static address to restore, whether it runs Linux."""

    name: str
    static_addresses: tuple[str, ...] = ()
    gateway: str | None = None
    dns: tuple[str, ...] = ()
    linux: bool = True
    ip_record: dict[str, Any] | None = None  # guest.ip_mode's record (with MACs and prefixes), when vCenter told it


def build_plan(site_name: str, experience: Experience, items: list[str], vms: list[VmAfterFailback],
               recovery_plan: str | None = None, recovery_point: str = "Latest") -> FailbackPlan:
    """The steps of a whole failback for these items (all of a recovery plan's items when one is named)."""
    items_t = tuple(items)
    plan = FailbackPlan(site_name, experience, recovery_point)
    add = plan.steps.append
    add(Step(f"gate:{Gate.REPROTECT.value}", StepKind.GATE, "Preflight: every reprotect check passes", 1, gate=Gate.REPROTECT.value))
    for item in items:
        add(Step(f"reprotect:{item}", StepKind.REPROTECT, f"Reprotect {item} toward on-premises", 1, (item,)))
    add(Step("wait-protected", StepKind.WAIT_PROTECTED, "Wait until replication to on-premises is healthy", 1, items_t))
    add(Step(f"gate:{Gate.FAILOVER.value}", StepKind.GATE, "Preflight: every failover check passes", 2, gate=Gate.FAILOVER.value))
    kind = "planned" if experience is Experience.MODERNIZED else "unplanned"
    if recovery_plan:
        add(Step(f"failover:plan:{recovery_plan}", StepKind.FAILOVER, f"Fail over recovery plan {recovery_plan} to on-premises ({kind})", 2, items_t, recovery_plan=recovery_plan))
        add(Step(f"commit:plan:{recovery_plan}", StepKind.COMMIT, f"Commit the failover of recovery plan {recovery_plan}", 2, items_t, recovery_plan=recovery_plan))
    else:
        for item in items:
            add(Step(f"failover:{item}", StepKind.FAILOVER, f"Fail over {item} to on-premises ({kind}, {recovery_point} recovery point)", 2, (item,)))
        for item in items:
            add(Step(f"commit:{item}", StepKind.COMMIT, f"Commit the failover of {item}", 2, (item,)))
    for vm in vms:
        if vm.static_addresses:
            add(Step(f"manual:static-ip:{vm.name}", StepKind.MANUAL, f"Restore the static IP of {vm.name}", 2, (vm.name,),
                     instructions=manual_steps(vm.name, vm.static_addresses, vm.gateway, vm.dns), ip_record=vm.ip_record))
        if vm.linux:
            add(Step(f"manual:network-manager:{vm.name}", StepKind.MANUAL, f"Reinstall NetworkManager on {vm.name}", 2, (vm.name,), instructions=(
                f"ASR removed NetworkManager from {vm.name} in Azure. On the VM: install it again (apt-get install network-manager, "
                "or yum install NetworkManager) and enable it (systemctl enable --now NetworkManager).",
            )))
    add(Step("manual:verify-application", StepKind.MANUAL, "Verify the application on-premises", 2, items_t, instructions=(
        "Log on to the application as its users do and run its smoke test; check its data is as recent as the recovery point.",
        "Only then go on: the next phase protects the on-prem VMs to Azure again.",
    )))
    add(Step(f"gate:{Gate.AFTER_FAILBACK.value}", StepKind.GATE, "Preflight: every after-failback check passes", 3, gate=Gate.AFTER_FAILBACK.value))
    for item in items:
        add(Step(f"reprotect-back:{item}", StepKind.REPROTECT_BACK, f"Reprotect {item} to Azure again", 3, (item,)))
    add(Step("cleanup:azure-vms", StepKind.CLEANUP, "Delete the old Azure VMs (optional, only once replication is healthy)", 3, items_t, optional=True, instructions=(
        "Once the on-prem VMs replicate to Azure in a healthy state, the Azure VMs that ran during the disaster are no longer needed.",
        "Delete them (and their disks and NICs) in the Azure portal; failback never does this for you.",
    )))
    return plan
