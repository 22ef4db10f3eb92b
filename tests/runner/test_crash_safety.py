"""Kill the runner (SIGKILL) at every step boundary and mid-poll, resume each time, and show that the failback completes
with the fake ARM having received each ASR operation exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from failback.lab.fake_arm.scenarios import start_lab
from tests.runner.conftest import RunLab, host_level_waivers, write_run_site

ACTION_POSTS = r"/(reProtect|unplannedFailover|plannedFailover|failoverCommit)$"
JOB_READS = r"/replicationJobs/[^/]+$"


def _journal(run: RunLab) -> list[dict]:
    path = run.state_dir / "lab-classic" / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def _posts(run: RunLab) -> int:
    """ASR operations the fake has accepted (whether or not the runner lived to read the answer)."""
    return sum(1 for call in run.azure.arm.requests if call.method == "POST" and call.status < 400 and re.search(ACTION_POSTS, call.path))


def _run_until_killed(run: RunLab, mode: str, step: str, event: str) -> None:
    """Start the runner and SIGKILL it at a boundary: right after it journals (step, event), or with event "in-flight"
    while its request for the step is at ASR (slowed down there, so the kill lands before the answer and ASR goes on
    to accept it: the answer is lost, the operation is not). A kill after "submitted" lands while the job is followed."""
    arm = run.azure.arm
    arm.faults.clear()
    in_flight = arm.slow(ACTION_POSTS, 1.0)
    arm.slow(JOB_READS, 0.5)
    seen = len(_journal(run))
    posts_before = _posts(run)
    process = subprocess.Popen([sys.executable, "-m", "failback.cli", "run", "--site", str(run.site_path), "--waivers", str(run.waivers),
                                "--state-dir", str(run.state_dir), mode, "--yes"], env=run.env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journaled = "started" if event == "in-flight" else event
    deadline = time.monotonic() + 90
    try:
        while not any(e["step"] == step and e["event"] == journaled for e in _journal(run)[seen:]) or (event == "in-flight" and not in_flight.hits):
            assert process.poll() is None, f"the run ended before reaching {step} {event}"
            assert time.monotonic() < deadline, f"never reached {step} {event}"
            time.sleep(0.01)
        if event != "in-flight":
            # A request the runner sent after the boundary, still in its delay when the kill lands late (a loaded
            # machine), must not reach ASR: refused, it stays the crash named, not the next boundary's.
            in_flight.status = 503
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    if event == "in-flight":
        while _posts(run) == posts_before:  # ASR takes the request the dead runner sent
            assert time.monotonic() < deadline, "the fake never answered the request in flight"
            time.sleep(0.01)
    arm.faults.clear()


def _resume_to_the_end(run: RunLab) -> subprocess.CompletedProcess:
    return run.failback("--resume", "--yes")


@pytest.fixture
def single_vm_classic(lab, tmp_path) -> RunLab:
    lab.vms = ["app01"]
    lab.write_site()
    azure = start_lab("classic", vm_names=("app01",))
    azure.arm.actions.polls_per_job = 2
    try:
        site = write_run_site(lab, azure, tmp_path, recovery_plan=None)
        yield RunLab(lab, azure, site, host_level_waivers(tmp_path), tmp_path / "state")
    finally:
        azure.arm.stop()


def test_killed_at_every_boundary_of_item_operations_and_resumed(single_vm_classic):
    run = single_vm_classic
    boundaries = [("gate:reprotect", "finished")]
    for step in ("reprotect:app01", "failover:app01", "commit:app01", "reprotect-back:app01"):
        boundaries += [(step, "started"), (step, "in-flight"), (step, "submitted")]
    boundaries.insert(4, ("wait-protected", "finished"))  # between the reprotect and the failover
    mode = "--apply"
    for step, event in boundaries:
        _run_until_killed(run, mode, step, event)
        mode = "--resume"
    done = _resume_to_the_end(run)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run.azure.arm.actions.submitted == [("ReverseReplicate", "app01"), ("UnplannedFailover", "app01"),
                                               ("Commit", "app01"), ("ReverseReplicate", "app01")], "each operation exactly once"
    found_running = [e for e in _journal(run) if e.get("found_running")]
    assert {e["step"] for e in found_running} == {"reprotect:app01", "failover:app01", "commit:app01", "reprotect-back:app01"}, \
        "after a kill between the request and its answer, the resumed run followed the job ASR had accepted"


@pytest.fixture
def modernized_with_plan(lab, tmp_path) -> RunLab:
    azure = start_lab("modernized")
    azure.arm.actions.polls_per_job = 2
    try:
        yield RunLab(lab, azure, write_run_site(lab, azure, tmp_path), host_level_waivers(tmp_path), tmp_path / "state")
    finally:
        azure.arm.stop()


def test_killed_at_the_recovery_plan_operations_and_resumed(modernized_with_plan):
    run_lab = modernized_with_plan
    mode = "--apply"
    for step, event in (("failover:plan:rp-app", "in-flight"), ("failover:plan:rp-app", "submitted"),
                        ("commit:plan:rp-app", "in-flight"), ("commit:plan:rp-app", "submitted")):
        _run_until_killed(run_lab, mode, step, event)
        mode = "--resume"
    done = _resume_to_the_end(run_lab)
    assert done.returncode == 0, done.stdout + done.stderr
    assert run_lab.azure.arm.actions.submitted == [
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01"), ("PlannedFailover", "rp-app"), ("Commit", "rp-app"),
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01")]


def test_an_accepted_request_the_journal_could_not_record_is_followed_on_resume(run_lab, monkeypatch):
    """ASR accepts a reprotect, the journal cannot record it (a full disk), and by the resume ASR has finished the job:
    the resumed run finds that job among ASR's and follows it instead of asking again."""
    import io

    from failback.checks.sitefile import load_site
    from failback.runner.access import SiteAccess
    from failback.runner.console import ConsoleUI
    from failback.runner.failback_run import drive
    from failback.runner.journal import Journal, JournalError
    from failback.runner.waivers import load_waivers
    from failback.checks.registry import known_ids

    for key, value in run_lab.env().items():
        monkeypatch.setenv(key, value)
    run_lab.azure.arm.actions.polls_per_job = 0  # the job is over before anyone asks again
    record = Journal.append
    refused = []

    def full_disk_once(journal, step, event, **details):
        if (step, event) == ("reprotect:app01", "submitted") and not refused:
            refused.append(details["job_id"])
            raise JournalError(f"cannot write the run journal {journal.path}: No space left on device; nothing further is asked of ASR")
        return record(journal, step, event, **details)

    access = SiteAccess(load_site(run_lab.site_path), run_lab.site_path)
    waivers = load_waivers(run_lab.waivers, known_ids())
    out = io.StringIO()
    with monkeypatch.context() as patch:
        patch.setattr(Journal, "append", full_disk_once)
        stopped = drive(access, ConsoleUI(yes=True, out=out), False, waivers, run_lab.state_dir)
    assert not stopped.outcome.completed
    assert f"ASR had accepted reprotect:app01 as job {refused[0]}, which --resume follows" in out.getvalue()
    assert run_lab.azure.arm.actions.submitted == [("ReverseReplicate", "app01")]
    resumed = drive(access, ConsoleUI(yes=True, out=io.StringIO()), True, waivers, run_lab.state_dir)
    assert resumed.outcome.completed
    failover = "PlannedFailover" if run_lab.azure.experience == "modernized" else "UnplannedFailover"
    assert run_lab.azure.arm.actions.submitted == [
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01"), (failover, "rp-app"), ("Commit", "rp-app"),
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01")], "the accepted reprotect was not asked again"
    found = [entry for entry in Journal(next(run_lab.state_dir.glob("*/journal.jsonl"))).entries() if entry.get("found_running")]
    assert [(entry["step"], entry["job_id"]) for entry in found] == [("reprotect:app01", refused[0])]
