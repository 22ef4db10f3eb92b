"""A full disk while journaling stops the run before anything unrecorded is asked of ASR, and --resume completes it."""

from __future__ import annotations

import subprocess

from tests.runner.conftest import RunLab


def _mount_tmpfs(path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True, timeout=30)


def test_disk_full_while_journaling_then_resume(run_lab: RunLab):
    state = run_lab.state_dir
    _mount_tmpfs(state, "12k")  # room for the plan and the first steps' records, not for the whole run
    try:
        stopped = run_lab.failback("--apply", "--yes")
        assert stopped.returncode == 1, stopped.stdout + stopped.stderr
        assert "cannot write the run journal" in stopped.stdout and "No space left on device" in stopped.stdout
        assert "Traceback" not in stopped.stdout + stopped.stderr
        subprocess.run(["mount", "-o", "remount,size=4m", str(state)], check=True, timeout=30)
        resumed = run_lab.failback("--resume", "--yes")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    finally:
        subprocess.run(["umount", "-l", str(state)], timeout=30)
    failover = "PlannedFailover" if run_lab.azure.experience == "modernized" else "UnplannedFailover"
    assert run_lab.azure.arm.actions.submitted == [
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01"), (failover, "rp-app"), ("Commit", "rp-app"),
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01")], "each operation exactly once across the full disk"
