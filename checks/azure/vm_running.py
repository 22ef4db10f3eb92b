"""azure.vm_running: the failed-over VMs run in Azure, their guest agent is ready and ASR's mobility agent registered.

ASR error 78093 is reprotect meeting an Azure VM that is off, hung or unreachable. After a VM starts, its agents need up
to 15 minutes to report: a VM that booted more recently than that is a warning to wait, not a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.stages import AZURE_VM_RUNS
from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

VM_RUNNING = CheckMeta(
    id="azure.vm_running",
    title="The failed-over Azure VMs run, with their guest agent ready and ASR's agent registered",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="Reprotect replicates from the running Azure VM: a stopped, hung or unregistered VM fails it with error 78093.",
    remediation="start-azure-vm",
)
AGENT_SETTLE_MINUTES = 15


@register(VM_RUNNING)
def azure_vm_running(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    for item in view.items:
        yield _judge(view, item)


def _judge(view: AzureView, item: dict[str, Any]) -> Result:
    vm = view.item_vm(VM_RUNNING.id, item, AZURE_VM_RUNS, "its Azure VM is not expected to run")
    if isinstance(vm, Result):
        return vm
    name = item["friendly_name"]
    target = f"vm:{name}"
    if "error" in vm:
        if vm["error"]["kind"] == "not_found":
            return Result(VM_RUNNING.id, target, Status.FAIL, f"{vm['error']['reason']}: reprotect will fail with error 78093",
                          {"azure_vm_id": item["azure_vm_id"]})
        return not_verified(VM_RUNNING.id, target, vm["error"])
    booted = view.minutes_since(vm["started"])
    settling = booted is not None and booted < AGENT_SETTLE_MINUTES
    agent = item.get("agent") or {}
    evidence = {"vm_name": vm["name"], "azure_vm_id": item["azure_vm_id"], "power_state": vm["power_state"], "guest_agent": vm["agent"]["status"],
                "guest_agent_version": vm["agent"]["version"], "started": vm["started"],
                "mobility_agent_version": agent.get("version"), "mobility_agent_heartbeat": agent.get("last_heartbeat"),
                "registered_after_failover": agent.get("registered_after_failover")}
    findings = Findings()
    if vm["power_state"] != "running":
        findings.fail(f"Azure VM {vm['name']} is {vm['power_state'] or 'in an unknown power state'} (ASR error 78093 at reprotect)")
    else:
        not_yet = findings.warn if settling else findings.fail
        wait = f" (it started {booted:.0f} min ago: allow up to {AGENT_SETTLE_MINUTES} min)" if settling else ""
        if vm["agent"]["status"] != "Ready":
            not_yet(f"the guest agent of {vm['name']} is {vm['agent']['status'] or 'not reporting'}{wait}")
        if agent.get("registered_after_failover") is False:
            not_yet(f"ASR's mobility agent in {vm['name']} has not registered since the failover{wait}")
        elif (problem := view.heartbeat_problem(agent.get("last_heartbeat"), f"ASR's mobility agent in {vm['name']}")) and agent.get("version"):
            not_yet(problem + wait)
    remediation_id = "azure-vm-reach-config-server" if findings.status is not Status.PASS and vm["power_state"] == "running" else None
    return Result(VM_RUNNING.id, target, findings.status,
                  findings.message(f"Azure VM {vm['name']} runs, its guest agent is ready and ASR's agent reports"), evidence,
                  remediation_id=remediation_id)
