"""Where a fake protected item stands in the failback, as ASR shows it: provider, active location, protection state
and allowed operations for each stage of each experience. Scenarios place items; ASR actions move them on."""

from __future__ import annotations

from failback.lab.fake_arm.state import CLASSIC_PROVIDERS, ProtectedItem, RecoveryPoint, minutes_ago

# "protected": replicating on-prem -> Azure, not failed over (before a disaster, and again after a complete failback).
STAGES = ("protected", "in_azure", "replicating_back", "failed_back", "back_on_prem")
_ITEM_STATES = {
    ("classic", "protected"): ("InMageAzureV2", "Primary", "Protected", ["UnplannedFailover", "TestFailover", "DisableProtection"]),
    ("classic", "in_azure"): ("InMageAzureV2", "Recovery", "FailoverCommitted", ["ReverseReplicate", "DisableProtection"]),
    ("classic", "replicating_back"): ("InMage", "Recovery", "Protected", ["UnplannedFailover", "DisableProtection"]),
    ("classic", "failed_back"): ("InMage", "Primary", "UnplannedFailoverCompleted", ["Commit", "ChangePit"]),
    ("classic", "back_on_prem"): ("InMage", "Primary", "FailoverCommitted", ["ReverseReplicate", "DisableProtection"]),
    ("modernized", "protected"): ("InMageRcm", "Primary", "Protected", ["PlannedFailover", "UnplannedFailover", "TestFailover",
                                                                         "DisableProtection"]),
    ("modernized", "in_azure"): ("InMageRcm", "Recovery", "FailoverCommitted", ["ReverseReplicate", "DisableProtection"]),
    ("modernized", "replicating_back"): ("InMageRcmFailback", "Recovery", "Protected", ["PlannedFailover", "DisableProtection"]),
    ("modernized", "failed_back"): ("InMageRcmFailback", "Primary", "PlannedFailoverCompleted", ["Commit", "CancelFailover"]),
    ("modernized", "back_on_prem"): ("InMageRcmFailback", "Primary", "FailoverCommitted", ["ReverseReplicate", "DisableProtection"]),
}


def experience_of(item: ProtectedItem) -> str:
    return "classic" if item.provider in CLASSIC_PROVIDERS else "modernized"


def set_stage(item: ProtectedItem, experience: str, stage: str) -> None:
    """Put an item where the stage says: its provider, active location, protection state and allowed operations."""
    item.provider, item.active_location, item.protection_state, operations = _ITEM_STATES[(experience, stage)]
    item.protection_state_description = item.protection_state
    item.allowed_operations = list(operations)
    if stage in ("replicating_back", "failed_back", "protected"):
        item.recovery_points = [RecoveryPoint(minutes_ago(5), "CrashConsistent"), RecoveryPoint(minutes_ago(60), "ApplicationConsistent")]
    else:
        item.recovery_points = []


def stage_of(item: ProtectedItem) -> str | None:
    """The stage whose provider and active location the item shows (failover-not-committed told by Commit)."""
    experience = experience_of(item)
    for (stage_experience, stage), (provider, location, _, operations) in _ITEM_STATES.items():
        if stage_experience == experience and provider == item.provider and location == item.active_location:
            if ("Commit" in operations) == ("Commit" in item.allowed_operations):
                return stage
    return None
