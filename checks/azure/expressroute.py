"""network.expressroute: the circuits are provisioned by the provider and enabled, with private peering enabled; on
classic sites Microsoft peering too, which forward replication to Azure (the last phase) uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register

EXPRESSROUTE = CheckMeta(
    id="network.expressroute",
    title="The ExpressRoute circuits are provisioned and enabled, with private peering enabled (classic: Microsoft peering too)",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="Failback traffic from the Azure VNet reaches on-premises over private peering; classic replication to Azure "
        "after failback goes to public endpoints over Microsoft peering.",
    remediation="enable-expressroute-circuit",
)


@register(EXPRESSROUTE)
def network_expressroute(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    if not view.settings.expressroute_circuits:
        yield Result(EXPRESSROUTE.id, view.site_target, Status.SKIP, "the site file names no ExpressRoute circuit")
        return
    for reference in view.settings.expressroute_circuits:
        circuit = view.facts["expressroute_circuits"][reference]
        target = f"circuit:{circuit['name']}"
        if "error" in circuit:
            yield not_verified(EXPRESSROUTE.id, target, circuit["error"])
            continue
        yield _judge(view, target, circuit)


def _peering(circuit: dict[str, Any], peering_type: str) -> dict[str, Any] | None:
    return next((peering for peering in circuit["peerings"] if peering["type"] == peering_type), None)


def _judge(view: AzureView, target: str, circuit: dict[str, Any]) -> Result:
    name = circuit["name"]
    findings = Findings()
    evidence = {"provider_state": circuit["provider_state"], "circuit_state": circuit["circuit_state"],
                "service_provider": circuit["service_provider"],
                "peerings": [f"{peering['type']} {peering['state']}" for peering in circuit["peerings"]]}
    if circuit["provider_state"] != "Provisioned":
        findings.fail(f"{circuit['service_provider'] or 'the provider'} has not provisioned {name} ({circuit['provider_state']})")
    if circuit["circuit_state"] != "Enabled":
        findings.fail(f"{name} is {circuit['circuit_state']}")
    private = _peering(circuit, "AzurePrivatePeering")
    if private is None:
        findings.fail(f"{name} has no private peering: the Azure VNet cannot reach on-premises over it")
    elif private["state"] != "Enabled":
        findings.fail(f"the private peering of {name} is {private['state']}")
    if view.site.experience is Experience.CLASSIC:
        microsoft = _peering(circuit, "MicrosoftPeering")
        if microsoft is None or microsoft["state"] != "Enabled":
            state = "missing" if microsoft is None else microsoft["state"]
            findings.warn(f"Microsoft peering of {name} is {state}: classic replication to Azure after failback needs it")
    peerings = ", ".join(evidence["peerings"])
    return Result(EXPRESSROUTE.id, target, findings.status, findings.message(f"{name} is provisioned and enabled ({peerings})"), evidence)
