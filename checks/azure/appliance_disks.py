"""appliance.disk_count (modernized): each reprotect agent stays within 60 disks once the coming reprotects are added.

A reprotect agent attaches the disks of every VM it replicates back. It holds now the disks of the vault's items that
replicate back through it (InMageRcmFailback `reprotectAgentId`, their `protectedDisks`), the failback's own or not;
the reprotects still to come add the disks of each item still in Azure (InMageRcm) through the agent their reprotect
will name: the one checks/azure/choices.py chooses for `failback run`, a healthy agent that sees the VM's datastore.
"""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.azure.choices import Choices, NoChoice
from failback.checks.azure.disk_limit import NOT_YET_ATTACHED, judge_disk_limit
from failback.checks.azure.stages import Stage, stage_of
from failback.checks.azure.view import AzureView
from failback.checks.facts import Facts
from failback.checks.model import MODERNIZED_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

DISK_COUNT = CheckMeta(
    id="appliance.disk_count",
    title="Each reprotect agent's disks replicating back, plus the disks of the VMs still to reprotect through it, stay within 60",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=MODERNIZED_ONLY,
    sources=("azure",),
    optional_sources=("vcenter",),  # where each VM's disks are, when the site file does not name its datastore
    why="A reprotect agent attaches every disk it replicates back to on-premises; past 60 disks the reprotect of the next "
        "VM through it fails.",
    remediation="reduce-reprotect-agent-disks",
)


@register(DISK_COUNT)
def appliance_disk_count(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    choices = Choices(facts)
    replicating: dict[str, dict[str, int]] = {}  # agent id -> VM -> disks it replicates back now
    for item in view.reverse_items:
        if item["provider"] == "InMageRcmFailback" and item.get("reprotect_agent_id") and stage_of(item) is Stage.REPLICATING_BACK:
            replicating.setdefault(item["reprotect_agent_id"], {})[item["friendly_name"]] = item.get("disk_count") or 0
    incoming: dict[str, dict[str, int]] = {}  # agent id -> VM -> disks its reprotect brings
    uncounted: dict[str, NoChoice] = {}
    for item in view.items:
        if item["provider"] != "InMageRcm" or stage_of(item) not in NOT_YET_ATTACHED:
            continue
        name = item["friendly_name"]
        try:
            agent = choices.reprotect_agent(choices.fabric(item), choices.datastore(name).value, name)
        except NoChoice as missing:
            uncounted[name] = missing
            continue
        incoming.setdefault(agent.value, {})[name] = item.get("disk_count") or 0
    for agent in view.servers("reprotect_agents"):
        now = replicating.get(agent["id"], {})
        attached = sum(now.values())
        yield judge_disk_limit(DISK_COUNT.id, f"appliance:{agent['name']}", agent["name"], attached,
                               f"{attached} disk(s) replicating back from {len(now)} VM(s)", incoming.get(agent["id"], {}),
                               {"replicating": [f"{vm} ({disks})" for vm, disks in now.items()]})
    if uncounted:
        reasons = {name: missing.missing for name, missing in uncounted.items()}
        yield Result(DISK_COUNT.id, view.site_target, Status.WARN,
                     "the disks of " + "; ".join(f"{name} are not counted: {why}" for name, why in reasons.items()),
                     {"uncounted": reasons}, remediation_id=next(iter(uncounted.values())).remediation_id)
