"""Azure's evaluation of effective security rules, for one TCP flow: within each NSG (the NIC's, the subnet's) the rule
of lowest priority number that matches decides; the flow passes only if every NSG allows it.

A rule matches on direction, protocol, ports and both addresses; a tag (VirtualNetwork, Internet...) matches through
the prefixes Azure expanded it to. When the far end is a host name, not an address, only rules for any address can be
judged: a rule naming specific prefixes leaves the verdict undetermined.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

_ANY_ADDRESS = {"*", "0.0.0.0/0", "any", "::/0"}


@dataclass(frozen=True)
class Flow:
    direction: str  # Outbound | Inbound
    local_address: str  # the NIC's
    remote_address: str  # an IP address, or a host name
    port: int  # the destination port

    @property
    def source(self) -> str:
        return self.local_address if self.direction == "Outbound" else self.remote_address

    @property
    def destination(self) -> str:
        return self.remote_address if self.direction == "Outbound" else self.local_address


@dataclass(frozen=True)
class Decision:
    allowed: bool | None  # None: undetermined (a host name met a rule about specific prefixes)
    rule: str | None
    priority: int | None
    security_group: str | None
    association: str | None

    def describe(self) -> str:
        if self.security_group is None:
            return str(self.rule)
        group = self.security_group.rsplit("/", 1)[-1]
        return f"{self.rule} (priority {self.priority}) of {group} on the {self.association}"


def _in_ranges(port: int, ranges: list[str]) -> bool:
    for text in ranges:
        if text in ("*", "Any"):
            return True
        low, _, high = text.partition("-")
        if low.isdigit() and int(low) <= port <= int(high or low):
            return True
    return False


def _address_match(address: str, prefixes: dict[str, list[str]]) -> bool | None:
    """True, False, or None when the address is a name and the rule names specific prefixes."""
    named = prefixes["named"]
    if any(prefix.lower() in _ANY_ADDRESS for prefix in named):
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for prefix in [*named, *prefixes["expanded"]]:
        try:
            if ip in ipaddress.ip_network(prefix, strict=False):
                return True
        except ValueError:
            continue  # a tag without expansion (AzureLoadBalancer...) never holds an on-prem address
    return False


def _matches(rule: dict[str, Any], flow: Flow) -> bool | None:
    if rule["direction"] != flow.direction or (rule["protocol"] or "").lower() not in ("all", "*", "tcp"):
        return False
    if not _in_ranges(flow.port, rule["destination_ports"]):
        return False
    verdicts = [_address_match(flow.source, rule["source_prefixes"]), _address_match(flow.destination, rule["destination_prefixes"])]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _group_decision(group: dict[str, Any], flow: Flow) -> Decision:
    for rule in sorted(group["rules"], key=lambda rule: rule["priority"]):
        matched = _matches(rule, flow)
        if matched is False:
            continue
        allowed = None if matched is None else rule["access"] == "Allow"
        return Decision(allowed, rule["name"], rule["priority"], group["security_group_id"], group["association"])
    # Azure's default rules end in DenyAll: a group without a matching rule denies.
    return Decision(False, "no matching rule", None, group["security_group_id"], group["association"])


def decide(groups: list[dict[str, Any]], flow: Flow) -> Decision:
    """The flow's fate under all the NSGs that apply; with none, nothing filters it."""
    decisions = [_group_decision(group, flow) for group in groups]
    for decision in decisions:
        if decision.allowed is False:
            return decision
    for decision in decisions:
        if decision.allowed is None:
            return decision
    if decisions:
        return decisions[0]
    return Decision(True, "no network security group", None, None, None)
