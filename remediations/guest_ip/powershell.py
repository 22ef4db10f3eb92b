"""Windows PowerShell (NetTCPIP): DHCP off, the recorded addresses and gateway with New-NetIPAddress, DNS servers."""

from __future__ import annotations

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.windows_quoting import ps_quote


def _removals(alias: str) -> list[str]:
    """The interface's IPv4 addresses and default route, gone: the DHCP lease's before the static ones are set (they would
    stay beside them), and whatever was set before a failure, on the way back to DHCP."""
    return [
        f"Get-NetIPAddress -InterfaceAlias {alias} -AddressFamily IPv4 -ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false",
        f"Get-NetRoute -InterfaceAlias {alias} -DestinationPrefix '0.0.0.0/0' -ErrorAction SilentlyContinue | Remove-NetRoute -Confirm:$false",
    ]


def powershell_commands(nic: StaticNic, found: GuestNic) -> list[str]:
    alias = ps_quote(found.interface)
    lines = [
        "$ErrorActionPreference = 'Stop'",
        f"Set-NetIPInterface -InterfaceAlias {alias} -AddressFamily IPv4 -Dhcp Disabled",
        *_removals(alias),
    ]
    for index, interface in enumerate(nic.interfaces):
        gateway = f" -DefaultGateway {ps_quote(nic.gateway)}" if nic.gateway and index == 0 else ""
        lines.append(f"New-NetIPAddress -InterfaceAlias {alias} -AddressFamily IPv4 -IPAddress {ps_quote(str(interface.ip))} "
                     f"-PrefixLength {interface.network.prefixlen}{gateway}")
    if nic.dns:
        lines.append(f"Set-DnsClientServerAddress -InterfaceAlias {alias} -ServerAddresses {','.join(ps_quote(s) for s in nic.dns)}")
    return lines


def powershell_script(nic: StaticNic, found: GuestNic) -> str:
    """Stops at the first error and writes it to the output, then exits 1. Uncaught, a terminating error would go to
    the console, past the *> redirection that fills the log the operator is shown: the log would say nothing.

    On Windows each cmdlet takes effect at once: a failure after DHCP is off would leave the VM with no address at all.
    The catch puts it back on DHCP, as the probe found it, before exiting."""
    preference, *changes = powershell_commands(nic, found)
    alias = ps_quote(found.interface)
    rollback = ["$ErrorActionPreference = 'SilentlyContinue'", *_removals(alias),  # the first error is the one to show
                f"Set-NetIPInterface -InterfaceAlias {alias} -AddressFamily IPv4 -Dhcp Enabled",
                f"Set-DnsClientServerAddress -InterfaceAlias {alias} -ResetServerAddresses"]
    lines = [preference, "try {", *(f"    {line}" for line in changes), "} catch {",
             '    "$($_.InvocationInfo.MyCommand.Name): $($_.Exception.Message)"', *(f"    {line}" for line in rollback),
             "    exit 1", "}"]
    return "\r\n".join(lines) + "\r\n"
