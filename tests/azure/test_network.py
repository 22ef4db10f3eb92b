"""network.vpn, network.expressroute, network.azure_path and network.nsg against the fake ARM: healthy, then broken."""

from __future__ import annotations

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import (
    CIRCUIT,
    CONFIG_SERVER_IP,
    CONNECTION,
    MASTER_TARGET_IP,
    NSG,
    ON_PREM_BGP_PEER,
    RECOVERY_GROUP,
    WATCHER,
    WATCHER_GROUP,
)
from failback.lab.fake_arm.state import ConnectivityIssue, ConnectivityVerdict, SecurityGroup, SecurityRule

from .conftest import remediation_id, run_checks


def _connection(lab):
    return lab.world.group("rg-asr").connections[CONNECTION]


def test_vpn_connected_with_tunnels_and_bgp_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "network.vpn").only(target=f"connection:{CONNECTION}")
    assert result.status is Status.PASS, result.message
    assert result.evidence["tunnels"] == ["tunnel-0 Connected", "tunnel-1 Connected"]
    assert result.evidence["bgp_peers"] == [f"{ON_PREM_BGP_PEER} Connected"]


def test_vpn_down_fails_with_its_tunnels_and_remediation(classic, tmp_path):
    connection = _connection(classic)
    connection.status = "NotConnected"
    for tunnel in connection.tunnels:
        tunnel.status = "NotConnected"
    result = run_checks(classic, tmp_path, "network.vpn").only(target=f"connection:{CONNECTION}")
    assert result.status is Status.FAIL
    assert "cn-onprem is NotConnected" in result.message and "no tunnel of cn-onprem is up" in result.message
    assert remediation_id(result) == "restore-vpn-connection"
    assert "tunnel-0 NotConnected" in result.remediation["steps"][0]


def test_vpn_with_one_tunnel_down_warns_and_bgp_peer_idle_fails(classic, tmp_path):
    _connection(classic).tunnels[1].status = "NotConnected"
    classic.world.group("rg-asr").gateways["vpngw-asr"].bgp_peers[0].state = "Idle"
    result = run_checks(classic, tmp_path, "network.vpn").only()
    assert result.status is Status.FAIL
    assert f"BGP peer {ON_PREM_BGP_PEER} (AS 65010) is Idle" in result.message
    assert "tunnel tunnel-1 of cn-onprem is down" in result.message


def test_vpn_wrong_connection_name_says_which_resource_is_missing(classic, tmp_path):
    run = run_checks(classic, tmp_path, "network.vpn", "network.expressroute", vpn_connections=["cn-typo"])
    vpn = run.only("network.vpn")
    assert vpn.status is Status.ERROR and vpn.target == "connection:cn-typo"
    assert "VPN connection 'cn-typo' in resource group 'rg-asr' was not found" in vpn.message
    assert remediation_id(vpn) == "azure-resource-names"
    assert run.only("network.expressroute").status is Status.PASS, "one missing connection fails only its own check"


def test_vpn_connection_given_by_id_in_another_group(classic, tmp_path):
    group = classic.world.group("rg-hub")
    hub = classic.world.group("rg-asr")
    moved = hub.connections.pop(CONNECTION)
    moved.gateway, moved.local_gateway = hub.gateways["vpngw-asr"].id, hub.local_gateways["lng-onprem"].id
    group.add(moved)
    result = run_checks(classic, tmp_path, "network.vpn", vpn_connections=[moved.id]).only()
    # The gateway stayed in rg-asr: the connection names it by id, so BGP is still read.
    assert result.status is Status.PASS, result.message


def test_expressroute_provisioned_with_private_and_microsoft_peering_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "network.expressroute").only()
    assert result.status is Status.PASS, result.message
    assert result.target == f"circuit:{CIRCUIT}"


def test_expressroute_not_provisioned_and_private_peering_disabled_fails(classic, tmp_path):
    circuit = classic.world.group("rg-asr").circuits[CIRCUIT]
    circuit.provider_state = "NotProvisioned"
    circuit.peerings[0].state = "Disabled"
    result = run_checks(classic, tmp_path, "network.expressroute").only()
    assert result.status is Status.FAIL
    assert "Equinix has not provisioned er-onprem (NotProvisioned)" in result.message
    assert "the private peering of er-onprem is Disabled" in result.message
    assert remediation_id(result) == "enable-expressroute-circuit"


def test_expressroute_without_microsoft_peering_warns_on_classic_only(start, tmp_path):
    for experience, expected in (("classic", Status.WARN), ("modernized", Status.PASS)):
        lab = start(experience)
        circuit = lab.world.group("rg-asr").circuits[CIRCUIT]
        circuit.peerings = [peering for peering in circuit.peerings if peering.peering_type != "MicrosoftPeering"]
        result = run_checks(lab, tmp_path, "network.expressroute").only()
        assert result.status is expected, (experience, result.message)


def test_azure_path_reachable_from_the_process_server_passes(classic, tmp_path):
    run = run_checks(classic, tmp_path, "network.azure_path")
    assert {r.target: r.status for r in run.results} == {f"endpoint:{CONFIG_SERVER_IP}:443": Status.PASS,
                                                        f"endpoint:{MASTER_TARGET_IP}:9443": Status.PASS}
    assert "ps01 -> configuration server" in run.only(target=f"endpoint:{CONFIG_SERVER_IP}:443").message


def test_azure_path_blocked_names_the_failing_hop_and_its_issue(classic, tmp_path):
    watcher = classic.world.group(WATCHER_GROUP).watchers[WATCHER]
    watcher.set_verdict(MASTER_TARGET_IP, 9443, ConnectivityVerdict(
        "Unreachable", failing_hop="10.1.255.30",
        issues=[ConnectivityIssue("UserDefinedRoute", "Outbound", "Error", {"RouteTable": "rt-spoke", "Route": "to-firewall"})]))
    result = run_checks(classic, tmp_path, "network.azure_path").only(target=f"endpoint:{MASTER_TARGET_IP}:9443")
    assert result.status is Status.FAIL
    assert "stops at hop 2 (VirtualNetworkGateway 10.1.255.30)" in result.message
    assert "UserDefinedRoute (Outbound: RouteTable rt-spoke, Route to-firewall)" in result.message
    assert remediation_id(result) == "open-azure-path"
    assert "stops at hop 2: VirtualNetworkGateway 10.1.255.30" in result.remediation["steps"][0]


def test_azure_path_from_a_failed_over_vm_on_modernized_sites(modernized, tmp_path):
    run = run_checks(modernized, tmp_path, "network.azure_path")
    assert [r.status for r in run.results] == [Status.PASS, Status.PASS]
    assert all(r.evidence["source_vm"] == "app01" for r in run.results)


def test_azure_path_with_a_missing_network_watcher_says_so(classic, tmp_path):
    run = run_checks(classic, tmp_path, "network.azure_path", network_watcher="nw-typo")
    assert {r.status for r in run.results} == {Status.ERROR}
    assert all("Network Watcher 'nw-typo'" in r.message and "was not found" in r.message for r in run.results)
    assert {remediation_id(r) for r in run.results} == {"azure-resource-names"}


def test_nsg_allowing_the_flows_passes_and_rules_are_read_once_per_nsg_and_subnet(classic, tmp_path):
    run = run_checks(classic, tmp_path, "network.nsg")
    assert {r.target: r.status for r in run.results} == {"vm:app01": Status.PASS, "vm:db01": Status.PASS, "vm:ps01": Status.PASS}
    assert len(classic.arm.calls("effectiveNetworkSecurityGroups", "POST")) == 1, "three NICs share one subnet and NSG"
    listings = [call.path for call in classic.arm.calls("/networkInterfaces", "GET")]
    assert len([path for path in listings if "/resourceGroups/" in path]) == 1, "NICs are listed once per resource group"
    assert len([path for path in listings if "/resourceGroups/" not in path]) == 1, "and once in the subscription, for the process server's VM"


def test_nsg_denying_the_data_port_fails_naming_the_rule(classic, tmp_path):
    nsg = classic.world.group(RECOVERY_GROUP).security_groups[NSG]
    nsg.rules.insert(0, SecurityRule("Deny-9443-Out", 90, "Outbound", "Deny", "Tcp", "9443", "*"))
    run = run_checks(classic, tmp_path, "network.nsg")
    app = run.only(target="vm:app01")
    assert app.status is Status.FAIL
    assert "-> process server 10.1.0.4:9443 is denied by securityRules/Deny-9443-Out (priority 90) of nsg-recovery on the subnet" in app.message
    assert remediation_id(app) == "allow-failback-flows-in-nsg"
    assert "app01-nic (10.1.0.10) -> process server 10.1.0.4:9443" in app.remediation["steps"][0]
    assert "master target mt01 10.0.0.7:9443 is denied" in run.only(target="vm:ps01").message


def test_nsg_on_the_nic_must_allow_too(modernized, tmp_path):
    group = modernized.world.group(RECOVERY_GROUP)
    blocking = group.add(SecurityGroup("nsg-app01-nic", [SecurityRule("Deny-All-Out", 4000, "Outbound", "Deny", "*", "*", "*")]))
    group.nics["app01-nic"].security_group_id = blocking.id
    run = run_checks(modernized, tmp_path, "network.nsg")
    assert run.only(target="vm:app01").status is Status.FAIL
    assert "of nsg-app01-nic on the network interface" in run.only(target="vm:app01").message
    assert run.only(target="vm:db01").status is Status.PASS
