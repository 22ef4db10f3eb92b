"""mt.template_clone: no master target shares a BIOS or instance UUID with a protected VM (one template, cloned twice)."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import MasterTarget
from failback.checks.vcenter.inventory import FoundVm, Inventory
from failback.checks.vcenter.subjects import Verdict, judge_master_targets

TEMPLATE_CLONE = CheckMeta(
    id="mt.template_clone",
    title="No master target shares a BIOS or instance UUID with a protected VM",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("vcenter",),
    why="ASR tells machines apart by their UUIDs: a master target cloned from the template (or a copy) of a protected VM "
        "looks like that VM, and reprotect through it fails.",
    remediation="master-target-own-identity",
)
# vSphere's two identities of a VM: the SMBIOS UUID the guest sees (config.uuid) and vCenter's own (config.instanceUuid).
IDENTITIES = {"bios_uuid": "BIOS UUID", "instance_uuid": "instance UUID"}


@register(TEMPLATE_CLONE)
def mt_template_clone(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    protected = [found for vm in facts.site.vms for found in inventory.vms_named(vm.name)]

    def own_identity(found: FoundVm, master_target: MasterTarget) -> Verdict:
        mine = {key: (found.detail.get(key) or "").lower() for key in IDENTITIES}
        evidence: dict = {key: found.detail.get(key) for key in IDENTITIES}
        if not any(mine.values()):
            return Status.ERROR, f"vCenter reported no BIOS or instance UUID for {found.name}", evidence
        shared = [f"{vm.name} ({label} {vm.detail.get(key)})" for vm in protected if vm.moref != found.moref
                  for key, label in IDENTITIES.items() if mine[key] and (vm.detail.get(key) or "").lower() == mine[key]]
        evidence.update(shared_with=shared, compared=len(protected))
        if shared:
            return Status.FAIL, f"{found.name} shares its identity with {', '.join(shared)}: cloned from one template", evidence
        return Status.PASS, f"{found.name} shares no BIOS or instance UUID with the {len(protected)} protected VM(s)", evidence

    return judge_master_targets(TEMPLATE_CLONE, facts, own_identity)
