"""`failback demo`: the whole product on the demo site (lab/demo_site.py), with no Azure subscription and no vCenter.

The story: the preflight finds the site broken; the operator fixes what the tool can fix; the other teams fix the rest;
the preflight is re-run and goes; the failback runs through ASR (the fake) and meets a job failure with its hint; the
operator retries; the run completes; the report is exported. With the TUI the operator plays it; `--headless` plays it
alone and prints it, for CI and for a quick look. Every peer stops when the demo ends, Ctrl-C and SIGTERM included.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from failback.lab.demo_site import DemoSite
from failback.runner.console import ConsoleUI
from failback.runner.events import StepFailure
from failback.runner.plan import Step
from failback.runner.report import ExitCode
from failback.runner.state import state_home

REPORT_FORMATS = ["markdown", "html", "json"]


def _say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


class DemoOperator(ConsoleUI):
    """The operator of a headless demo: confirms gates and manual steps, and retries a failed ASR job once, as its hint says."""

    def __init__(self) -> None:
        super().__init__(yes=True)
        self._retried: set[str] = set()

    def decide(self, step: Step, failure: StepFailure, choices: tuple[str, ...]) -> str:
        if "retry" in choices and step.id not in self._retried:
            self._retried.add(step.id)
            print(f"demo: the operator reads the hint, deals with it, and retries {step.id}", file=self.out, flush=True)
            return "retry"
        return "stop"


def _stop_on_sigterm() -> None:
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def report_directory(chosen: Path | None) -> Path:
    """Where the headless story writes its reports: the directory asked for, else a fresh one under the user's state
    directory (a temporary one when that cannot be written), so a demo never litters the directory it runs in."""
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        return chosen
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        parent = state_home() / "demo"
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{stamp}-", dir=parent))
    except OSError:
        return Path(tempfile.mkdtemp(prefix=f"failback-demo-{stamp}-"))


def run_demo(headless: bool, output: Path | None = None) -> int:
    _stop_on_sigterm()
    with tempfile.TemporaryDirectory(prefix="failback-demo-") as scratch:
        directory = Path(scratch)
        demo = DemoSite(directory / "site")
        try:
            _say("starting the demo site on loopback: VMware's simulator as vCenter, a fake ARM as Azure and ASR, "
                 "an sshd as the master target (the first build of the simulator takes about a minute)")
            demo.start()
            os.environ.update(demo.env())  # the lab's secrets reach the tool as a real site's do: through the environment
            _say(f"site file {demo.site_path}")
            if headless:
                return _headless_story(demo, directory / "state", report_directory(output))
            return _tui_story(demo, directory / "state")
        except KeyboardInterrupt:
            _say("interrupted")
            return 130
        except Exception as exc:  # the demo ends with a message, never a traceback
            print(f"failback demo: {exc}", file=sys.stderr)
            return ExitCode.ERROR
        finally:
            demo.stop()
            _say("every lab peer is stopped")


def _access(demo: DemoSite):
    from failback.checks.sitefile import load_site
    from failback.runner.access import SiteAccess

    return SiteAccess(load_site(demo.site_path), demo.site_path, None)


def _tui_story(demo: DemoSite, state_dir: Path) -> int:
    from failback.runner.preflight import Preflight
    from failback.tui.demo_app import DemoApp

    access = _access(demo)
    DemoApp(Preflight(access.site, access=access), state_dir, demo.repair_other_teams).run()
    return ExitCode.READY


def _headless_story(demo: DemoSite, state_dir: Path, reports: Path) -> int:
    from failback.runner.export import export
    from failback.runner.failback_run import drive, timeline
    from failback.runner.preflight import Preflight
    from failback.runner.writers import writer_for

    access = _access(demo)
    preflight = Preflight(access.site, access=access)
    chapter = _chapters()

    chapter("the preflight finds the site broken")
    sys.stdout.write(writer_for("text")(preflight.run()))

    chapter("the operator applies the fix the tool offers: failback fix --check vm.snapshots")
    outcome = preflight.fix("vm.snapshots", None, lambda actions: True, dry_run=False)
    for action in outcome.actions:
        print(f"  {action.target}: {action.description}")
    print(f"  {outcome.message}: " + ", ".join(f"{r.target} {r.status.value}" for r in outcome.after))

    chapter("the other teams fix what no tool can")
    for line in demo.repair_other_teams():
        print(f"  {line}")

    chapter("the preflight again")
    again = preflight.run()
    sys.stdout.write(writer_for("text")(again))
    if not again.ready:
        print("demo: the site is still not ready; the story stops here", file=sys.stderr)
        return ExitCode.FAIL

    chapter("the failback: reprotect, failover, commit, the manual steps, reprotect to Azure")
    result = drive(access, DemoOperator(), False, [], state_dir)

    chapter("the report for the change review")
    report = replace(result.last_gate, timeline=timeline(result.journal)) if result.last_gate else again
    for path in export(report, REPORT_FORMATS, reports / "failback-demo-report"):
        print(f"  written: {path}")
    print(f"\nThe reports are in {reports}", flush=True)
    return ExitCode.READY if result.outcome.completed else ExitCode.FAIL


def _chapters():
    number = 0

    def chapter(title: str) -> None:
        nonlocal number
        number += 1
        print(f"\n=== {number}. {title}\n", flush=True)

    return chapter

