"""Red Hat network-scripts: rewrite ifcfg-<interface> with BOOTPROTO=none and the addresses, keeping its other keys."""

from __future__ import annotations

import shlex

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.shell import backup, command, guest_path, header, script

DIRECTORY = "/etc/sysconfig/network-scripts"
# The keys this fix owns; every other line of the file (NAME, DEVICE, UUID, ONBOOT...) is kept as it was.
OWNED_KEYS = r"^[[:space:]]*(BOOTPROTO|IPADDR[0-9]*|PREFIX[0-9]*|NETMASK[0-9]*|GATEWAY|DNS[0-9]+|PEERDNS|DEFROUTE)="


def ifcfg_path(interface: str) -> str:
    return f"{DIRECTORY}/ifcfg-{interface}"


def ifcfg_assignments(nic: StaticNic, found: GuestNic) -> list[str]:
    lines = ["BOOTPROTO=none"]
    for index, interface in enumerate(nic.interfaces):
        suffix = "" if index == 0 else str(index)
        lines += [f"IPADDR{suffix}={shlex.quote(str(interface.ip))}", f"PREFIX{suffix}={interface.network.prefixlen}"]
    if nic.gateway:
        lines += [f"GATEWAY={shlex.quote(nic.gateway)}", "DEFROUTE=yes"]
    lines += [f"DNS{number}={shlex.quote(server)}" for number, server in enumerate(nic.dns, 1)]
    if nic.dns:
        lines.append("PEERDNS=no")
    return lines


def ifcfg_script(nic: StaticNic, found: GuestNic) -> str:
    path = ifcfg_path(found.interface)
    target, temporary = guest_path(path), guest_path(path + ".failback-new")
    fresh = [f"DEVICE={shlex.quote(found.interface)}", "ONBOOT=yes"] + ([f"HWADDR={shlex.quote(nic.mac)}"] if nic.mac else [])
    body = "\n".join(ifcfg_assignments(nic, found)) + "\n"
    return script([
        *header(f"static IPv4 for {found.interface} in {path}"),
        backup(path),
        f"if [ -e {target} ]; then grep -Ev {shlex.quote(OWNED_KEYS)} {target} > {temporary} || true; "
        f"else printf '%s\\n' {' '.join(shlex.quote(line) for line in fresh)} > {temporary}; fi",
        f"printf '%s' {shlex.quote(body)} >> {temporary}",
        f"chmod 0644 {temporary}",
        f"mv -f {temporary} {target}",
        # NetworkManager (its ifcfg-rh plugin) reads the file again on reload; ifup then applies it, with or without NM.
        "if command -v nmcli >/dev/null 2>&1; then nmcli connection reload; fi",
        f"{command('ifdown', found.interface)} || true",
        command("ifup", found.interface),
    ])
