"""Windows PowerShell (NetTCPIP): DHCP off, the recorded addresses and gateway with New-NetIPAddress, DNS servers."""

from __future__ import annotations

from remediations.guest_ip.config import GuestNic, StaticNic
from remediations.guest_ip.windows_quoting import ps_quote


def powershell_commands(nic: StaticNic, found: GuestNic) -> list[str]:
    alias = ps_quote(found.interface)
    lines = [
        "$ErrorActionPreference = 'Stop'",
        f"Set-NetIPInterface -InterfaceAlias {alias} -AddressFamily IPv4 -Dhcp Disabled",
        # The DHCP lease and its default route would stay beside the static address.
        f"Get-NetIPAddress -InterfaceAlias {alias} -AddressFamily IPv4 -ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false",
        f"Get-NetRoute -InterfaceAlias {alias} -DestinationPrefix '0.0.0.0/0' -ErrorAction SilentlyContinue | Remove-NetRoute -Confirm:$false",
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
    the console, past the *> redirection that fills the log the operator is shown: the log would say nothing."""
    preference, *changes = powershell_commands(nic, found)
    lines = [preference, "try {", *(f"    {line}" for line in changes), "} catch {",
             '    "$($_.InvocationInfo.MyCommand.Name): $($_.Exception.Message)"', "    exit 1", "}"]
    return "\r\n".join(lines) + "\r\n"
