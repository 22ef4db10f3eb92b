"""Running one VM-level judgement over the site's VMs or its master targets, with the not-found and skip cases once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import CheckMeta, Result, Status
from failback.checks.vcenter.inventory import FoundVm, Inventory

Verdict = tuple[Status, str, dict[str, Any]]
# Judges get the VM as vCenter sees it and the site file's entry for it (a Vm or a MasterTarget).
Judge = Callable[[FoundVm, Any], Verdict]


def judge_site_vms(meta: CheckMeta, facts: Facts, judge: Judge) -> Iterator[Result]:
    """The original on-prem VMs the site fails back onto; an alternate-location VM gets a new VM, so it is skipped."""
    inventory = Inventory.of(facts)
    for vm in facts.site.vms:
        target = f"vm:{vm.name}"
        if vm.recovery_location == "alternate":
            yield Result(meta.id, target, Status.SKIP, f"{vm.name} comes back to an alternate location as a new VM")
            continue
        yield _judge(meta, target, vm, inventory, judge)


def judge_master_targets(meta: CheckMeta, facts: Facts, judge: Judge) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    if not facts.site.master_targets:
        yield Result(meta.id, f"site:{facts.site.display_name}", Status.FAIL, "the site file lists no [[master_targets]]; classic failback needs one", remediation_id="find-vm")
        return
    for master_target in facts.site.master_targets:
        yield _judge(meta, f"mt:{master_target.name}", master_target, inventory, judge)


def _judge(meta: CheckMeta, target: str, entry: Any, inventory: Inventory, judge: Judge) -> Result:
    name = entry.name
    found = inventory.vm(name)
    if found is None:
        return Result(
            meta.id,
            target,
            Status.FAIL,
            f"no VM named {name} in datacenter {inventory.facts['datacenter']}",
            {"datacenter": inventory.facts["datacenter"]},
            remediation_id="find-vm",
        )
    status, message, evidence = judge(found, entry)
    return Result(meta.id, target, status, message, evidence)
