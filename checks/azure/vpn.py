"""network.vpn: the site-to-site VPN connections are Connected, their tunnels up, their BGP peer connected when BGP is on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

VPN = CheckMeta(
    id="network.vpn",
    title="The site-to-site VPN connections are Connected, with every tunnel up and the BGP peer connected",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="Failback data and ASR's control traffic cross the VPN; a tunnel or BGP session down stalls reprotect (78186, 95226).",
    remediation="restore-vpn-connection",
)


@register(VPN)
def network_vpn(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    settings = view.settings
    if not settings.vpn_connections:
        if settings.expressroute_circuits:
            yield Result(VPN.id, view.site_target, Status.SKIP, "the site names ExpressRoute circuits and no VPN connection")
        else:
            yield Result(VPN.id, view.site_target, Status.WARN,
                         "the site file names neither a VPN connection nor an ExpressRoute circuit: the path from Azure to "
                         "on-premises is not verified (set [azure] vpn_connections or expressroute_circuits)")
        return
    for reference in settings.vpn_connections:
        connection = view.facts["vpn_connections"][reference]
        target = f"connection:{connection['name']}"
        if "error" in connection:
            yield not_verified(VPN.id, target, connection["error"])
            continue
        yield _judge(view, target, connection)


def _judge(view: AzureView, target: str, connection: dict[str, Any]) -> Result:
    name = connection["name"]
    findings = Findings()
    tunnels = connection["tunnels"]
    evidence: dict[str, Any] = {"status": connection["status"], "type": connection["type"], "bgp": connection["enable_bgp"],
                                "tunnels": [f"{tunnel['name']} {tunnel['status']}" for tunnel in tunnels], "bgp_peers": []}
    if connection["status"] != "Connected":
        findings.fail(f"{name} is {connection['status'] or 'in an unknown state'}")
    down = [tunnel["name"] for tunnel in tunnels if tunnel["status"] != "Connected"]
    if down and len(down) == len(tunnels):
        findings.fail(f"no tunnel of {name} is up ({', '.join(evidence['tunnels'])})")
    elif down:
        findings.warn(f"tunnel {', '.join(down)} of {name} is down: the connection has lost its redundancy")
    if connection["enable_bgp"]:
        _judge_bgp(view, connection, findings, evidence)
    return Result(VPN.id, target, findings.status, findings.message(_summary(connection, evidence)), evidence)


def _judge_bgp(view: AzureView, connection: dict[str, Any], findings: Findings, evidence: dict[str, Any]) -> None:
    gateway = view.facts["bgp"].get((connection["gateway_id"] or "").lower())
    local = view.facts["local_gateways"].get((connection["local_gateway_id"] or "").lower()) or {}
    if gateway is None or "error" in gateway:
        findings.error(f"the BGP peers of {connection['name']}'s gateway were not read"
                       + (f": {gateway['error']['reason']}" if gateway else ""))
        return
    neighbor = local.get("bgp_peering_address")
    peers = [peer for peer in gateway["peers"] if neighbor is None or peer["neighbor"] == neighbor]
    evidence["bgp_peers"] = [f"{peer['neighbor']} {peer['state']}" for peer in peers]
    if not peers:
        wanted = f"the BGP peer {neighbor}" if neighbor else "a BGP peer"
        findings.fail(f"gateway {gateway['gateway']} has no {wanted} for {connection['name']}")
        return
    for peer in peers:
        if peer["state"] != "Connected":
            findings.fail(f"BGP peer {peer['neighbor']} (AS {peer['asn']}) is {peer['state']}: no routes to on-premises")
        elif not peer["routes_received"]:
            findings.warn(f"BGP peer {peer['neighbor']} is connected but announces no route")


def _summary(connection: dict[str, Any], evidence: dict[str, Any]) -> str:
    text = f"{connection['name']} is Connected with {len(connection['tunnels'])} tunnel(s) up"
    if evidence["bgp_peers"]:
        text += f", BGP peer {', '.join(peer.split(' ')[0] for peer in evidence['bgp_peers'])} connected"
    return text
