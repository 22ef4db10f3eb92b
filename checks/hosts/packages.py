"""mt.linux_packages: the Linux master target has every package the failback agent needs, for its package manager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.hosts.subjects import Verdict, judge_linux_master_targets
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import MasterTarget, Site

# A dpkg-based host is held to the Ubuntu list and an rpm-based one to the CentOS list, whatever mt.linux_os says of
# its release, so every missing package is named at once.
REQUIRED = {
    "dpkg": ("multipath-tools", "lsscsi", "python-pyasn1", "lvm2", "kpartx"),
    "rpm": ("xfsprogs", "perl", "lsscsi", "rsync", "wget", "kexec-tools"),
}
# Extra packages when a VM the master target serves has its root or boot volume on this filesystem.
FOR_FILESYSTEM = {
    "dpkg": {"reiserfs": ("reiserfsprogs",), "xfs": ("xfsprogs",)},
    "rpm": {"reiserfs": ("kmod-reiserfs", "reiserfs-utils"), "xfs": ("xfsprogs",)},
}
INSTALL_COMMAND = {"dpkg": "apt-get install -y", "rpm": "yum install -y"}

PACKAGES = CheckMeta(
    id="mt.linux_packages",
    title="The Linux master target has every package failback needs installed",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("ssh",),
    why="Without multipath, lsscsi, kpartx and the filesystem tools the master target cannot discover and mount the disks it "
        "receives, and reprotect fails after the disks are attached.",
    remediation="install-master-target-packages",
)


def required_packages(site: Site, master_target: MasterTarget, manager: str) -> dict[str, list[str]]:
    """Each required package with why it is required: the base list, or the VMs whose filesystem needs it."""
    required: dict[str, list[str]] = {name: ["base"] for name in REQUIRED[manager]}
    for vm in site.vms_served_by(master_target):
        for name in FOR_FILESYSTEM[manager].get(vm.root_filesystem or "", ()):
            required.setdefault(name, []).append(f"{vm.name} ({vm.root_filesystem})")
    return required


@register(PACKAGES)
def mt_linux_packages(facts: Facts) -> Iterator[Result]:
    def installed_everything(host: dict[str, Any], master_target: MasterTarget) -> Verdict:
        manager = host.get("package_manager")
        if manager not in REQUIRED:
            return Status.ERROR, f"{master_target.name}: neither dpkg nor rpm could be told from its OS release", {}
        installed = host.get("packages")
        if installed is None:
            reason = host.get("command_errors", {}).get("packages", "the package query returned nothing")
            return Status.ERROR, f"{master_target.name}: the installed packages could not be listed: {reason}", {"package_manager": manager}
        required = required_packages(facts.site, master_target, manager)
        missing = [name for name in required if name not in installed]
        evidence = {
            "package_manager": manager,
            "required": sorted(required),
            "missing": missing,
            "found": {name: installed[name] for name in required if name in installed},
            "install_command": f"{INSTALL_COMMAND[manager]} {' '.join(missing)}" if missing else "",
        }
        extras = {name: [reason for reason in why if reason != "base"] for name, why in required.items()}
        evidence["needed_for"] = {name: ", ".join(why) for name, why in extras.items() if why}
        if missing:
            return Status.FAIL, f"{master_target.name} ({manager}) lacks {len(missing)} package(s): {', '.join(missing)}", evidence
        return Status.PASS, f"{master_target.name} ({manager}) has all {len(required)} required packages", evidence

    return judge_linux_master_targets(PACKAGES, facts, installed_everything)
