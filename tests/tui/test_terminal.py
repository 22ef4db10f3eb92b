"""The real `failback tui` in tmux against the lab vCenter, as an operator over SSH would use it; and NO_COLOR."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.tui.conftest import DEMO_FACTS
from failback.tui.app import FailbackApp

FAILBACK = Path(sys.executable).with_name("failback")


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30, check=True).stdout


def _wait_for(session: str, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_tui_in_tmux_against_the_lab(lab):
    assert shutil.which("tmux"), "scripts/bootstrap installs tmux"
    lab.admin.create_snapshot("app01", "before-patch")
    session = f"failback-{uuid.uuid4().hex[:8]}"
    env = " ".join(f"{key}={value}" for key, value in lab.env().items() if key.startswith("FAILBACK_"))
    command = f"env {env} TERM=xterm-256color {FAILBACK} tui --site {lab.site_path}; echo EXITED $?; sleep 30"
    _tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command)
    # 80x24 is the smallest terminal we promise; forced, because a tmux server already running may impose its own size.
    _tmux("resize-window", "-t", session, "-x", "80", "-y", "24")
    try:
        screen = _wait_for(session, "NO-GO")
        assert "vm.snapshots" in _wait_for(session, "vm:app01")
        _tmux("send-keys", "-t", session, "/")
        _wait_for(session, "search check, target")
        for key in "snapshots app01":  # typed as a person types, one key at a time
            _tmux("send-keys", "-t", session, "-l", key)
            time.sleep(0.02)
        _wait_for(session, "snapshots app01")
        _tmux("send-keys", "-t", session, "Tab")
        _wait_for(session, "f Filter")  # the footer of the table: the search box no longer takes keys
        screen = _wait_for(session, "Delete every snapshot of")  # the remediation title, wrapped at 80 columns
        assert "1 of" in screen and "Snapshots on app01" in screen
        _tmux("send-keys", "-t", session, "q")
        screen = _wait_for(session, "EXITED 0")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, timeout=30)
    assert lab.sim.password not in screen


async def test_no_color_turns_the_screen_monochrome(monkeypatch):
    from failback.checks.facts import Facts
    from failback.runner.preflight import Preflight

    monkeypatch.setenv("NO_COLOR", "1")
    facts = Facts.load(DEMO_FACTS)
    app = FailbackApp(Preflight(facts.site, facts=facts))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.no_color
        svg = pilot.app.export_screenshot()
    monkeypatch.delenv("NO_COLOR")
    assert "NO-GO" in svg
    assert "#e0271f" not in svg.lower() and "#ff0000" not in svg.lower(), "no red under NO_COLOR"
    assert os.environ.get("NO_COLOR") is None
