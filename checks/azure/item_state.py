"""asr.item_state: each replicated item lets ASR do the next failback step, and the vault runs the site's experience.

The next step follows from where the item is (see stages): reprotect (ReverseReplicate) while it runs in Azure,
failover once it replicates back, commit after that, reprotect toward Azure at the end. An item whose provider belongs
to the other experience than the site file's fails: every experience-specific check, and the runner's reprotect and
failover inputs, would be the wrong ones. The site-level result says which experience the vault runs, from its fabrics
and its items' providers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.health import add_health_errors, describe, remediation_for_errors
from failback.checks.azure.stages import FABRIC_EXPERIENCE, PROVIDER_EXPERIENCE, Stage, next_operation, stage_of
from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

ITEM_STATE = CheckMeta(
    id="asr.item_state",
    title="Each replicated item allows its next failback operation, and the vault runs the site's experience",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT, Gate.FAILOVER, Gate.AFTER_FAILBACK),
    experiences=BOTH,
    sources=("azure",),
    why="ASR refuses an operation its item does not allow (a job still running, critical replication health, the wrong "
        "direction); the failback stops there, often with the application down.",
    remediation="prepare-protected-item",
)
EXPERIENCE_REMEDIATION = "match-site-experience"


@register(ITEM_STATE)
def asr_item_state(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    yield _experience(view)
    if view.plan is not None:
        yield _plan(view)
    for name in view.missing_vms():
        yield Result(ITEM_STATE.id, f"item:{name}", Status.FAIL,
                     f"the vault {view.settings.vault} has no protected item named {name} (it holds {view.facts['vault_item_count']} items)",
                     {"vault": view.settings.vault}, remediation_id="find-protected-item")
    if not view.items and not view.site.vms:
        yield Result(ITEM_STATE.id, view.site_target, Status.WARN,
                     "the site file names no [[vms]] and no [azure] recovery_plan: no protected item was judged",
                     remediation_id="find-protected-item")
    for item in view.items:
        yield _judge_item(view, item)


def vault_experiences(view: AzureView) -> dict[str, list[str]]:
    """Each experience the vault shows, with what shows it (fabric kinds, providers and how many items use them)."""
    shown: dict[str, list[str]] = {}
    for kind in view.facts["experience"]["fabric_kinds"]:
        if kind in FABRIC_EXPERIENCE:
            shown.setdefault(FABRIC_EXPERIENCE[kind].value, []).append(f"{kind} fabric")
    for provider, count in sorted(view.facts["experience"]["providers"].items()):
        if provider in PROVIDER_EXPERIENCE:
            shown.setdefault(PROVIDER_EXPERIENCE[provider].value, []).append(f"{count} {provider} item(s)")
    return shown


def _experience(view: AzureView) -> Result:
    declared = view.site.experience.value
    shown = vault_experiences(view)
    described = "; ".join(f"{experience}: {', '.join(signs)}" for experience, signs in sorted(shown.items()))
    evidence: dict[str, Any] = {"declared": declared, "detected": sorted(shown), "vault_runs": described or "nothing yet"}
    if not shown:
        return Result(ITEM_STATE.id, view.site_target, Status.WARN,
                      f"the vault {view.settings.vault} has no VMware fabric and no VMware item yet: its experience cannot be told",
                      evidence, remediation_id=EXPERIENCE_REMEDIATION)
    if declared not in shown:
        return Result(ITEM_STATE.id, view.site_target, Status.FAIL,
                      f"the site file says experience = \"{declared}\" but the vault {view.settings.vault} runs {described}",
                      evidence, remediation_id=EXPERIENCE_REMEDIATION)
    if len(shown) > 1:
        return Result(ITEM_STATE.id, view.site_target, Status.WARN,
                      f"the vault {view.settings.vault} holds both experiences ({described}); checks follow the site file's {declared}",
                      evidence, remediation_id=EXPERIENCE_REMEDIATION)
    return Result(ITEM_STATE.id, view.site_target, Status.PASS, f"the vault runs the {declared} experience the site file names ({described})", evidence)


def _plan(view: AzureView) -> Result:
    plan = view.plan or {}
    target = f"plan:{plan.get('name')}"
    if "error" in plan:
        return not_verified(ITEM_STATE.id, target, plan["error"])
    members = [item for item in view.items if item["id"].lower() in {member.lower() for member in plan["item_ids"]}]
    evidence = {"items": [item["friendly_name"] for item in members], "allowed_operations": plan["allowed_operations"],
                "providers": plan["providers"]}
    if not plan["item_ids"]:
        return Result(ITEM_STATE.id, target, Status.FAIL, f"recovery plan {plan['name']} holds no protected item", evidence,
                      remediation_id="find-protected-item")
    replicating_back = [item for item in members if stage_of(item) is Stage.REPLICATING_BACK]
    if replicating_back and len(replicating_back) == len(members):
        operation, _ = next_operation(replicating_back[0], Stage.REPLICATING_BACK) or ("", "")
        if operation not in plan["allowed_operations"]:
            return Result(ITEM_STATE.id, target, Status.FAIL,
                          f"recovery plan {plan['name']} does not allow {operation} (allowed: {', '.join(plan['allowed_operations']) or 'none'})",
                          {**evidence, "operation": operation})
    return Result(ITEM_STATE.id, target, Status.PASS,
                  f"recovery plan {plan['name']} holds {len(plan['item_ids'])} item(s): {', '.join(evidence['items'])}", evidence)


def _judge_item(view: AzureView, item: dict[str, Any]) -> Result:
    name = item["friendly_name"]
    stage = stage_of(item)
    step = next_operation(item, stage)
    findings = Findings()
    remediation_id = None
    evidence: dict[str, Any] = {
        "provider": item["provider"],
        "stage": stage.value,
        "active_location": item["active_location"],
        "protection_state": item["protection_state"],
        "allowed_operations": item["allowed_operations"],
        "replication_health": item["replication_health"],
        "next_operation": step[0] if step else None,
    }
    provider_experience = PROVIDER_EXPERIENCE.get(item["provider"])
    if provider_experience is not None and provider_experience is not view.site.experience:
        findings.fail(f"{name} replicates with {item['provider']} ({provider_experience.value}) but the site file says "
                      f"{view.site.experience.value}")
        remediation_id = EXPERIENCE_REMEDIATION
    running = item["current_scenario"]
    if running:
        evidence["running"] = running
        findings.warn(f"{running['name']} is running on {name} (job {running['job_id']}, since {running['started']}): let it finish first")
    if stage is Stage.UNKNOWN:
        findings.error(f"{name} replicates with {item['provider']} with active location {item['active_location']}: not a failback state")
    elif stage is Stage.PROTECTED_TO_AZURE:
        findings.warn(f"{name} is {stage.value}: it runs on-premises, no failback is pending")
    elif step is not None and step[0] not in item["allowed_operations"] and not running:
        findings.fail(f"{name} is {stage.value} but ASR does not allow {step[0]} ({step[1]}); allowed now: "
                      f"{', '.join(item['allowed_operations']) or 'nothing'}")
    health = (item["replication_health"] or "").lower()
    if health == "critical":
        findings.fail(f"replication health of {name} is Critical")
    elif health == "warning":
        findings.warn(f"replication health of {name} is Warning")
    add_health_errors(findings, item["health_errors"], name)
    errors = list(item["health_errors"])
    last_job = item.get("last_job")
    if last_job and last_job["state"] == "Failed":
        evidence["last_job"] = {key: last_job[key] for key in ("name", "scenario", "state", "started", "ended")}
        findings.warn(f"the last job on {name}, {last_job['friendly_name']} started {last_job['started']}, failed: "
                      + "; ".join(describe(error) for error in last_job["errors"]))
        errors += last_job["errors"]
    evidence["asr_errors"] = [describe(error) for error in errors]
    if remediation_id is None and findings.status is not Status.PASS:
        remediation_id = remediation_for_errors(errors)
    clean = f"{name} is {stage.value}; ASR allows {step[0]} ({step[1]}) next" if step else f"{name} is {stage.value}"
    return Result(ITEM_STATE.id, f"item:{name}", findings.status, findings.message(clean), evidence, remediation_id=remediation_id)
