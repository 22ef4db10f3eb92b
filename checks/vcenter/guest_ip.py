"""guest.ip_mode: which VMs had a static IP on-prem, recorded so it can be restored after failback.

vCenter's guest network information tells it while the VM runs on-prem; during a failback the VM is off and vCenter
usually has none, so ASR's discovery of the on-prem NICs tells it instead, when the Azure facts were collected. The
Azure NICs' allocation is evidence either way: it is what the VM runs on until failback.

After failback, the record taken before it (a saved report's evidence, or a failback run's plan) is in the facts
under RECORD_SOURCE: the check then tells whether the recorded static address is back, and the fix restores it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.guest import azure_addressing
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import FoundVm, Inventory, guest_family

IP_MODE = CheckMeta(
    id="guest.ip_mode",
    title="VMs with a static IP on-prem have their address recorded and its restore planned",
    severity=Severity.MEDIUM,
    gates=(Gate.REPROTECT, Gate.AFTER_FAILBACK),
    experiences=BOTH,
    sources=("vcenter",),
    optional_sources=("azure",),
    why="Linux guests, and every guest on modernized sites, come back on DHCP: the application is unreachable until the static address is set again.",
    remediation="plan-static-ip-restore",
)


# Not collected from a peer: the static configuration recorded before failback, by VM name (see runner/ip_record.py).
RECORD_SOURCE = "ip_record"


def static_addresses(nics: list[dict]) -> list[dict]:
    """Manually configured IPv4 addresses (IPv6 link-local and DHCP leases are not what an admin restores)."""
    found = []
    for nic in nics:
        for address in nic["addresses"]:
            manual = address["origin"] == "manual" or (address["origin"] in (None, "other") and nic["dhcp"] is False)
            if manual and ":" not in address["ip"]:
                found.append({"ip": address["ip"], "prefix": address["prefix"], "mac": nic["mac"], "network": nic["network"]})
    return found


def asr_static_addresses(source_nics: list[dict]) -> list[str]:
    """The on-prem addresses ASR discovered as static."""
    return [nic["ip"] for nic in source_nics if nic.get("ip") and (nic.get("ip_type") or "").lower() == "static"]


@register(IP_MODE)
def guest_ip_mode(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for vm in facts.site.vms:
        yield _ip_mode(facts, vm.name, inventory.vm(vm.name))


def _ip_mode(facts: Facts, name: str, found: FoundVm | None) -> Result:
    target = f"vm:{name}"
    asr = azure_addressing(facts, name)
    detail = found.detail if found else {}
    family = guest_family(detail) or (asr["os_family"] if asr else None)
    # Classic Windows guests keep their static address; Linux, and every guest on modernized sites, get DHCP.
    back_on_dhcp = facts.site.experience is Experience.MODERNIZED or family != "windows"
    evidence: dict[str, Any] = {"os_family": family, "back_on_dhcp": back_on_dhcp}
    if asr is not None:
        evidence["azure_nics"] = asr["azure_nics"]
    vm_state = f"VM {found.power_state}, tools {detail.get('tools_running_status') or 'unknown'}" if found else ""
    vcenter_silent = f"vCenter has no guest network information: {vm_state}" if found else "not in vCenter"

    recorded = (facts.sources.get(RECORD_SOURCE) or {}).get(name)
    if recorded and recorded.get("static"):
        return _against_record(name, target, recorded, detail, evidence, vcenter_silent)
    if detail.get("nics"):
        static = static_addresses(detail["nics"])
        evidence.update(addresses=[f"{a['ip']}/{a['prefix']}" for a in static], static=static, gateway=detail.get("gateway"),
                        dns=detail.get("dns", []), told_by="vcenter")
        had_static = f"{name} has static {', '.join(evidence['addresses'])} (gateway {evidence['gateway']})"
        on_dhcp = f"{name} uses DHCP"
    elif asr is not None and asr["source_nics"]:
        # ASR discovered the on-prem NICs before failover: their addresses, not the prefix, gateway or DNS.
        evidence.update(addresses=asr_static_addresses(asr["source_nics"]), source_nics=asr["source_nics"], gateway="unknown",
                        dns="unknown", told_by="asr")
        had_static = f"{name} had static {', '.join(evidence['addresses'])} on-prem, as ASR discovered it ({vcenter_silent}),"
        on_dhcp = f"{name} used DHCP on-prem, as ASR discovered it ({vcenter_silent})"
    elif found is None:
        return Result(IP_MODE.id, target, Status.WARN,
                      f"{name} is not in vCenter: record its IP configuration from the Azure NIC or your CMDB", evidence)
    else:
        return Result(IP_MODE.id, target, Status.WARN,
                      f"vCenter has no guest network information for {name} ({vm_state}): record its IP configuration by hand before failback",
                      {"power_state": found.power_state, **evidence})

    if not evidence["addresses"]:
        return Result(IP_MODE.id, target, Status.PASS, f"{on_dhcp}: nothing to restore", evidence)
    if back_on_dhcp:
        return Result(IP_MODE.id, target, Status.WARN, f"{had_static} and comes back on DHCP: restore it after failback", evidence)
    return Result(IP_MODE.id, target, Status.PASS, f"{name} keeps its static {', '.join(evidence['addresses'])} (classic, Windows)", evidence)


def _against_record(name: str, target: str, recorded: dict, detail: dict, evidence: dict[str, Any], vcenter_silent: str) -> Result:
    """After failback: is the address recorded before it set again, statically? (What vCenter's guest info says.)"""
    wanted = [f"{a['ip']}/{a['prefix']}" if a.get("prefix") else a["ip"] for a in recorded["static"]]
    evidence.update(addresses=wanted, static=recorded["static"], gateway=recorded.get("gateway"), dns=recorded.get("dns") or [],
                    told_by="record")
    nics = detail.get("nics") or []
    if not nics:
        return Result(IP_MODE.id, target, Status.WARN, f"{vcenter_silent}: {name}'s recorded static {', '.join(wanted)} is not confirmed back",
                      {**evidence, "restore_pending": True})
    now_static = {f"{a['ip']}/{a['prefix']}" for a in static_addresses(nics)} | {a["ip"] for a in static_addresses(nics)}
    now = [f"{a['ip']}/{a['prefix']} ({a['origin'] or 'unknown origin'})" for nic in nics for a in nic["addresses"] if ":" not in a["ip"]]
    if all(address in now_static for address in wanted):
        return Result(IP_MODE.id, target, Status.PASS, f"{name} has its recorded static {', '.join(wanted)} back", {**evidence, "now": now})
    return Result(IP_MODE.id, target, Status.WARN,
                  f"{name} came back without its recorded static {', '.join(wanted)} (now {', '.join(now) or 'no IPv4 address'}): "
                  "restore it (`failback fix --check guest.ip_mode`)", {**evidence, "now": now, "restore_pending": True})
