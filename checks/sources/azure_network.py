"""Network objects as facts: VPN connections with their tunnels and BGP peers, ExpressRoute circuits and peerings,
NICs with their addresses, effective security rules, and Network Watcher's connectivity answers."""

from __future__ import annotations

from typing import Any

from failback.checks.sources.azure_values import ref, text, when


def connection_facts(connection: Any) -> dict[str, Any]:
    return {
        "id": connection.id,
        "name": connection.name,
        "type": text(connection.connection_type),
        "status": text(connection.connection_status),
        "provisioning_state": text(connection.provisioning_state),
        "enable_bgp": bool(connection.enable_bgp),
        "gateway_id": ref(connection.virtual_network_gateway1),
        "local_gateway_id": ref(connection.local_network_gateway2),
        "tunnels": [{
            "name": tunnel.tunnel,
            "status": text(tunnel.connection_status),
            "ingress_bytes": tunnel.ingress_bytes_transferred,
            "egress_bytes": tunnel.egress_bytes_transferred,
            "last_connected": when(tunnel.last_connection_established_utc_time),
        } for tunnel in connection.tunnel_connection_status or []],
        "ingress_bytes": connection.ingress_bytes_transferred,
        "egress_bytes": connection.egress_bytes_transferred,
    }


def local_gateway_facts(gateway: Any) -> dict[str, Any]:
    bgp = gateway.bgp_settings
    space = gateway.local_network_address_space
    return {
        "id": gateway.id,
        "name": gateway.name,
        "gateway_ip": gateway.gateway_ip_address,
        "address_prefixes": list(space.address_prefixes or []) if space else [],
        "bgp_peering_address": bgp.bgp_peering_address if bgp else None,
        "asn": bgp.asn if bgp else None,
    }


def bgp_peer_facts(result: Any) -> list[dict[str, Any]]:
    return [{
        "neighbor": peer.neighbor,
        "asn": peer.asn,
        "state": text(peer.state),
        "routes_received": peer.routes_received,
        "connected_duration": peer.connected_duration,
    } for peer in (result.value if result else None) or []]


def circuit_facts(circuit: Any) -> dict[str, Any]:
    provider = circuit.service_provider_properties
    return {
        "id": circuit.id,
        "name": circuit.name,
        "provider_state": text(circuit.service_provider_provisioning_state),
        "circuit_state": text(circuit.circuit_provisioning_state),
        "provisioning_state": text(circuit.provisioning_state),
        "service_provider": provider.service_provider_name if provider else None,
        "peering_location": provider.peering_location if provider else None,
        "peerings": [{
            "type": text(peering.peering_type),
            "state": text(peering.state),
            "provisioning_state": text(peering.provisioning_state),
        } for peering in circuit.peerings or []],
    }


def nic_facts(nic: Any) -> dict[str, Any]:
    return {
        "id": nic.id,
        "name": nic.name,
        "vm_id": ref(nic.virtual_machine),
        "security_group_id": ref(nic.network_security_group),
        "ip_configurations": [{
            "private_ip": config.private_ip_address,
            "allocation": text(config.private_ip_allocation_method),
            "subnet_id": ref(config.subnet),
            "primary": bool(config.primary),
        } for config in nic.ip_configurations or []],
    }


def effective_security_facts(result: Any) -> list[dict[str, Any]]:
    """Each NSG that applies (on the NIC, on its subnet) with its rules as Azure evaluates them."""
    groups = []
    for group in result.value or []:
        association = group.association
        groups.append({
            "security_group_id": ref(group.network_security_group),
            "association": "subnet" if association is not None and association.subnet is not None else "network interface",
            "rules": [{
                "name": rule.name,
                "priority": rule.priority,
                "direction": text(rule.direction),
                "access": text(rule.access),
                "protocol": text(rule.protocol),
                "source_ports": [rule.source_port_range] if rule.source_port_range else list(rule.source_port_ranges or []),
                "destination_ports": ([rule.destination_port_range] if rule.destination_port_range
                                      else list(rule.destination_port_ranges or [])),
                "source_prefixes": _prefixes(rule.source_address_prefix, rule.source_address_prefixes, rule.expanded_source_address_prefix),
                "destination_prefixes": _prefixes(rule.destination_address_prefix, rule.destination_address_prefixes,
                                                  rule.expanded_destination_address_prefix),
            } for rule in group.effective_security_rules or []],
        })
    return groups


def _prefixes(prefix: str | None, prefixes: list[str] | None, expanded: list[str] | None) -> dict[str, list[str]]:
    """What a rule names (a CIDR, "*", a tag) and what a tag expands to."""
    return {"named": ([prefix] if prefix else []) + list(prefixes or []), "expanded": list(expanded or [])}


def connectivity_facts(result: Any) -> dict[str, Any]:
    return {
        "status": text(result.connection_status),
        "avg_latency_ms": result.avg_latency_in_ms,
        "probes_sent": result.probes_sent,
        "probes_failed": result.probes_failed,
        "hops": [{
            "type": hop.type,
            "address": hop.address,
            "resource_id": hop.resource_id or None,
            "issues": [{
                "type": text(issue.type),
                "origin": text(issue.origin),
                "severity": text(issue.severity),
                "context": {key: value for entry in issue.context or [] for key, value in entry.items()},
            } for issue in hop.issues or []],
        } for hop in result.hops or []],
    }
