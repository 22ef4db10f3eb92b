"""Windows netsh: set the adapter's IPv4 address, mask and gateway statically, then its DNS servers."""

from __future__ import annotations

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.windows_quoting import netsh_name


def netsh_commands(nic: StaticNic, found: GuestNic) -> list[str]:
    name = netsh_name(found.interface)
    first, *more = nic.interfaces
    lines = [f"netsh interface ipv4 set address name={name} static {first.ip} {first.netmask}" + (f" {nic.gateway}" if nic.gateway else "")]
    lines += [f"netsh interface ipv4 add address name={name} {extra.ip} {extra.netmask}" for extra in more]
    if nic.dns:
        primary, *others = nic.dns
        lines.append(f"netsh interface ipv4 set dnsservers name={name} static {primary} primary validate=no")
        lines += [f"netsh interface ipv4 add dnsservers name={name} {server} index={index} validate=no" for index, server in enumerate(others, 2)]
    return lines


def netsh_script(nic: StaticNic, found: GuestNic) -> str:
    """A batch file that stops at the first failing command (netsh's own exit code)."""
    return "\r\n".join(["@echo off", *(f"{line} || exit /b 1" for line in netsh_commands(nic, found))]) + "\r\n"
