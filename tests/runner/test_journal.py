"""The run journal survives a torn write, and one site runs once at a time, across processes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from failback.runner.journal import Journal, RunLock, RunLocked


def test_entries_ignore_a_line_torn_by_a_crash(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append("reprotect:app01", "started", item="app01")
    journal.append("reprotect:app01", "submitted", job_id="job-1")
    with journal.path.open("a") as raw:
        raw.write('{"step": "reprotect:app01", "event": "fini')  # the process died mid-write
    assert [e["event"] for e in journal.entries()] == ["started", "submitted"]
    assert journal.last("reprotect:app01")["job_id"] == "job-1"
    journal.append("reprotect:app01", "finished")  # a resumed run starts a line of its own after the torn one
    assert [e["event"] for e in journal.entries()] == ["started", "submitted", "finished"]


def test_a_second_run_on_the_same_site_is_refused_while_the_first_holds_it(tmp_path):
    lock_path = tmp_path / "site" / "lock"
    holder = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
from pathlib import Path
from failback.runner.journal import RunLock
with RunLock(Path({str(lock_path)!r})):
    print("held", flush=True)
    time.sleep(30)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked) as refused:
            with RunLock(lock_path):
                pass
        assert f"pid {holder.pid}" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()
    with RunLock(lock_path):  # the kernel released the dead holder's lock
        pass
