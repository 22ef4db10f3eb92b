"""Where a protected item is in the failback, from its provider, active location and allowed operations, and what ASR
must let it do next. Forward providers replicate on-prem -> Azure (InMageAzureV2, InMageRcm); reverse ones Azure ->
on-prem (InMage, InMageRcmFailback)."""

from __future__ import annotations

import enum
from typing import Any

from failback.checks.model import Experience

FORWARD_PROVIDERS = {"InMageAzureV2", "InMageRcm"}
REVERSE_PROVIDERS = {"InMage", "InMageRcmFailback"}
PROVIDER_EXPERIENCE = {
    "InMageAzureV2": Experience.CLASSIC,
    "InMage": Experience.CLASSIC,
    "InMageRcm": Experience.MODERNIZED,
    "InMageRcmFailback": Experience.MODERNIZED,
}
FABRIC_EXPERIENCE = {"VMware": Experience.CLASSIC, "InMageRcm": Experience.MODERNIZED}


class Stage(str, enum.Enum):
    PROTECTED_TO_AZURE = "protected to Azure and not failed over"
    FAILOVER_UNCOMMITTED = "failed over to Azure, not committed"
    IN_AZURE = "failed over to Azure"
    REPLICATING_BACK = "replicating back to on-premises"
    FAILED_BACK = "failed over to on-premises, not committed"
    BACK_ON_PREM = "back on-premises"
    UNKNOWN = "in a state this tool does not know"


# The stages in which the Azure VM runs the workload (and replicates it back).
AZURE_VM_RUNS = {Stage.FAILOVER_UNCOMMITTED, Stage.IN_AZURE, Stage.REPLICATING_BACK}


def stage_of(item: dict[str, Any]) -> Stage:
    provider = item.get("provider")
    location = (item.get("active_location") or "").lower()
    operations = set(item.get("allowed_operations") or [])
    if provider in FORWARD_PROVIDERS:
        if location == "recovery":
            return Stage.FAILOVER_UNCOMMITTED if "Commit" in operations else Stage.IN_AZURE
        if location == "primary":
            return Stage.PROTECTED_TO_AZURE
    if provider in REVERSE_PROVIDERS:
        if location == "recovery":
            return Stage.REPLICATING_BACK
        if location == "primary":
            return Stage.FAILED_BACK if "Commit" in operations else Stage.BACK_ON_PREM
    return Stage.UNKNOWN


def next_operation(item: dict[str, Any], stage: Stage) -> tuple[str, str] | None:
    """(ASR's operation name, what it does) the item needs next, or None when no failback step is pending."""
    if stage is Stage.FAILOVER_UNCOMMITTED:
        return "Commit", "commit the failover to Azure"
    if stage is Stage.IN_AZURE:
        return "ReverseReplicate", "reprotect toward on-premises"
    if stage is Stage.REPLICATING_BACK:
        # Classic fails back with an unplanned failover, modernized with a planned one.
        if item.get("provider") == "InMage":
            return "UnplannedFailover", "fail over to on-premises"
        return "PlannedFailover", "fail over to on-premises"
    if stage is Stage.FAILED_BACK:
        return "Commit", "commit the failover to on-premises"
    if stage is Stage.BACK_ON_PREM:
        return "ReverseReplicate", "reprotect toward Azure again"
    return None
