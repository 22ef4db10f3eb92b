"""NetworkManager: switch the NIC's connection to manual addressing with nmcli and bring it up again."""

from __future__ import annotations

import shlex

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.shell import BACKUP_SUFFIX, command, guest_path, header, script

KEYFILE_DIRECTORY = "/etc/NetworkManager/system-connections"


def nmcli_commands(nic: StaticNic, found: GuestNic) -> list[list[str]]:
    connection = found.connection or found.interface
    modify = ["nmcli", "connection", "modify", connection, "ipv4.method", "manual", "ipv4.addresses", ",".join(nic.addresses),
              "ipv4.gateway", nic.gateway or "", "ipv4.dns", " ".join(nic.dns), "ipv4.ignore-auto-dns", "yes" if nic.dns else "no"]
    return [modify, ["nmcli", "connection", "up", connection]]


def nmcli_script(nic: StaticNic, found: GuestNic) -> str:
    connection = found.connection or found.interface
    # nmcli rewrites the connection's keyfile, whose name need not be the connection's: keep the one holding its id.
    keep_keyfile = (f"for keyfile in {guest_path(KEYFILE_DIRECTORY)}/*; do "
                    f"if [ -f \"$keyfile\" ] && [ ! -e \"$keyfile{BACKUP_SUFFIX}\" ] && grep -qx {shlex.quote('id=' + connection)} \"$keyfile\"; "
                    f"then cp -p \"$keyfile\" \"$keyfile{BACKUP_SUFFIX}\"; fi; done")
    return script([*header(f"static IPv4 for {found.interface} through NetworkManager connection {connection}"),
                   keep_keyfile, *(command(*words) for words in nmcli_commands(nic, found))])
