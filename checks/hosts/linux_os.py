"""mt.linux_os: the Linux master target runs a supported distribution and kernel, without LVM and without automatic updates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.hosts.subjects import Verdict, judge_linux_master_targets
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import MasterTarget

# (distribution id, version) -> the kernels supported on it; None: the release is supported as a whole (legacy).
SUPPORTED = {
    ("ubuntu", "16.04"): ("4.4.0-81-generic", "4.8.0-56-generic", "4.10.0-24-generic"),
    ("centos", "6.6"): None,
}
_SUPPORTED_TEXT = "Ubuntu 16.04 (kernels 4.4.0-81, 4.8.0-56, 4.10.0-24 generic) or CentOS 6.6 (legacy)"

# LVM names its device-mapper nodes vg-lv, doubling hyphens inside names; multipath (mpatha, WWIDs) and LUKS do not
# look like that. lsblk's TYPE is the authority when the host has lsblk; these patterns read fstab and the mount table.
_LVM_MAPPER = re.compile(r"^/dev/mapper/(?!luks-|mpath)[^/]*[^-/]-[^-/][^/]*$")
_LVM_VG_PATH = re.compile(r"^/dev/(?!mapper/|disk/|md/|cciss/|loop|nbd|rbd)[^/]+/[^/]+$")

LINUX_OS = CheckMeta(
    id="mt.linux_os",
    title="The Linux master target runs a supported OS and kernel, without LVM and with automatic updates off",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("ssh",),
    why="The master target's agent only works on the kernels it was built for; an automatic update moves the kernel on, and "
        "LVM volumes on the master target confuse the disk discovery of reprotect.",
    remediation="rebuild-linux-master-target",
)


def lvm_volumes(host: dict[str, Any]) -> list[str]:
    found = [f"{device['name']} (lsblk: lvm)" for device in host.get("block_devices") or [] if device["type"] == "lvm"]
    for origin, table in (("fstab", host.get("fstab")), ("mounted", host.get("mounts"))):
        for entry in table or []:
            if _LVM_MAPPER.match(entry["device"]) or _LVM_VG_PATH.match(entry["device"]):
                found.append(f"{entry['device']} on {entry['mountpoint']} ({origin})")
    return list(dict.fromkeys(found))


def automatic_updates(host: dict[str, Any]) -> tuple[bool | None, str]:
    """Whether the host updates itself, and how that was decided."""
    packages = host.get("packages") or {}
    manager = host.get("package_manager")
    if manager == "dpkg":
        if "unattended-upgrades" not in packages:
            return False, "unattended-upgrades is not installed"
        setting = (host.get("apt_periodic") or {}).get("APT::Periodic::Unattended-Upgrade", "0")
        if setting not in ("0", ""):
            return True, f'unattended-upgrades is installed and APT::Periodic::Unattended-Upgrade is "{setting}"'
        return False, "unattended-upgrades is installed but switched off (APT::Periodic::Unattended-Upgrade \"0\")"
    if manager == "rpm":
        updaters = [name for name in ("yum-cron", "dnf-automatic") if name in packages]
        if updaters:
            return True, f"{', '.join(updaters)} is installed"
        return False, "neither yum-cron nor dnf-automatic is installed"
    return None, "the package manager is unknown"


def supported_os(host: dict[str, Any], master_target: MasterTarget) -> Verdict:
    os_info = host.get("os")
    if os_info is None:
        return Status.ERROR, f"{master_target.name}: neither /etc/os-release nor /etc/redhat-release tells the distribution", {}
    kernel = host.get("kernel")
    lvm = lvm_volumes(host)
    updates_on, updates_how = automatic_updates(host)
    evidence = {
        "distribution": os_info["pretty_name"],
        "version": os_info["version_id"],
        "kernel": kernel,
        "lvm": lvm,
        "automatic_updates": updates_how,
        "supported": _SUPPORTED_TEXT,
    }
    findings = Findings()
    release = (os_info["id"], os_info["version_id"])
    if release not in SUPPORTED:
        findings.fail(f"{os_info['pretty_name']} is not a supported master target OS (supported: {_SUPPORTED_TEXT})")
    elif (kernels := SUPPORTED[release]) is not None and kernel not in kernels:
        findings.fail(f"kernel {kernel} is not supported on {os_info['pretty_name']} (supported: {', '.join(kernels)})")
    if lvm:
        findings.fail(f"LVM is in use: {', '.join(lvm)}")
    if updates_on:
        findings.fail(f"automatic updates are on ({updates_how}): an update can move the kernel off the supported list")
    elif updates_on is None:
        findings.warn(f"whether automatic updates are on is unknown ({updates_how})")
    evidence["problems"] = findings.texts()
    legacy = " (legacy)" if release in SUPPORTED and SUPPORTED[release] is None else ""
    clean = f"{master_target.name} runs {os_info['pretty_name']}{legacy}, kernel {kernel}; no LVM; automatic updates off"
    return findings.status, findings.message(clean), evidence


@register(LINUX_OS)
def mt_linux_os(facts: Facts) -> Iterator[Result]:
    return judge_linux_master_targets(LINUX_OS, facts, supported_os)
