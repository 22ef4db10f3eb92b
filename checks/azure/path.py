"""network.azure_path: from Azure, Network Watcher reaches the configuration server/appliance on its control port and the
master targets (appliance) on the data port. Classic failback data flows from the process server in Azure (its VM is
found by [process_server]'s address), modernized from the failed-over VMs; [azure] path_from names others.

Collection ran the connectivity checks; this judges the stored answers and names the hop where the path stops, with
the issues Network Watcher saw there (an NSG rule, a user-defined route, a guest firewall...).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register

AZURE_PATH = CheckMeta(
    id="network.azure_path",
    title="From Azure, the configuration server/appliance (443) and the master targets/data port (9443) are reachable",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="During reprotect the Azure side connects to on-premises: control to the configuration server (error 95226) "
        "and data to the master target or appliance (error 78186); what this machine reaches says nothing about that.",
    remediation="open-azure-path",
)


@register(AZURE_PATH)
def network_azure_path(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    if not view.facts["destinations"]:
        yield Result(AZURE_PATH.id, view.site_target, Status.WARN,
                     "the site file names no [config_server] and no master target: there is nothing to test the path to")
        return
    if not view.path_sources:
        classic = view.site.experience is Experience.CLASSIC
        yield Result(AZURE_PATH.id, view.site_target, Status.WARN,
                     "no Azure VM to test the path from: " + (
                         "the process server in Azure ([process_server]) is not an Azure VM failback can find; name its VM in "
                         "[azure] path_from" if classic else "name one in [azure] path_from"))
        return
    several = len(view.path_sources) > 1
    for vm_id in view.path_sources:
        vm = view.vm(vm_id) or {"error": {"kind": "error", "reason": f"the Azure VM {vm_id} was not read"}}
        if "error" in vm:
            yield not_verified(AZURE_PATH.id, f"vm:{vm_id.rsplit('/', 1)[-1]}", vm["error"])
    for record in view.facts["connectivity"]:
        target = f"endpoint:{record['address']}:{record['port']}" + (f"@{record['source_vm']}" if several else "")
        if "error" in record:
            yield not_verified(AZURE_PATH.id, target, record["error"])
            continue
        yield _judge(target, record)


def failing_hop(record: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """(1-based position, hop) of the first hop with an issue, else the last hop reached."""
    hops = record["hops"]
    for position, hop in enumerate(hops, start=1):
        if hop["issues"]:
            return position, hop
    return (len(hops), hops[-1]) if hops else None


def _issue_text(issue: dict[str, Any]) -> str:
    context = ", ".join(f"{key} {value}" for key, value in issue["context"].items())
    return f"{issue['severity']} {issue['type']} ({issue['origin']}{': ' + context if context else ''})"


def _judge(target: str, record: dict[str, Any]) -> Result:
    route = f"{record['source_vm']} -> {record['role']} {record['address']}:{record['port']}"
    evidence: dict[str, Any] = {"source_vm": record["source_vm"], "role": record["role"], "status": record["status"],
                                "watcher": record["watcher"], "probes_sent": record["probes_sent"], "probes_failed": record["probes_failed"],
                                "hops": [f"{hop['type']} {hop['address']}" for hop in record["hops"]]}
    if record["status"] == "Reachable":
        return Result(AZURE_PATH.id, target, Status.PASS, f"{route} is reachable ({record['avg_latency_ms']} ms)", evidence)
    stop = failing_hop(record)
    if stop is None:
        return Result(AZURE_PATH.id, target, Status.FAIL, f"{route} is {record['status']}: Network Watcher found no hop", evidence)
    position, hop = stop
    issues = [_issue_text(issue) for issue in hop["issues"]]
    evidence.update(failing_hop=f"{position}: {hop['type']} {hop['address']}", issues=issues)
    where = f"stops at hop {position} ({hop['type']} {hop['address']})"
    message = f"{route} is {record['status']}: {where}" + (f": {'; '.join(issues)}" if issues else "")
    status = {"Degraded": Status.WARN, "Unknown": Status.ERROR}.get(record["status"], Status.FAIL)
    return Result(AZURE_PATH.id, target, status, message, evidence)
