"""netplan: a drop-in that sorts after the installer's and cloud-init's files, turning DHCP off for the NIC; then apply."""

from __future__ import annotations

import json

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.shell import header, script, write_file

DROP_IN = "/etc/netplan/60-failback-static.yaml"


def netplan_yaml(nic: StaticNic, found: GuestNic) -> str:
    """The drop-in; scalars are JSON strings (valid YAML) so no value can break the document."""
    quoted = json.dumps
    # Keyed by the interface name so netplan merges it with the existing definition of the same NIC.
    lines = ["network:", "  version: 2", "  ethernets:", f"    {quoted(found.interface)}:"]
    if nic.mac:
        lines += ["      match:", f"        macaddress: {quoted(nic.mac)}", f"      set-name: {quoted(found.interface)}"]
    lines += ["      dhcp4: false", f"      addresses: [{', '.join(quoted(a) for a in nic.addresses)}]"]
    if nic.gateway:
        lines += ["      routes:", "        - to: default", f"          via: {quoted(nic.gateway)}"]
    if nic.dns:
        lines += ["      nameservers:", f"        addresses: [{', '.join(quoted(d) for d in nic.dns)}]"]
    return "\n".join(lines) + "\n"


def netplan_script(nic: StaticNic, found: GuestNic) -> str:
    return script([*header(f"static IPv4 for {found.interface} through netplan"),
                   *write_file(DROP_IN, netplan_yaml(nic, found), mode="0600"),  # netplan warns of group/world-readable files
                   "netplan apply"])
