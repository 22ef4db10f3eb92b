"""The read-only probe: which interface has the recorded MAC, how the guest configures it, what it has now.

The probe script only reads and prints tab-separated facts; choosing the method is done here, where it is testable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from failback.remediations.guest_ip.config import GuestNic, StaticNic

# Kernel interface names: what may safely go into a path and onto a command line.
_INTERFACE_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,15}$")

LINUX_PROBE = r"""#!/bin/sh
# failback: read-only probe of the guest's network configuration (changes nothing)
root="${FAILBACK_ROOT:-}"
for dev in "$root"/sys/class/net/*; do
  if [ -r "$dev/address" ]; then printf 'link\t%s\t%s\n' "${dev##*/}" "$(cat "$dev/address")"; fi
done
if command -v ip >/dev/null 2>&1; then
  ip -o link show 2>/dev/null | while IFS= read -r line; do printf 'iplink\t%s\n' "$line"; done
  ip -o -4 addr show 2>/dev/null | while IFS= read -r line; do printf 'ipaddr\t%s\n' "$line"; done
fi
if command -v netplan >/dev/null 2>&1; then
  for file in "$root"/etc/netplan/*.yaml; do if [ -e "$file" ]; then printf 'netplan\t%s\n' "${file#"$root"}"; fi; done
fi
if command -v nmcli >/dev/null 2>&1; then
  nmcli -t -f DEVICE,NAME connection show --active 2>/dev/null | while IFS= read -r line; do printf 'nm\t%s\n' "$line"; done
fi
for file in "$root"/etc/sysconfig/network-scripts/ifcfg-*; do
  if [ -e "$file" ]; then printf 'ifcfg\t%s\n' "${file##*/ifcfg-}"; fi
done
if [ -r "$root/etc/network/interfaces" ]; then
  while read -r keyword name family method rest; do
    if [ "$keyword" = iface ] && [ "$family" = inet ]; then printf 'iface\t%s\t%s\n' "$name" "$method"; fi
  done < "$root/etc/network/interfaces"
fi
exit 0
"""

WINDOWS_PROBE = "\r\n".join([
    "# failback: read-only probe of the guest's network configuration (changes nothing)",
    "Get-NetAdapter | ForEach-Object { \"link`t$($_.Name)`t$($_.MacAddress)\" }",
    "Get-NetIPAddress -AddressFamily IPv4 | ForEach-Object { \"addr`t$($_.InterfaceAlias)`t$($_.IPAddress)/$($_.PrefixLength)`t$($_.PrefixOrigin)\" }",
]) + "\r\n"


class ProbeError(Exception):
    """The probe's findings do not say which interface or method to change."""


def _mac(text: str) -> str:
    return text.strip().lower().replace("-", ":")


@dataclass
class Findings:
    links: dict[str, str] = field(default_factory=dict)  # interface -> MAC
    addresses: dict[str, list[str]] = field(default_factory=dict)  # interface -> "ip/prefix" it has now
    netplan_files: list[str] = field(default_factory=list)
    nm_connections: dict[str, str] = field(default_factory=dict)  # device -> active connection
    ifcfg: set[str] = field(default_factory=set)
    stanzas: dict[str, str] = field(default_factory=dict)  # interface -> its `iface ... inet` method
    windows: bool = False

    def interface_for(self, mac: str | None) -> str:
        candidates = {name: address for name, address in self.links.items() if name != "lo"}
        if mac is None:
            if len(candidates) == 1:
                return next(iter(candidates))
            raise ProbeError(f"no MAC was recorded and the guest has {len(candidates)} interfaces: {', '.join(sorted(candidates)) or 'none'}")
        matches = [name for name, address in candidates.items() if address == _mac(mac)]
        if not matches:
            raise ProbeError(f"no interface in the guest has the recorded MAC {mac} (found: "
                             + (", ".join(f"{n} {a}" for n, a in sorted(candidates.items())) or "none") + ")")
        return matches[0]

    def method_for(self, interface: str) -> GuestNic:
        """netplan renders what the others would read; NetworkManager owns its devices; then the files of ifupdown kinds."""
        if self.windows:
            return GuestNic("powershell", interface)
        if self.netplan_files:
            return GuestNic("netplan", interface)
        if interface in self.nm_connections:
            return GuestNic("nmcli", interface, self.nm_connections[interface])
        if interface in self.ifcfg:
            return GuestNic("ifcfg", interface)
        if interface in self.stanzas:
            return GuestNic("interfaces", interface)
        raise ProbeError(f"cannot tell how the guest configures {interface}: no netplan file, no active NetworkManager connection, "
                         "no ifcfg file and no /etc/network/interfaces stanza for it")

    def guest_nic(self, nic: StaticNic) -> GuestNic:
        return self.method_for(self.interface_for(nic.mac))


def parse_findings(output: str, windows: bool = False) -> Findings:
    findings = Findings(windows=windows)
    last_link: str | None = None
    for line in output.splitlines():
        kind, _, rest = line.rstrip("\r").partition("\t")
        fields = rest.split("\t")
        if kind == "link" and len(fields) >= 2 and _valid(fields[0], windows):
            findings.links[fields[0]] = _mac(fields[1])
        elif kind == "iplink":
            # `ip -o link`: "2: eth0: <BROADCAST,...> mtu 1500 ...\    link/ether 00:50:56:00:00:01 brd ..." on one line;
            # without -o (some builds ignore it for links) the link/ether part is the next line.
            named = re.match(r"^\d+:\s+([^:@\s]+)(?:@\S+)?:", rest)
            if named:
                last_link = named.group(1) if _valid(named.group(1), windows) else None
            ether = re.search(r"\blink/ether\s+([0-9a-fA-F:]{17})", rest)
            if ether and last_link:
                findings.links.setdefault(last_link, _mac(ether.group(1)))
        elif kind == "ipaddr":
            match = re.match(r"^\d+:\s+(\S+)\s+inet\s+(\S+)", rest)
            if match:
                findings.addresses.setdefault(match.group(1), []).append(match.group(2))
        elif kind == "addr" and len(fields) >= 2:
            findings.addresses.setdefault(fields[0], []).append(fields[1] + (f" ({fields[2].lower()})" if len(fields) > 2 and fields[2] else ""))
        elif kind == "netplan" and rest:
            findings.netplan_files.append(rest)
        elif kind == "nm" and rest:
            device, connection = _split_nmcli_terse(rest)
            if device and _valid(device, windows):
                findings.nm_connections[device] = connection
        elif kind == "ifcfg" and rest and _valid(rest, windows) and rest != "lo":
            findings.ifcfg.add(rest)
        elif kind == "iface" and len(fields) >= 2 and _valid(fields[0], windows):
            findings.stanzas[fields[0]] = fields[1]
    return findings


def _valid(interface: str, windows: bool) -> bool:
    # Windows adapter aliases ("Ethernet 2") are only ever quoted; Linux names also become paths.
    return bool(interface) and (windows or bool(_INTERFACE_NAME.match(interface)))


def _split_nmcli_terse(line: str) -> tuple[str, str]:
    """nmcli -t separates fields by ':' and escapes ':' and '\\' inside them with a backslash."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":" and not fields:
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return (fields[0], fields[1]) if len(fields) == 2 else ("", "")
