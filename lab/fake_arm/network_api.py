"""The network side of the fake: VPN connections and their gateways' BGP peers, ExpressRoute circuits, NICs with their
effective security rules, and Network Watcher's connectivity check, in the shapes azure-mgmt-network deserialises.

Effective rules are computed as Azure does: the NIC's NSG and its subnet's NSG, each with its own rules and the default
ones, the VirtualNetwork tag expanded to the VNet's space plus the on-prem prefixes the local gateways bring in.
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

from failback.lab.fake_arm.routes import NETWORK, SUBSCRIPTION, ArmError, Request, Response, iso, member, paged, resource_group, route
from failback.lab.fake_arm.state import (
    Circuit,
    LocalNetworkGateway,
    NetworkInterface,
    SecurityGroup,
    SecurityRule,
    VirtualNetwork,
    VpnConnection,
    utc_now,
)

_NET = "Microsoft.Network/"


# -- VPN -------------------------------------------------------------------------------------------------------------------
def render_connection(group, connection: VpnConnection) -> dict[str, Any]:
    return {
        "id": connection.id,
        "name": connection.name,
        "type": _NET + "connections",
        "location": "westeurope",
        "properties": {
            "connectionType": connection.connection_type,
            "connectionStatus": connection.status,
            "enableBgp": connection.enable_bgp,
            "provisioningState": connection.provisioning_state,
            "virtualNetworkGateway1": {"id": _reference(group, "virtualNetworkGateways", connection.gateway)},
            "localNetworkGateway2": {"id": _reference(group, "localNetworkGateways", connection.local_gateway)},
            "tunnelConnectionStatus": [{
                "tunnel": tunnel.name,
                "connectionStatus": tunnel.status,
                "ingressBytesTransferred": tunnel.ingress_bytes,
                "egressBytesTransferred": tunnel.egress_bytes,
                "lastConnectionEstablishedUtcTime": iso(utc_now()) if tunnel.status == "Connected" else None,
            } for tunnel in connection.tunnels],
            "ingressBytesTransferred": sum(tunnel.ingress_bytes for tunnel in connection.tunnels),
            "egressBytesTransferred": sum(tunnel.egress_bytes for tunnel in connection.tunnels),
        },
    }


def _reference(group, kind: str, name_or_id: str) -> str:
    """A connection names its gateways by name in its own group, or by id anywhere."""
    return name_or_id if name_or_id.startswith("/") else f"{group.id}/providers/{_NET}{kind}/{name_or_id}"


def render_local_gateway(gateway: LocalNetworkGateway) -> dict[str, Any]:
    properties: dict[str, Any] = {"gatewayIpAddress": gateway.gateway_ip, "provisioningState": "Succeeded",
                                  "localNetworkAddressSpace": {"addressPrefixes": list(gateway.address_prefixes)}}
    if gateway.bgp_peering_address:
        properties["bgpSettings"] = {"asn": gateway.asn, "bgpPeeringAddress": gateway.bgp_peering_address}
    return {"id": gateway.id, "name": gateway.name, "type": _NET + "localNetworkGateways", "location": "westeurope", "properties": properties}


@route("GET", NETWORK + r"/connections/(?P<name>[^/]+)")
def _get_connection(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    return Response(200, render_connection(group, member(group.connections, request.params["name"], _NET + "connections", group)))


@route("GET", NETWORK + r"/localNetworkGateways/(?P<name>[^/]+)")
def _get_local_gateway(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    return Response(200, render_local_gateway(member(group.local_gateways, request.params["name"], _NET + "localNetworkGateways", group)))


@route("POST", NETWORK + r"/virtualNetworkGateways/(?P<name>[^/]+)/getBgpPeerStatus")
def _bgp_peer_status(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    gateway = member(group.gateways, request.params["name"], _NET + "virtualNetworkGateways", group)
    peers = [{"localAddress": peer.local_address, "neighbor": peer.neighbor, "asn": peer.asn, "state": peer.state,
              "connectedDuration": "05:12:44.1234567" if peer.state == "Connected" else None,
              "routesReceived": peer.routes_received if peer.state == "Connected" else 0, "messagesSent": 1200, "messagesReceived": 1180}
             for peer in gateway.bgp_peers]
    return arm.operations.accept(request, {"value": peers}, gateway.location)


# -- ExpressRoute ------------------------------------------------------------------------------------------------------------
def render_circuit(circuit: Circuit) -> dict[str, Any]:
    return {
        "id": circuit.id,
        "name": circuit.name,
        "type": _NET + "expressRouteCircuits",
        "location": "westeurope",
        "sku": {"name": "Standard_MeteredData", "tier": "Standard", "family": "MeteredData"},
        "properties": {
            "serviceProviderProvisioningState": circuit.provider_state,
            "circuitProvisioningState": circuit.circuit_state,
            "provisioningState": "Succeeded",
            "serviceProviderProperties": {"serviceProviderName": circuit.service_provider, "peeringLocation": circuit.peering_location,
                                          "bandwidthInMbps": circuit.bandwidth_mbps},
            "peerings": [{
                "id": f"{circuit.id}/peerings/{peering.peering_type}",
                "name": peering.peering_type,
                "properties": {"peeringType": peering.peering_type, "state": peering.state,
                               "provisioningState": peering.provisioning_state, "azureASN": 12076, "peerASN": 65010},
            } for peering in circuit.peerings],
        },
    }


@route("GET", NETWORK + r"/expressRouteCircuits/(?P<name>[^/]+)")
def _get_circuit(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    return Response(200, render_circuit(member(group.circuits, request.params["name"], _NET + "expressRouteCircuits", group)))


# -- NICs and their effective security rules ---------------------------------------------------------------------------------
def render_nic(nic: NetworkInterface) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "primary": True,
        "ipConfigurations": [{
            "id": f"{nic.id}/ipConfigurations/ipconfig1",
            "name": "ipconfig1",
            "properties": {"privateIPAddress": nic.private_ip, "privateIPAllocationMethod": nic.allocation, "primary": True,
                           "privateIPAddressVersion": "IPv4", "subnet": {"id": nic.subnet_id}},
        }],
    }
    if nic.vm_id:
        properties["virtualMachine"] = {"id": nic.vm_id}
    if nic.security_group_id:
        properties["networkSecurityGroup"] = {"id": nic.security_group_id}
    return {"id": nic.id, "name": nic.name, "type": _NET + "networkInterfaces", "location": "westeurope", "properties": properties}


@route("GET", NETWORK + r"/networkInterfaces")
def _list_nics(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    return paged(request, [render_nic(nic) for nic in group.nics.values()], arm.page_size)


@route("GET", SUBSCRIPTION + r"/providers/Microsoft\.Network/networkInterfaces")
def _list_all_nics(arm, request: Request) -> Response:
    """Every NIC of the subscription, as network_interfaces.list_all() reads them."""
    nics = [nic for group in arm.world.resource_groups.values() for nic in group.nics.values()]
    return paged(request, [render_nic(nic) for nic in nics], arm.page_size)


@route("GET", NETWORK + r"/networkInterfaces/(?P<name>[^/]+)")
def _get_nic(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    return Response(200, render_nic(member(group.nics, request.params["name"], _NET + "networkInterfaces", group)))


_DEFAULT_RULES = (
    SecurityRule("AllowVnetInBound", 65000, "Inbound", "Allow", "*", "*", "VirtualNetwork", "VirtualNetwork"),
    SecurityRule("AllowAzureLoadBalancerInBound", 65001, "Inbound", "Allow", "*", "*", "*", "AzureLoadBalancer"),
    SecurityRule("DenyAllInBound", 65500, "Inbound", "Deny", "*", "*", "*", "*"),
    SecurityRule("AllowVnetOutBound", 65000, "Outbound", "Allow", "*", "*", "VirtualNetwork", "VirtualNetwork"),
    SecurityRule("AllowInternetOutBound", 65001, "Outbound", "Allow", "*", "*", "Internet", "*"),
    SecurityRule("DenyAllOutBound", 65500, "Outbound", "Deny", "*", "*", "*", "*"),
)
_PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8")]


@cache
def _internet_prefixes() -> tuple[str, ...]:
    """The Internet tag, roughly: IPv4 without the private and shared ranges."""
    remaining = [ipaddress.ip_network("0.0.0.0/0")]
    for private in _PRIVATE:
        remaining = [piece for network in remaining
                     for piece in (network.address_exclude(private) if private.subnet_of(network) else [network])]
    return tuple(sorted(str(network) for network in remaining))


def _address(prefix: str, virtual_network: list[str]) -> tuple[str, list[str]]:
    """(prefix, expanded prefixes) as effective rules show them."""
    if prefix == "*":
        return "0.0.0.0/0", []
    if prefix == "VirtualNetwork":
        return prefix, list(virtual_network)
    if prefix == "Internet":
        return prefix, list(_internet_prefixes())
    return prefix, []


def _ports(port_range: str) -> str:
    if port_range == "*":
        return "0-65535"
    return port_range if "-" in port_range else f"{port_range}-{port_range}"


def _effective_rule(rule: SecurityRule, kind: str, virtual_network: list[str]) -> dict[str, Any]:
    source, expanded_source = _address(rule.source_address_prefix, virtual_network)
    destination, expanded_destination = _address(rule.destination_address_prefix, virtual_network)
    return {
        "name": f"{kind}/{rule.name}",
        "protocol": "All" if rule.protocol == "*" else rule.protocol,
        "sourcePortRange": _ports(rule.source_port_range),
        "destinationPortRange": _ports(rule.destination_port_range),
        "sourceAddressPrefix": source,
        "destinationAddressPrefix": destination,
        "expandedSourceAddressPrefix": expanded_source,
        "expandedDestinationAddressPrefix": expanded_destination,
        "access": rule.access,
        "priority": rule.priority,
        "direction": rule.direction,
    }


def _effective_group(group: SecurityGroup, association: dict[str, Any], virtual_network: list[str]) -> dict[str, Any]:
    rules = [_effective_rule(rule, "securityRules", virtual_network) for rule in group.rules]
    rules += [_effective_rule(rule, "defaultSecurityRules", virtual_network) for rule in _DEFAULT_RULES]
    return {"networkSecurityGroup": {"id": group.id}, "association": association, "effectiveSecurityRules": rules}


def effective_security_groups(arm, nic: NetworkInterface) -> dict[str, Any]:
    world = arm.world
    subnet = world.find(nic.subnet_id)
    network: VirtualNetwork | None = world.find(nic.subnet_id.rsplit("/subnets/", 1)[0])
    on_prem = [prefix for group in world.resource_groups.values() for gateway in group.local_gateways.values()
               for prefix in gateway.address_prefixes]
    virtual_network = (network.address_space if network else []) + on_prem
    groups = []
    if nic.security_group_id and (nsg := world.find(nic.security_group_id)) is not None:
        groups.append(_effective_group(nsg, {"networkInterface": {"id": nic.id}}, virtual_network))
    if subnet is not None and subnet.security_group_id and (nsg := world.find(subnet.security_group_id)) is not None:
        groups.append(_effective_group(nsg, {"subnet": {"id": nic.subnet_id}}, virtual_network))
    return {"value": groups}


@route("POST", NETWORK + r"/networkInterfaces/(?P<name>[^/]+)/effectiveNetworkSecurityGroups")
def _effective_nsgs(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    nic = member(group.nics, request.params["name"], _NET + "networkInterfaces", group)
    return arm.operations.accept(request, effective_security_groups(arm, nic))


# -- Network Watcher -----------------------------------------------------------------------------------------------------------
@route("POST", NETWORK + r"/networkWatchers/(?P<name>[^/]+)/connectivityCheck")
def _connectivity_check(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    watcher = member(group.watchers, request.params["name"], _NET + "networkWatchers", group)
    body = request.body if isinstance(request.body, dict) else {}
    source_id = (body.get("source") or {}).get("resourceId", "")
    destination = body.get("destination") or {}
    vm = arm.world.find(source_id)
    if vm is None:
        raise ArmError(404, "ResourceNotFound", f"Source resource {source_id} was not found.")
    nic = arm.world.find(vm.nic_ids[0]) if vm.nic_ids else None
    address, port = destination.get("address", ""), int(destination.get("port") or 0)
    verdict = watcher.verdict(address, port)
    hops = [
        {"type": "Source", "id": "hop-source", "address": nic.private_ip if nic else "", "resourceId": vm.id, "nextHopIds": ["hop-gateway"]},
        {"type": "VirtualNetworkGateway", "id": "hop-gateway", "address": "10.1.255.30", "resourceId": "", "nextHopIds": ["hop-destination"]},
        {"type": "VirtualNetwork", "id": "hop-destination", "address": address, "resourceId": "", "nextHopIds": []},
    ]
    if verdict.status != "Reachable":
        failing = next((index for index, hop in enumerate(hops) if hop["address"] == verdict.failing_hop), 0)
        hops = hops[:failing + 1]
        hops[-1]["nextHopIds"] = []
        hops[-1]["issues"] = [{"origin": issue.origin, "severity": issue.severity, "type": issue.type,
                               "context": [{key: value} for key, value in issue.context.items()]} for issue in verdict.issues]
    for hop in hops:
        hop.setdefault("issues", [])
    reachable = verdict.status == "Reachable"
    result = {"hops": hops, "connectionStatus": verdict.status, "avgLatencyInMs": verdict.latency_ms if reachable else None,
              "minLatencyInMs": verdict.latency_ms if reachable else None, "maxLatencyInMs": verdict.latency_ms if reachable else None,
              "probesSent": 66, "probesFailed": 0 if reachable else 66}
    return arm.operations.accept(request, result, watcher.location)
