"""`failback demo --headless`: the whole story on the demo site, printed; every lab peer gone at the end, Ctrl-C included."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from failback.lab.demo_site import VCENTER_PASSWORD
from failback.lab.fake_arm.scenarios import LAB_SECRET

FAILBACK = Path(sys.executable).with_name("failback")


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`, with its command line (to tell a pid reused later from the same process)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = {}, list(parents.get(pid, []))
    while todo:
        child = todo.pop()
        found[child] = command_line(child)
        todo += parents.get(child, [])
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def still_running(processes: dict[int, str]) -> list[str]:
    return [command for pid, command in processes.items() if command and command_line(pid) == command]


def _peers(processes: dict[int, str]) -> dict[int, str]:
    """The lab peers among a demo's processes: the simulated vCenter and the sshd."""
    return {pid: command for pid, command in processes.items() if "vcsim" in command or "sshd" in command}


def test_headless_demo_tells_the_whole_story(tmp_path):
    workdir, state = tmp_path / "work", tmp_path / "state"
    workdir.mkdir()
    demo = subprocess.Popen([str(FAILBACK), "demo", "--headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=workdir, stdin=subprocess.DEVNULL, env={**os.environ, "XDG_STATE_HOME": str(state)})
    try:
        first = demo.stdout.readline()  # the story has begun: every peer is up
        peers = _peers(descendants(demo.pid))
        rest, err = demo.communicate(timeout=600)
    finally:
        demo.kill()
    out = first + rest
    assert demo.returncode == 0, err[-3000:] + out[-3000:]
    assert len(peers) >= 2, peers

    broken, _, rest = out.partition("=== 2.")
    for check in ("vm.snapshots", "vcenter.permissions", "esxi.license", "network.ports", "cs.backup"):
        assert any(line.startswith("FAIL") and check in line for line in broken.splitlines()), check
    for check in ("network.vpn", "guest.ip_mode"):
        assert any(line.startswith("WARN") and check in line for line in broken.splitlines()), check
    fixed, _, rest = rest.partition("=== 4.")
    assert "vm:app01 pass" in fixed  # the fix removed the snapshot on the lab and its check passes again
    assert "opened 9443" in fixed and "fresh configuration-server backup" in fixed
    again, _, run = rest.partition("=== 5.")
    assert "READY" in again and "NOT READY" not in again

    # The scripted failure: ASR's words, our hint, the retry, and the run goes on to the end.
    assert "ASR error 8038" in run and "Free memory on the host" in run
    assert run.index("FAIL failover:plan:rp-app") < run.index("retries failover:plan:rp-app") < run.index(" ok failover:plan:rp-app")
    # app01 came back on DHCP; its static address is restored through VMware Tools and vCenter reports it.
    restored = next(line for line in run.splitlines() if line.startswith(" ok manual:static-ip:app01"))
    assert "10.20.0.21/24" in restored and "vCenter shows it as manual" in restored
    assert "DONE run: failback complete" in run
    assert not re.search(r"\{[a-z_]+\}", run), "no unfilled template field in a hint"

    # The reports go to a fresh directory under the user's state directory, named at the end; the directory the demo
    # ran in (a checkout, say) is left as it was.
    assert list(workdir.iterdir()) == []
    reports = Path(re.search(r"^The reports are in (.+)$", out, re.MULTILINE).group(1))
    assert reports.parent == state / "failback" / "demo"
    report = json.loads((reports / "failback-demo-report.json").read_text())
    events = [(entry["step"], entry["event"]) for entry in report["timeline"]]
    assert ("failover:plan:rp-app", "failed") in events and ("failover:plan:rp-app", "finished") in events
    assert sorted(path.suffix for path in reports.iterdir()) == [".html", ".json", ".md", ".sha256"]
    for path in reports.iterdir():
        text = path.read_text(errors="replace")
        assert VCENTER_PASSWORD not in text and LAB_SECRET not in text, path
    assert VCENTER_PASSWORD not in out + err and LAB_SECRET not in out + err
    assert still_running(peers) == []


def test_ctrl_c_stops_every_lab_peer(tmp_path):
    demo = subprocess.Popen([str(FAILBACK), "demo", "--headless", "--output", str(tmp_path / "cab")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        for line in demo.stdout:  # interrupted mid-story, with every peer running
            if line.startswith("=== 2.") or time.monotonic() > deadline:
                break
        peers = _peers(descendants(demo.pid))
        assert len(peers) >= 2, "the demo's sshd and vCenter run"
        demo.send_signal(signal.SIGINT)
        _, err = demo.communicate(timeout=60)
    finally:
        demo.kill()
    assert demo.returncode == 130
    assert "interrupted" in err and "every lab peer is stopped" in err and "Traceback" not in err
    assert still_running(peers) == []
