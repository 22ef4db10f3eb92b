"""Benchmark of the dashboard and the command's start-up, each against the naive way, measured in the same run.

1. First paint on the lab: time from starting the app until the overview shows the go/no-go and the problems. The
   preflight runs in a worker, so the screen paints at once and fills when the facts arrive; the naive way gathers
   first and only then starts the app.
2. A results table of 5,000 rows: time to render it, and to apply a filter, against Textual's stock DataTable
   rebuilt with the filtered rows (the naive way).
3. `failback --help` start-up (heavy SDKs imported lazily) against importing every SDK up front.

    .venv/bin/python bench/tui.py
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _synthetic_report(rows: int):
    from failback.checks.model import Experience, Result, Severity, Status
    from failback.runner.report import Report

    statuses = [Status.PASS] * 7 + [Status.FAIL, Status.WARN, Status.ERROR]
    results = [Result("vm.snapshots", f"vm:app{i:05d}", statuses[i % 10], f"app{i:05d} has {i % 3} snapshot(s)", {},
                      severity=Severity.CRITICAL, title="t") for i in range(rows)]
    return Report("bench", Experience.MODERNIZED, None, "2026-11-22T00:00:00+00:00", "2026-11-22T00:00:00+00:00", "0", results)


class _FixedPreflight:
    """A preflight whose report is ready: measures the table, not the sources."""

    def __init__(self, report, site):
        self.report, self.site, self.offline = report, site, True

    def run(self):
        return self.report


async def table_timings(rows: int) -> dict:
    from textual.widgets import DataTable

    from failback.checks.facts import Facts
    from failback.tui.app import FailbackApp
    from failback.tui.results import ResultFilter

    site = Facts.load(ROOT / "tests" / "tui" / "demo_facts.json").site
    app = FailbackApp(_FixedPreflight(_synthetic_report(rows), site))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        began = time.perf_counter()
        app.show_report(app.preflight.report)
        await pilot.pause()
        render = time.perf_counter() - began

        filters, computed = [], []
        for text in ("app0001", "snapshot", "app049", "", "vm.snapshots app0"):
            began = time.perf_counter()
            app.view = ResultFilter("all", text)
            app._refresh_table()
            computed.append(time.perf_counter() - began)  # the table holds the new rows
            await pilot.pause()  # ... and the screen has been repainted
            filters.append(time.perf_counter() - began)

        # The naive way: Textual's DataTable rebuilt with the filtered rows (it measures every cell it is given).
        table = DataTable()
        await app.screen.mount(table)
        table.add_columns("status", "check", "target", "message")
        naive = []
        for text in ("app0001", "snapshot", "app049", "", "vm.snapshots app0"):
            began = time.perf_counter()
            table.clear()
            table.add_rows((r.status.value, r.check, r.target, r.message) for r in app.index.select(ResultFilter("all", text)))
            await pilot.pause()
            naive.append(time.perf_counter() - began)
        naive_filter = statistics.median(naive)
    return {"render": render, "filter_median": statistics.median(filters), "filter_max": max(filters), "naive_filter": naive_filter,
            "filter_computed": statistics.median(computed)}


async def first_paint(site_path: Path, password_env: dict) -> dict:
    import os

    from failback.runner.access import SiteAccess
    from failback.runner.preflight import Preflight
    from failback.checks.sitefile import load_site
    from failback.tui.app import FailbackApp
    from failback.tui.result_table import ResultTable

    os.environ.update(password_env)
    site = load_site(site_path)

    class VCenterOnly(SiteAccess):
        def _factories(self):
            return {"vcenter": super()._factories()["vcenter"]}

    began = time.perf_counter()
    app = FailbackApp(Preflight(site, access=VCenterOnly(site, site_path)))
    async with app.run_test(size=(100, 30)) as pilot:
        painted = time.perf_counter() - began  # the screen is up, the preflight runs behind it
        while not app.query_one("#problems", ResultTable).results:
            await asyncio.sleep(0.005)
        filled = time.perf_counter() - began

    # The naive way: gather and judge first, then start the app with the finished report.
    began = time.perf_counter()
    preflight = Preflight(site, access=VCenterOnly(site, site_path))
    report = preflight.run()
    app = FailbackApp(_FixedPreflight(report, site))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        naive_painted = time.perf_counter() - began
    return {"painted": painted, "filled": filled, "naive_painted": naive_painted}


def help_startup(runs: int = 7) -> dict:
    def timed(argv: list[str]) -> float:
        samples = []
        for _ in range(runs):
            began = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=True, timeout=60)
            samples.append(time.perf_counter() - began)
        return statistics.median(samples)

    ours = timed([str(ROOT / ".venv" / "bin" / "failback"), "--help"])
    eager = "import pyVmomi, azure.identity, azure.mgmt.network, azure.mgmt.recoveryservicessiterecovery, paramiko, dns.resolver, textual.app, failback.cli.main, sys; sys.argv=['failback','--help']; failback.cli.main.main()"
    try:
        naive = timed([sys.executable, "-c", eager])
    except subprocess.CalledProcessError:  # argparse exits 0 on --help; any other exit is a real error
        raise
    return {"help": ours, "naive_help": naive}


def main() -> None:
    from failback.lab.demo import break_the_site
    from failback.lab.site import PASSWORD_ENV, build_lab_site
    from failback.lab.vcenter_admin import VCenterAdmin
    from failback.lab.vcsim import VCSim

    sim = VCSim().start(username="administrator@vsphere.local", password="bench-Tui-1")
    try:
        with VCenterAdmin(sim) as admin, tempfile.TemporaryDirectory() as directory:
            lab = build_lab_site(sim, admin, Path(directory), "classic")
            break_the_site(admin)
            paint = asyncio.run(first_paint(lab.site_path, {PASSWORD_ENV: sim.password}))
    finally:
        sim.stop()
    table = asyncio.run(table_timings(5000))
    startup = help_startup()
    print(f"first paint on the lab:   screen {paint['painted'] * 1000:.0f} ms, filled {paint['filled'] * 1000:.0f} ms; "
          f"naive (gather, then start) {paint['naive_painted'] * 1000:.0f} ms -> {paint['naive_painted'] / paint['painted']:.1f}x sooner")
    print(f"5,000-row table:          render {table['render'] * 1000:.0f} ms; filter median {table['filter_median'] * 1000:.0f} ms "
          f"(rows ready in {table['filter_computed'] * 1000:.0f} ms, the rest is the repaint), "
          f"worst {table['filter_max'] * 1000:.0f} ms; stock DataTable filter median {table['naive_filter'] * 1000:.0f} ms "
          f"-> {table['naive_filter'] / table['filter_median']:.1f}x")
    print(f"failback --help:          {startup['help'] * 1000:.0f} ms; importing every SDK up front {startup['naive_help'] * 1000:.0f} ms "
          f"-> {startup['naive_help'] / startup['help']:.1f}x")


if __name__ == "__main__":
    main()
