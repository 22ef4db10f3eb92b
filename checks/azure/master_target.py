"""The ASR side of the classic master target: mt.disk_count, and the facts mt.os_match and mt.version can add.

mt.disk_count adds to the disks ASR counts on each master target (its own and those of VMs already replicating back)
the disks of the VMs still to be reprotected through it. mt.os_match (checks/vcenter/master_target.py) and mt.version
(checks/hosts/agent_version.py) are registered by their vCenter and SSH halves; `asr_os_families`,
`asr_master_target` and `asr_agent_versions` are what ASR knows for them, read from facts that may lack Azure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.disk_limit import NOT_YET_ATTACHED, judge_disk_limit
from failback.checks.azure.stages import stage_of
from failback.checks.azure.view import AzureView, same_host
from failback.checks.facts import Facts
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import MasterTarget

DISK_COUNT = CheckMeta(
    id="mt.disk_count",
    title="Each master target's disks plus the disks failing back through it stay within 60",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("azure",),
    why="A master target attaches every disk it receives; past 60 disks (its own included) reprotect of the next VM fails.",
    remediation="reduce-master-target-disks",
)


def _served_items(view: AzureView, master_target: MasterTarget, server: dict[str, Any]) -> list[dict[str, Any]]:
    """Items that fail back through it: the site file says so, or ASR already assigned them to it."""
    by_site = {vm.name.lower() for vm in view.site.vms_served_by(master_target)}
    return [item for item in view.items
            if (item["friendly_name"] or "").lower() in by_site or (item.get("master_target_id") and item["master_target_id"] == server["id"])]


def _find(view: AzureView, master_target: MasterTarget) -> dict[str, Any] | None:
    return next((server for server in view.servers("master_targets")
                 if same_host(master_target.name, server["name"]) or same_host(master_target.host, server["ip_address"])), None)


@register(DISK_COUNT)
def mt_disk_count(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    if not view.site.master_targets:
        yield Result(DISK_COUNT.id, view.site_target, Status.FAIL, "the site file lists no [[master_targets]]; classic failback needs one",
                     remediation_id="register-master-target")
        return
    for master_target in view.site.master_targets:
        target = f"mt:{master_target.name}"
        server = _find(view, master_target)
        if server is None:
            registered = ", ".join(server["name"] for server in view.servers("master_targets")) or "none"
            yield Result(DISK_COUNT.id, target, Status.FAIL,
                         f"{master_target.name} is not registered with the configuration server (registered: {registered})",
                         {"registered": registered}, remediation_id="register-master-target")
            continue
        incoming = {item["friendly_name"]: item.get("disk_count") or 0 for item in _served_items(view, master_target, server)
                    if stage_of(item) in NOT_YET_ATTACHED}
        attached = server["disk_count"] or 0
        yield judge_disk_limit(DISK_COUNT.id, target, master_target.name, attached, f"{attached} disk(s) attached", incoming)


# -- what ASR knows for the checks registered elsewhere -----------------------------------------------------------------------
def _view(facts: Facts) -> AzureView | None:
    return AzureView.of_vault(facts)


def asr_os_families(facts: Facts) -> dict[str, str]:
    """VM name -> "windows" | "linux", as ASR replicates them (for mt.os_match when vCenter does not know a VM's OS)."""
    view = _view(facts)
    if view is None:
        return {}
    return {item["friendly_name"]: item["os_type"].lower() for item in view.items if item.get("os_type")}


def asr_master_target(facts: Facts, master_target: MasterTarget) -> dict[str, Any] | None:
    """The master target as the configuration server registered it: os_type, version, disk_count, last_heartbeat..."""
    view = _view(facts)
    return _find(view, master_target) if view is not None else None


def asr_agent_versions(facts: Facts) -> dict[str, str]:
    """The configuration server's and the process server's agent versions as ASR reports them (for mt.version)."""
    view = _view(facts)
    if view is None:
        return {}
    versions: dict[str, str] = {}
    config_servers = view.config_servers()
    if config_servers and config_servers[0]["version"]:
        versions["configuration server"] = config_servers[0]["version"]
    wanted = view.site.process_server
    process_servers = [server for server in view.servers("process_servers")
                       if wanted is None or same_host(wanted.host, server["name"], *server["ip_addresses"])]
    if process_servers and process_servers[0]["version"]:
        versions["process server"] = process_servers[0]["version"]
    return versions
