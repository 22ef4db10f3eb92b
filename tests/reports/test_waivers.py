"""Waivers: accepted with justification, approver and expiry; rejected without; expired ones no longer apply."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest

from failback.checks.model import Result, Status
from failback.runner.waivers import WaiverFileError, apply_waivers, load_waivers

KNOWN = {"vm.snapshots", "esxi.license"}


def write(tmp_path, text):
    path = tmp_path / "waivers.toml"
    path.write_text(text)
    return path


def test_waiver_without_justification_or_approver_is_rejected_with_its_line(tmp_path):
    path = write(tmp_path, '[[waiver]]\ncheck = "vm.snapshots"\napprover = "CAB-1"\nexpires = 2027-01-01\n\n'
                           '[[waiver]]\ncheck = "vm.snapshot"\njustification = "x"\nexpires = "soon"\n')
    with pytest.raises(WaiverFileError) as caught:
        load_waivers(path, KNOWN)
    problems = {(p.line, p.key): p.message for p in caught.value.problems}
    assert "required" in problems[(1, "waiver[0].justification")]
    assert "required" in problems[(6, "waiver[1].approver")]
    assert problems[(7, "waiver[1].check")] == "no check named 'vm.snapshot'"
    assert problems[(9, "waiver[1].expires")] == "must be a date, like 2026-12-31"


def test_applied_waiver_marks_matching_results_and_keeps_them_visible(tmp_path):
    path = write(tmp_path, '[[waiver]]\ncheck = "vm.snapshots"\ntarget = "vm:app*"\njustification = "vendor snapshot, removed at T-1h"\n'
                           'approver = "CAB-7 (J. Doe)"\nexpires = 2026-12-31\n')
    results = [Result("vm.snapshots", "vm:app01", Status.FAIL, "1 snapshot"), Result("vm.snapshots", "vm:db01", Status.FAIL, "1 snapshot"),
               Result("vm.snapshots", "vm:app02", Status.PASS, "none")]
    ledger = apply_waivers(results, load_waivers(path, KNOWN), dt.date(2026, 11, 22))
    assert [r.status for r in results] == [Status.WAIVED, Status.FAIL, Status.PASS]
    assert results[0].waiver["original_status"] == "fail" and results[0].waiver["approver"] == "CAB-7 (J. Doe)"
    assert ledger[0]["state"] == "applied" and ledger[0]["results"] == ["vm:app01"]


def test_expired_waiver_no_longer_applies_and_is_flagged(tmp_path):
    path = write(tmp_path, '[[waiver]]\ncheck = "esxi.license"\njustification = "temporary"\napprover = "CAB-2"\nexpires = 2026-11-01\n')
    results = [Result("esxi.license", "host:esx01", Status.FAIL, "free licence")]
    ledger = apply_waivers(results, load_waivers(path, KNOWN), dt.date(2026, 11, 22))
    assert results[0].status is Status.FAIL and results[0].waiver is None
    assert results[0].evidence["expired_waiver"]["expires"] == "2026-11-01"
    assert ledger == [{"check": "esxi.license", "target": "*", "justification": "temporary", "approver": "CAB-2",
                       "expires": "2026-11-01", "state": "expired", "results": ["host:esx01"]}]


def test_cli_rejects_a_bad_waivers_file_with_exit_2(tmp_path, fixed_document):
    path = write(tmp_path, '[[waiver]]\ncheck = "vm.snapshots"\nexpires = 2027-01-01\n')
    done = subprocess.run([sys.executable, "-m", "failback.cli", "check", "--facts", str(tmp_path / "none.json"), "--waivers", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "waiver[0].justification" in done.stderr and "Traceback" not in done.stderr


def test_report_from_renders_a_saved_report_and_names_its_digest(tmp_path):
    import hashlib
    from pathlib import Path

    source = Path(__file__).parent / "fixed_report.json"
    done = subprocess.run([sys.executable, "-m", "failback.cli", "report", "--from", str(source), "--format", "markdown", "--format", "html",
                           "--output", str(tmp_path / "cab" / "preflight")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert digest in (tmp_path / "cab" / "preflight.md").read_text()
    assert digest in (tmp_path / "cab" / "preflight.html").read_text()
