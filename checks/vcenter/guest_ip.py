"""guest.ip_mode (vCenter half): which VMs run a static IP today, recorded so it can be restored after failback."""

from __future__ import annotations

from collections.abc import Iterator

from checks.facts import Facts
from checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from checks.registry import register
from checks.vcenter.inventory import Inventory, guest_family

IP_MODE = CheckMeta(
    id="guest.ip_mode",
    title="VMs with a static IP on-prem have their address recorded and its restore planned",
    severity=Severity.MEDIUM,
    gates=(Gate.REPROTECT, Gate.AFTER_FAILBACK),
    experiences=BOTH,
    sources=("vcenter",),
    why="Linux guests, and every guest on modernized sites, come back on DHCP: the application is unreachable until the static address is set again.",
    remediation="plan-static-ip-restore",
)


def static_addresses(nics: list[dict]) -> list[dict]:
    """Manually configured IPv4 addresses (IPv6 link-local and DHCP leases are not what an admin restores)."""
    found = []
    for nic in nics:
        for address in nic["addresses"]:
            manual = address["origin"] == "manual" or (address["origin"] in (None, "other") and nic["dhcp"] is False)
            if manual and ":" not in address["ip"]:
                found.append({"ip": address["ip"], "prefix": address["prefix"], "mac": nic["mac"], "network": nic["network"]})
    return found


@register(IP_MODE)
def guest_ip_mode(facts: Facts) -> Iterator[Result]:
    inventory = Inventory(facts)
    for vm in facts.site.vms:
        target = f"vm:{vm.name}"
        found = inventory.vm(vm.name)
        if found is None:
            yield Result(IP_MODE.id, target, Status.WARN, f"{vm.name} is not in vCenter: record its IP configuration from the Azure NIC or your CMDB", {})
            continue
        detail = found.detail
        nics = detail.get("nics", [])
        if not nics:
            yield Result(
                IP_MODE.id, target, Status.WARN,
                f"vCenter has no guest network information for {vm.name} (VM {found.power_state}, tools "
                f"{detail.get('tools_running_status') or 'unknown'}): record its IP configuration by hand before failback",
                {"power_state": found.power_state},
            )
            continue
        family = guest_family(detail)
        # Classic Windows guests keep their static address; Linux, and every guest on modernized sites, get DHCP.
        back_on_dhcp = facts.site.experience is Experience.MODERNIZED or family != "windows"
        static = static_addresses(nics)
        evidence = {"addresses": [f"{a['ip']}/{a['prefix']}" for a in static], "static": static, "gateway": detail.get("gateway"),
                    "dns": detail.get("dns", []), "os_family": family, "back_on_dhcp": back_on_dhcp}
        if not static:
            yield Result(IP_MODE.id, target, Status.PASS, f"{vm.name} uses DHCP: nothing to restore", evidence)
        elif back_on_dhcp:
            yield Result(
                IP_MODE.id, target, Status.WARN,
                f"{vm.name} has static {', '.join(evidence['addresses'])} (gateway {evidence['gateway']}) and comes back on DHCP: restore it after failback",
                evidence,
            )
        else:
            yield Result(IP_MODE.id, target, Status.PASS, f"{vm.name} keeps its static {', '.join(evidence['addresses'])} (classic, Windows)", evidence)
