"""mt.retention: the Linux master target's retention volume is mounted at /mnt/retention, listed in fstab, not FAT, not
the volume the OS or the agent lives on, and has the free space the site's policy asks for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.hosts.subjects import Verdict, judge_linux_master_targets
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity
from failback.checks.registry import register
from failback.checks.site import MasterTarget

GB = 1024**3
FAT_TYPES = {"vfat", "msdos", "fat", "fat16", "fat32", "exfat", "umsdos"}

RETENTION = CheckMeta(
    id="mt.retention",
    title="The master target's retention volume is its own non-FAT volume, mounted at /mnt/retention, in fstab, with enough free space",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("ssh",),
    why="Reprotect keeps the failback change log on the retention volume; missing, FAT, shared with the OS or full, it stops "
        "the replication back to on-premises.",
    remediation="prepare-retention-volume",
)


def _mount_holding(mounts: list[dict[str, str]], path: str) -> dict[str, str] | None:
    """The mount a path lives on: the longest mount point that contains it (the last one mounted wins a tie)."""
    best = None
    for entry in mounts:
        point = entry["mountpoint"].rstrip("/") or "/"
        if path == point or path.startswith(point.rstrip("/") + "/"):
            if best is None or len(point) >= len(best["mountpoint"].rstrip("/") or "/"):
                best = entry
    return best


@register(RETENTION)
def mt_retention(facts: Facts) -> Iterator[Result]:
    minimum_gb = facts.site.policy.retention_min_free_gb

    def retention_ready(host: dict[str, Any], master_target: MasterTarget) -> Verdict:
        path = host["retention_path"]
        mounts = host.get("mounts") or []
        in_fstab = next((entry for entry in reversed(host.get("fstab") or []) if entry["mountpoint"].rstrip("/") == path), None)
        mounted = _mount_holding(mounts, path)
        filesystem = host.get("retention_filesystem")
        evidence: dict[str, Any] = {
            "path": path,
            "fstab": f"{in_fstab['device']} {in_fstab['fstype']}" if in_fstab else None,
            "mounted": f"{mounted['device']} {mounted['fstype']} on {mounted['mountpoint']}" if mounted else None,
            "min_free_gb": minimum_gb,
        }
        findings = Findings()
        own_volume = mounted is not None and mounted["mountpoint"].rstrip("/") == path
        if filesystem is None and not own_volume:
            findings.fail(f"{path} does not exist")
        elif not own_volume:
            findings.fail(f"{path} is not a volume of its own: it lives on {mounted['mountpoint'] if mounted else 'an unknown mount'}")
        else:
            install_dir = (host.get("agent") or {}).get("installation_dir") or "/usr/local/ASR"
            for label, other in (("the root volume", _mount_holding(mounts, "/")), (f"the agent's volume ({install_dir})", _mount_holding(mounts, install_dir))):
                # Only block devices identify a volume: every tmpfs is called "tmpfs".
                if other is not None and other is not mounted and mounted["device"].startswith("/") and other["device"] == mounted["device"]:
                    findings.fail(f"{path} is on {label}, {mounted['device']}")
        if in_fstab is None:
            findings.fail(f"{path} is not in /etc/fstab: it will be gone after a reboot")
        fat = {entry["fstype"] for entry in (in_fstab, mounted if own_volume else None) if entry and entry["fstype"].lower() in FAT_TYPES}
        if fat:
            findings.fail(f"{path} is formatted {', '.join(sorted(fat))}: FAT cannot hold the retention log")
        if filesystem is not None and own_volume:
            free_gb = round(filesystem["available_bytes"] / GB, 1)
            evidence.update(free_gb=free_gb, size_gb=round(filesystem["size_bytes"] / GB, 1))
            if free_gb < minimum_gb:
                findings.fail(f"{path} has {free_gb} GB free; the policy asks for {minimum_gb:g} GB")
        elif own_volume:
            findings.error(f"the free space of {path} could not be read")
        evidence["problems"] = findings.texts()
        clean = f"{path} is {mounted['device']} ({mounted['fstype']}), in fstab, {evidence.get('free_gb')} GB free" if mounted else ""
        return findings.status, f"{master_target.name}: {findings.message(clean)}", evidence

    return judge_linux_master_targets(RETENTION, facts, retention_ready)
