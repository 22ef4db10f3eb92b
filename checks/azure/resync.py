"""asr.resync (modernized): no item needs resynchronisation, and no item's last planned failover back on-premises failed.

ASR's InMageRcm and InMageRcmFailback details tell whether replication must be resynchronised (`resyncRequired`, the
string "true" or "false"; `resyncState`: None, PreparedForResynchronization, StartedResynchronization) and, for an item
replicating back (InMageRcmFailback), how its last planned failover ended (`lastPlannedFailoverStatus`: Succeeded,
Failed, Cancelled, Unknown; `lastPlannedFailoverStartTime`).

A resynchronisation matters where the item replicates now: toward on-premises between reprotect and the failover, toward
Azure again after the failback. A failed-over item's flag is about a replication that no longer runs (reprotect starts a
new one): it is shown, not judged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.stages import Stage, stage_of
from failback.checks.azure.view import AzureView
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import MODERNIZED_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.sources.azure_asr import MODERNIZED_PROVIDERS

RESYNC = CheckMeta(
    id="asr.resync",
    title="No replicated item needs resynchronisation, and no item's last planned failover failed",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT, Gate.FAILOVER, Gate.AFTER_FAILBACK),
    experiences=MODERNIZED_ONLY,
    sources=("azure",),
    why="An item that needs resynchronisation keeps no consistent recovery point until it is resynchronised: the planned "
        "failover back on-premises has nothing sound to fail over to. A failed planned failover leaves the item between "
        "Azure and on-premises until it is retried or cancelled.",
    remediation="resync-protected-item",
)
FAILED_FAILOVER_REMEDIATION = "retry-planned-failover"
# Where the item's replication runs now, and which way.
_REPLICATING = {Stage.PROTECTED_TO_AZURE: "to Azure", Stage.REPLICATING_BACK: "back on-premises"}
_RESYNCING = "StartedResynchronization"


@register(RESYNC)
def asr_resync(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    for item in view.items:
        yield _judge(item)


def _judge(item: dict[str, Any]) -> Result:
    name = item["friendly_name"]
    target = f"item:{name}"
    if item["provider"] not in MODERNIZED_PROVIDERS:
        return Result(RESYNC.id, target, Status.SKIP, f"{name} replicates with {item['provider']}, not the modernized experience")
    stage = stage_of(item)
    resync = item.get("resync") or {}
    failover = item.get("last_planned_failover") or {}
    evidence = {
        "provider": item["provider"],
        "stage": stage.value,
        "resync_required": resync.get("required"),
        "resync_state": resync.get("state"),
        "resync_progress_percent": resync.get("progress_percent"),
        "last_planned_failover_status": failover.get("status"),
        "last_planned_failover_started": failover.get("started"),
    }
    findings = Findings()
    notes = []
    remediation_id = None
    if (resync.get("required") or "").lower() == "true":
        direction = _REPLICATING.get(stage)
        if direction is None:
            notes.append(f"ASR still flags a resynchronisation from before the failover (resyncState {resync.get('state')}); "
                         "reprotect starts a new replication")
        elif resync.get("state") == _RESYNCING:
            findings.warn(f"{name} is resynchronising its replication {direction} ({resync.get('progress_percent') or 0}% done): "
                          "let it finish first")
        else:
            findings.fail(f"ASR says {name} needs resynchronisation (resyncRequired true, resyncState {resync.get('state')}): its "
                          f"replication {direction} keeps no consistent recovery point until it is resynchronised")
    status = failover.get("status")
    if status == "Failed":
        findings.fail(f"the last planned failover of {name}, started {failover.get('started') or 'at an unknown time'}, failed")
        remediation_id = FAILED_FAILOVER_REMEDIATION
    elif status:
        notes.append(f"its last planned failover {status.lower()}")
    clean = "; ".join([f"{name} needs no resynchronisation", *notes])
    return Result(RESYNC.id, target, findings.status, findings.message(clean), evidence, remediation_id=remediation_id)
