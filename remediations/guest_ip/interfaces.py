"""Debian ifupdown: replace the NIC's stanza in /etc/network/interfaces with an `inet static` one; ifdown, ifup."""

from __future__ import annotations

import shlex

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.shell import backup, command, guest_path, header, script

PATH = "/etc/network/interfaces"

# awk: drop the interface's `auto`/`allow-hotplug` mention and its `iface NAME inet` stanza (up to the next stanza).
_DROP_STANZA = r"""
$1 == "iface" { skipping = ($2 == name && $3 == "inet") }
$1 == "auto" || $1 ~ /^allow-/ || $1 == "mapping" || $1 == "source" || $1 == "source-directory" { skipping = 0 }
($1 == "auto" || $1 ~ /^allow-/) && NF == 2 && $2 == name { next }
!skipping { print }
""".strip()


def interfaces_stanza(nic: StaticNic, found: GuestNic) -> str:
    lines = [f"auto {found.interface}", f"iface {found.interface} inet static"]
    lines += [f"    address {address}" for address in nic.addresses]
    if nic.gateway:
        lines.append(f"    gateway {nic.gateway}")
    if nic.dns:
        lines.append(f"    dns-nameservers {' '.join(nic.dns)}")
    return "\n".join(lines) + "\n"


def interfaces_script(nic: StaticNic, found: GuestNic) -> str:
    target, temporary = guest_path(PATH), guest_path(PATH + ".failback-new")
    return script([
        *header(f"static IPv4 for {found.interface} in {PATH}"),
        # Down with the configuration it came up with, so ifupdown forgets the DHCP lease.
        f"{command('ifdown', found.interface)} || true",
        backup(PATH),
        f"awk -v name={shlex.quote(found.interface)} {shlex.quote(_DROP_STANZA)} {target} > {temporary}",
        f"printf '\\n%s' {shlex.quote(interfaces_stanza(nic, found))} >> {temporary}",
        f"chmod 0644 {temporary}",
        f"mv -f {temporary} {target}",
        command("ifup", found.interface),
    ])
