"""`failback run` end to end through the real SDK against the fake ARM, with the lab vCenter at the gates."""

from __future__ import annotations

import json


def test_plan_lists_the_three_phases(run_lab):
    done = run_lab.failback("--plan")
    assert done.returncode == 0, done.stderr
    assert "[phase 1] Reprotect app01 toward on-premises" in done.stdout
    assert "Commit the failover of" in done.stdout and "[phase 3] Reprotect db01 to Azure again" in done.stdout
    assert "Reinstall NetworkManager on app01" in done.stdout


def test_whole_failback_unattended(run_lab, tmp_path):
    done = run_lab.failback("--apply", "--yes", "--output", str(tmp_path / "cab" / "failback"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DONE run: failback complete" in done.stdout
    failover = "PlannedFailover" if run_lab.azure.experience == "modernized" else "UnplannedFailover"
    assert run_lab.azure.arm.actions.submitted == [
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01"), (failover, "rp-app"), ("Commit", "rp-app"),
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01")], "each operation exactly once"
    journal = [json.loads(line) for line in (run_lab.state_dir / "lab-classic" / "journal.jsonl").read_text().splitlines()]
    assert journal[-1]["step"] == "run" and journal[-1]["event"] == "finished"
    report = json.loads((tmp_path / "cab" / "failback.json").read_text())
    assert report["gate"] == "after-failback"
    events = [(e["step"], e["event"]) for e in report["timeline"]]
    assert ("reprotect:app01", "submitted") in events and events[-1] == ("run", "finished")
    assert "Run timeline" in (tmp_path / "cab" / "failback.html").read_text()



def test_a_failed_gate_stops_before_any_asr_operation(run_lab):
    run_lab.vcenter.admin.create_snapshot("app01", "before-patch")
    done = run_lab.failback("--apply", "--yes")
    assert done.returncode == 1
    assert "FAIL vm.snapshots vm:app01" in done.stdout and "STOP gate:reprotect" in done.stdout
    assert run_lab.azure.arm.actions.submitted == []


def test_a_failed_job_shows_asr_and_our_hint_then_resume_completes(run_lab):
    from failback.lab.fake_arm.state import JobError

    run_lab.azure.arm.actions.fail_next("ReverseReplicate", JobError(
        "78093", "The VM app01 is not running or not responding.",
        possible_causes="The Azure VM is stopped or hung.", recommended_action="Start the VM app01 and retry the operation."))
    done = run_lab.failback("--apply", "--yes")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ASR error 78093: The VM app01 is not running" in done.stdout
    assert "ASR recommends: Start the VM app01 and retry the operation." in done.stdout
    assert "-> Start Azure VM" in done.stdout, "our remediation for 78093 is shown beside ASR's words"
    resumed = run_lab.failback("--resume", "--yes")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    failover = "PlannedFailover" if run_lab.azure.experience == "modernized" else "UnplannedFailover"
    # The resume restarted the failed job (as the retry in process does) instead of posting a second reprotect:
    # every operation was posted exactly once.
    assert run_lab.azure.arm.actions.restarted == [("ReverseReplicate", "app01")]
    assert "ASR restarted job" in resumed.stdout
    assert run_lab.azure.arm.actions.submitted == [
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01"),
        (failover, "rp-app"), ("Commit", "rp-app"), ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01")]


def test_a_second_run_on_the_same_site_is_refused(run_lab):
    from failback.runner.journal import RunLock

    site_name = "lab-classic"
    with RunLock(run_lab.state_dir / site_name / "lock"):
        done = run_lab.failback("--apply", "--yes")
    assert done.returncode == 2 and "another failback run holds this site" in done.stderr


def test_resume_without_an_interrupted_run_is_refused(run_lab):
    done = run_lab.failback("--resume", "--yes")
    assert done.returncode == 2 and "no interrupted run" in done.stderr
