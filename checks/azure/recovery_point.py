"""asr.recovery_point: every item that replicates back (every item of the recovery plan) has a point to fail over to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.stages import Stage, stage_of
from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

RECOVERY_POINT = CheckMeta(
    id="asr.recovery_point",
    title="Each item replicating back (each item of the recovery plan) has at least one recovery point",
    severity=Severity.CRITICAL,
    gates=(Gate.FAILOVER,),
    experiences=BOTH,
    sources=("azure",),
    why="A failover to on-premises needs a recovery point; without one (initial replication not finished) it cannot start, "
        "and a multi-VM plan wants an application-consistent point common to its VMs.",
    remediation="wait-for-recovery-point",
)


@register(RECOVERY_POINT)
def asr_recovery_point(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    verdicts: dict[str, Status] = {}
    for item in view.items:
        result = _judge(view, item)
        verdicts[item["id"].lower()] = result.status
        yield result
    plan = view.plan
    if plan is not None and "error" not in plan:
        yield _plan(view, plan, verdicts)
    elif plan is not None:
        yield not_verified(RECOVERY_POINT.id, f"plan:{plan['name']}", plan["error"])


def _judge(view: AzureView, item: dict[str, Any]) -> Result:
    name = item["friendly_name"]
    target = f"item:{name}"
    stage = stage_of(item)
    if stage is not Stage.REPLICATING_BACK:
        return Result(RECOVERY_POINT.id, target, Status.SKIP, f"{name} is {stage.value}: recovery points matter while it replicates back")
    points = item.get("recovery_points")
    if points is None:
        return Result(RECOVERY_POINT.id, target, Status.ERROR, f"not verified: the recovery points of {name} were not read")
    if "error" in points:
        return not_verified(RECOVERY_POINT.id, target, points["error"])
    evidence = {key: points[key] for key in ("count", "latest", "latest_type", "latest_app_consistent")}
    if not points["count"]:
        return Result(RECOVERY_POINT.id, target, Status.FAIL,
                      f"{name} has no recovery point yet: replication back to on-premises has not produced one", evidence)
    message = f"{name} has {points['count']} recovery point(s), the latest at {points['latest']} ({points['latest_type']})"
    if view.plan is not None and not points["latest_app_consistent"]:
        return Result(RECOVERY_POINT.id, target, Status.WARN,
                      f"{message}, none application-consistent: a multi-VM plan fails over to crash-consistent points only", evidence)
    if points["latest_app_consistent"]:
        message += f"; the latest application-consistent at {points['latest_app_consistent']}"
    return Result(RECOVERY_POINT.id, target, Status.PASS, message, evidence)


def _plan(view: AzureView, plan: dict[str, Any], verdicts: dict[str, Status]) -> Result:
    target = f"plan:{plan['name']}"
    members = {member.lower() for member in plan["item_ids"]}
    judged = [item for item in view.items if item["id"].lower() in members]
    without = [item["friendly_name"] for item in judged if verdicts.get(item["id"].lower()) in (Status.FAIL, Status.ERROR)]
    waiting = [item["friendly_name"] for item in judged if verdicts.get(item["id"].lower()) is Status.SKIP]
    evidence = {"items": [item["friendly_name"] for item in judged], "without_point": without, "not_replicating_back": waiting}
    if without:
        return Result(RECOVERY_POINT.id, target, Status.FAIL,
                      f"recovery plan {plan['name']} cannot fail over: no recovery point for {', '.join(without)}", evidence)
    if len(waiting) == len(judged):
        return Result(RECOVERY_POINT.id, target, Status.SKIP, f"no item of recovery plan {plan['name']} replicates back yet", evidence)
    return Result(RECOVERY_POINT.id, target, Status.PASS,
                  f"every item of recovery plan {plan['name']} that replicates back has a recovery point", evidence)
