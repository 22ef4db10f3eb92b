"""Which generator writes the configuration for each method the probe can find."""

from __future__ import annotations

from collections.abc import Callable

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.ifcfg import ifcfg_script
from failback.remediations.guest_ip.interfaces import interfaces_script
from failback.remediations.guest_ip.netplan import netplan_script
from failback.remediations.guest_ip.netsh import netsh_script
from failback.remediations.guest_ip.nmcli import nmcli_script
from failback.remediations.guest_ip.powershell import powershell_script

GENERATORS: dict[str, Callable[[StaticNic, GuestNic], str]] = {
    "nmcli": nmcli_script,
    "netplan": netplan_script,
    "ifcfg": ifcfg_script,
    "interfaces": interfaces_script,
    "netsh": netsh_script,
    "powershell": powershell_script,
}
WINDOWS_METHODS = {"netsh", "powershell"}


def configuration_script(changes: list[tuple[StaticNic, GuestNic]]) -> str:
    """One script for every NIC to restore, in order: each part stops the script at its first failing command."""
    return "".join(GENERATORS[found.method](nic, found) for nic, found in changes)
