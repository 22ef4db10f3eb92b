"""`failback demo` in tmux, walked as a newcomer walks it: the broken site, the fix, the colleagues, GO, the failback with
its scripted job failure and live hint, the retry, the end, the export; then q, and no lab peer left running."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.lab.test_demo import _peers, descendants, still_running
from tests.tui.test_terminal import _tmux, _wait_for

FAILBACK = Path(sys.executable).with_name("failback")


def _keys(session: str, *keys: str) -> None:
    for key in keys:
        _tmux("send-keys", "-t", session, key)
        time.sleep(0.1)


def _answer_the_run(session: str, timeout: float = 240) -> list[str]:
    """Answer the run's questions as an operator would, until it ends; returns the screens that showed a failure."""
    failures, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if "failback complete" in screen:
            return failures
        if "retry (r)" in screen:
            failures.append(screen)
            _keys(session, "r")
        elif "Delete the Azure VMs" in screen and "yes (y)" in screen:
            _keys(session, "n")  # keep the old Azure VMs, as a careful operator does
        elif "yes (y)" in screen:
            _keys(session, "y")
        time.sleep(0.3)
    raise AssertionError("the run never completed; the screen was:\n" + _tmux("capture-pane", "-p", "-t", session))


@pytest.mark.timeout(600)
def test_the_demo_story_in_a_terminal(tmp_path):
    session = f"demo-{uuid.uuid4().hex[:8]}"
    command = f"cd {tmp_path} && TERM=xterm-256color {FAILBACK} demo; echo EXITED $?; sleep 60"
    _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    _tmux("resize-window", "-t", session, "-x", "80", "-y", "24")  # the smallest terminal we promise
    try:
        screen = _wait_for(session, "NO-GO", timeout=180)
        assert "demo" in screen
        peers = _peers(descendants(int(_tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip())))
        assert len(peers) >= 2, peers
        for problem in ("vm.snapshots", "vcenter.permissions", "esxi.license", "network.ports", "cs.backup"):
            assert problem in _wait_for(session, problem), problem

        # The operator finds the snapshot, previews its fix and applies it on the lab.
        _keys(session, "/")
        _wait_for(session, "search check, target")
        for key in "vm.snapshots":  # one key at a time, as a person types
            _tmux("send-keys", "-t", session, "-l", key)
            time.sleep(0.02)
        _wait_for(session, "1 of")
        _keys(session, "Tab")
        _wait_for(session, "Delete every snapshot of")
        _keys(session, "x")
        _wait_for(session, "Apply (y)")
        _keys(session, "y")
        _wait_for(session, "vm:app01 pass", timeout=60)

        # The other teams fix theirs; the re-run says GO.
        _keys(session, "c")
        _wait_for(session, "Press r to re-run", timeout=60)
        _keys(session, "r", "1")
        _wait_for(session, "GO: ready", timeout=120)

        # The failback: every gate and manual step answered, the scripted failure met with its hint, retried.
        _keys(session, "3", "a")
        failures = _answer_the_run(session)
        assert failures and "8038" in failures[0] and "Free memory on the host" in failures[0]

        # The export, for the change review: Enter in the dialog writes the default formats.
        _keys(session, "e")
        _wait_for(session, "Enter exports")
        _keys(session, "Enter")
        _wait_for(session, "Written:")
        _keys(session, "q")
        _wait_for(session, "EXITED 0", timeout=60)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=30)
    report = json.loads((tmp_path / "failback-demo-classic.json").read_text())
    assert ("failover:plan:rp-app", "failed") in [(e["step"], e["event"]) for e in report["timeline"]]
    assert still_running(peers) == []
