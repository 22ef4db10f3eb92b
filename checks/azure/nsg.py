"""network.nsg: the effective security rules on the Azure NICs let the failback's flows out to on-premises.

Which flows: a failed-over VM talks to the configuration server/appliance (443) and sends its data to the process
server (classic: the one in Azure; modernized: the appliance's, 9443). The classic process server's VM talks to the
configuration server and sends the data on to the master targets.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.nsg_rules import Flow, decide
from failback.checks.azure.stages import AZURE_VM_RUNS, stage_of
from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register

NSG = CheckMeta(
    id="network.nsg",
    title="The effective NSG rules on the Azure NICs allow the failback's flows to on-premises",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="A deny rule on the NIC's or the subnet's NSG drops ASR's control or data traffic: reprotect stalls with "
        "errors 95226 and 78186, although every on-prem port is open.",
    remediation="allow-failback-flows-in-nsg",
)


@register(NSG)
def network_nsg(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    item_vms = {item["azure_vm_id"].lower(): item["friendly_name"] for item in view.items
                if item.get("azure_vm_id") and stage_of(item) in AZURE_VM_RUNS}
    vm_ids = sorted(set(item_vms) | set(view.path_sources))
    if not vm_ids:
        yield Result(NSG.id, view.site_target, Status.SKIP, "no Azure VM of this failback runs in Azure now")
        return
    for vm_id in vm_ids:
        flows = _flows(view, is_item=vm_id in item_vms)
        name = item_vms.get(vm_id) or vm_id.rsplit("/", 1)[-1]
        if not flows:
            yield Result(NSG.id, f"vm:{name}", Status.WARN, "the site file names no on-prem endpoint ([config_server], [process_server], "
                                                           "[[master_targets]]) to check the rules against")
            continue
        yield _judge(view, name, view.vm(vm_id), flows)


def _flows(view: AzureView, is_item: bool) -> list[dict[str, Any]]:
    """Where this VM must connect: a classic failed-over VM to the configuration server and the process server in Azure."""
    destinations = view.facts["destinations"]
    site = view.site
    if site.experience is Experience.CLASSIC and is_item:
        control = [destination for destination in destinations if destination["role"] == "configuration server"]
        data = ([{"role": "process server", "address": site.process_server.host, "port": site.process_server.port}]
                if site.process_server else [])
        return control + data
    return destinations


def _judge(view: AzureView, name: str, vm: dict[str, Any] | None, flows: list[dict[str, Any]]) -> Result:
    target = f"vm:{name}"
    if vm is None or "error" in vm:
        return not_verified(NSG.id, target, (vm or {}).get("error") or {"kind": "error", "reason": f"the Azure VM {name} was not read"})
    findings = Findings()
    verdicts: dict[str, str] = {}
    for nic_id in vm["nic_ids"]:
        nic = view.nic(nic_id)
        if nic is None:
            failure = view.nic_failure(nic_id)
            findings.error(f"NIC {nic_id.rsplit('/', 1)[-1]} was not read" + (f": {failure['reason']}" if failure else ""))
            continue
        security = view.security(nic)
        if security is None or "error" in security:
            findings.error(f"the effective rules of NIC {nic['name']} were not read"
                           + (f": {security['error']['reason']}" if security else ""))
            continue
        address = next((config["private_ip"] for config in nic["ip_configurations"] if config["primary"]), None) or "0.0.0.0"
        for flow in flows:
            decision = decide(security["groups"], Flow("Outbound", address, flow["address"], flow["port"]))
            what = f"{nic['name']} ({address}) -> {flow['role']} {flow['address']}:{flow['port']}"
            verdicts[what] = ("allowed by " if decision.allowed else "denied by " if decision.allowed is False else "undetermined: ") + decision.describe()
            if decision.allowed is False:
                findings.fail(f"outbound TCP {what} is denied by {decision.describe()}")
            elif decision.allowed is None:
                findings.warn(f"outbound TCP {what} depends on {decision.describe()}, which names addresses: give "
                              f"[config_server] ip (and addresses for the other hosts) to judge it")
    denied = [what for what, verdict in verdicts.items() if verdict.startswith("denied")]
    evidence = {"vm": vm["name"], "flows": verdicts, "denied": denied}
    return Result(NSG.id, target, findings.status,
                  findings.message(f"the effective rules of {vm['name']} allow every failback flow ({len(verdicts)} checked)"), evidence)
