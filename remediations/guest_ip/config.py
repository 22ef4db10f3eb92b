"""The static configuration recorded before failback, per NIC, and what the manual restore of it says."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


class RecordError(ValueError):
    """The record cannot drive an automatic restore (no prefix or MAC, as when ASR alone discovered the address)."""


@dataclass(frozen=True)
class StaticNic:
    """One NIC's recorded static IPv4 configuration: its addresses as "ip/prefix", and the gateway and DNS when it has them."""

    mac: str | None
    addresses: tuple[str, ...]
    gateway: str | None = None
    dns: tuple[str, ...] = ()

    @property
    def interfaces(self) -> list[ipaddress.IPv4Interface]:
        return [ipaddress.IPv4Interface(address) for address in self.addresses]

    def describe(self) -> str:
        return (", ".join(self.addresses) + (f" gateway {self.gateway}" if self.gateway else "")
                + (f" DNS {', '.join(self.dns)}" if self.dns else "") + (f" on the NIC with MAC {self.mac}" if self.mac else ""))


@dataclass(frozen=True)
class GuestNic:
    """What the probe found in the guest for a recorded NIC: how its network is configured and under which names."""

    method: str  # nmcli, netplan, ifcfg, interfaces, netsh, powershell
    interface: str  # the kernel's interface name (Linux) or the adapter's alias (Windows)
    connection: str | None = None  # NetworkManager's connection name


def record_from_evidence(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """The restorable part of guest.ip_mode's evidence: static addresses with prefix and MAC, gateway, DNS, the OS family."""
    return {"static": [dict(address) for address in evidence.get("static") or []], "gateway": evidence.get("gateway"),
            "dns": list(evidence.get("dns") or []) if isinstance(evidence.get("dns"), list) else [],
            "os_family": evidence.get("os_family")}


def static_nics(record: Mapping[str, Any]) -> list[StaticNic]:
    """The record's addresses grouped by NIC; gateway and DNS go to the NIC whose subnet holds the gateway (else the first)."""
    static = record.get("static") or []
    if not static:
        raise RecordError("the record holds no static address")
    if any(not address.get("prefix") for address in static):
        raise RecordError("the record has no prefix length for the address (ASR discovered it, not vCenter)")
    by_mac: dict[str | None, list[str]] = {}
    for address in static:
        ipaddress.IPv4Address(address["ip"])  # a damaged record stops here, not in the guest
        by_mac.setdefault(_mac(address.get("mac")), []).append(f"{address['ip']}/{int(address['prefix'])}")
    gateway = record.get("gateway") if record.get("gateway") not in (None, "unknown") else None
    dns = tuple(record.get("dns") or ())
    macs = list(by_mac)
    owner = next((mac for mac in macs if gateway and _holds(by_mac[mac], gateway)), macs[0])
    return [StaticNic(mac, tuple(by_mac[mac]), gateway if mac == owner else None, dns if mac == owner else ()) for mac in macs]


def _mac(value: str | None) -> str | None:
    return value.strip().lower().replace("-", ":") if value else None


def _holds(addresses: Iterable[str], gateway: str) -> bool:
    return any(ipaddress.IPv4Address(gateway) in ipaddress.IPv4Interface(address).network for address in addresses)


def manual_steps(vm: str, addresses: Iterable[str], gateway: str | None, dns: Iterable[str]) -> tuple[str, ...]:
    """What the operator sets by hand from the VM console when the tool cannot."""
    dns = list(dns)
    return (
        f"{vm} came back on DHCP. From the VM console set {', '.join(addresses)}"
        + (f", gateway {gateway}" if gateway and gateway != "unknown" else "") + (f", DNS {', '.join(dns)}" if dns else "") + ".",
        "Check that the application's clients reach it at that address.",
    )


def nics_manual_steps(vm: str, nics: list[StaticNic]) -> tuple[str, ...]:
    gateway = next((nic.gateway for nic in nics if nic.gateway), None)
    return manual_steps(vm, [a for nic in nics for a in nic.addresses], gateway, [d for nic in nics for d in nic.dns])
