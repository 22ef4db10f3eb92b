"""The effective-rule evaluation network.nsg relies on, from small fixtures: priority order, every NSG must allow,
tags through their expansion, host names judged only where the rule does not depend on the address."""

from __future__ import annotations

from failback.checks.azure.nsg_rules import Flow, decide

FLOW = Flow("Outbound", "10.1.0.10", "10.0.0.5", 443)


def rule(name: str, priority: int, access: str, ports: str = "0-65535", destination: str = "0.0.0.0/0", expanded: list | None = None,
         protocol: str = "All", direction: str = "Outbound") -> dict:
    return {"name": name, "priority": priority, "direction": direction, "access": access, "protocol": protocol,
            "source_ports": ["0-65535"], "destination_ports": [ports],
            "source_prefixes": {"named": ["0.0.0.0/0"], "expanded": []},
            "destination_prefixes": {"named": [destination], "expanded": expanded or []}}


def group(*rules: dict, association: str = "subnet") -> dict:
    return {"security_group_id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkSecurityGroups/nsg",
            "association": association, "rules": list(rules)}


DEFAULTS = (rule("defaultSecurityRules/AllowVnetOutBound", 65000, "Allow", destination="VirtualNetwork", expanded=["10.1.0.0/16", "10.0.0.0/16"]),
            rule("defaultSecurityRules/DenyAllOutBound", 65500, "Deny"))


def test_the_lowest_priority_number_that_matches_decides():
    decision = decide([group(rule("Deny443", 100, "Deny", "443-443", "10.0.0.0/24"), *DEFAULTS)], FLOW)
    assert decision.allowed is False and decision.rule == "Deny443"
    assert decide([group(rule("Deny443", 100, "Deny", "80-80", "10.0.0.0/24"), *DEFAULTS)], FLOW).rule == "defaultSecurityRules/AllowVnetOutBound"


def test_a_tag_matches_through_its_expansion():
    assert decide([group(*DEFAULTS)], FLOW).allowed is True
    assert decide([group(*DEFAULTS)], Flow("Outbound", "10.1.0.10", "192.168.7.7", 443)).rule == "defaultSecurityRules/DenyAllOutBound"


def test_every_nsg_must_allow():
    nic_level = group(rule("DenyAll", 4000, "Deny"), association="network interface")
    assert decide([group(*DEFAULTS), nic_level], FLOW).allowed is False
    assert decide([], FLOW).allowed is True


def test_udp_rules_and_inbound_rules_do_not_apply_to_an_outbound_tcp_flow():
    assert decide([group(rule("DenyUdp", 100, "Deny", protocol="Udp"), rule("DenyIn", 101, "Deny", direction="Inbound"), *DEFAULTS)], FLOW).allowed


def test_a_host_name_is_undetermined_only_where_the_address_matters():
    by_name = Flow("Outbound", "10.1.0.10", "cs01.contoso.local", 443)
    assert decide([group(rule("AllowAny443", 100, "Allow", "443-443"), *DEFAULTS)], by_name).allowed is True
    undetermined = decide([group(*DEFAULTS)], by_name)
    assert undetermined.allowed is None and undetermined.rule == "defaultSecurityRules/AllowVnetOutBound"
