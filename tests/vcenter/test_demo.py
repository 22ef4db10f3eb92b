"""`failback demo`: the README's first command ends in a report that finds the problems the lab site was given."""

from __future__ import annotations

import json
import subprocess
import sys


def test_demo_finds_every_planted_problem():
    done = subprocess.run([sys.executable, "-m", "runner.cli", "demo", "--format", "json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    found = {(r["check"], r["target"]) for r in report["results"] if r["status"] in ("fail", "warn")}
    assert {("vm.snapshots", "vm:app01"), ("vcenter.permissions", "vcenter:127.0.0.1"), ("mt.scsi_controller", "mt:mt01"),
            ("time.skew", "vcenter:127.0.0.1"), ("guest.ip_mode", "vm:app01")} <= found
    assert any(check == "esxi.license" for check, _ in found)
    assert report["summary"]["ready"] is False
    assert "the lab vCenter is stopped" in done.stderr
