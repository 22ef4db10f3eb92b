"""The 60 disks a failback data mover attaches: a classic master target (mt.disk_count) or a modernized reprotect agent
(appliance.disk_count). What it holds now plus what the reprotects still to come bring must stay within the limit."""

from __future__ import annotations

from failback.checks.azure.stages import Stage
from failback.checks.model import Result, Status

MAX_DISKS = 60
# Stages whose disks are not on the data mover yet: reprotect will attach them.
NOT_YET_ATTACHED = {Stage.IN_AZURE, Stage.FAILOVER_UNCOMMITTED}


def judge_disk_limit(check_id: str, target: str, name: str, attached: int, attached_text: str, incoming: dict[str, int],
                     evidence: dict | None = None) -> Result:
    """Pass or fail `name` on its attached disks (told as `attached_text`) plus the disks of each VM still to reprotect."""
    coming = sum(incoming.values())
    total = attached + coming
    evidence = {**(evidence or {}), "attached": attached, "incoming": [f"{vm} ({disks})" for vm, disks in incoming.items()],
                "total": total, "limit": MAX_DISKS}
    counted = f"{attached_text} + {coming} from {len(incoming)} VM(s) to reprotect = {total}"
    if total > MAX_DISKS:
        return Result(check_id, target, Status.FAIL, f"{name}: {counted}, over the limit of {MAX_DISKS}", evidence)
    return Result(check_id, target, Status.PASS, f"{name}: {counted}, within {MAX_DISKS}", evidence)
