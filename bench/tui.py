"""Benchmark of the dashboard and the command's start-up, each against the naive way, measured in the same run.

1. First paint on the lab: time from starting the app until the overview shows the go/no-go and the problems. The
   preflight runs in a worker, so the screen paints at once and fills when the facts arrive; the naive way gathers
   first and only then starts the app.
2. Reports of 5,000 and 20,000 results: the first paint once the report is ready, and a filter typed on the results
   tab (rows selected, rows drawn, and the app settled with the detail pane), against Textual's stock DataTable
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


def _facts_of_many_vms(vms: int):
    """The demo site's facts with `vms` protected VMs shaped like its app01: a large site's facts, judged in full."""
    from copy import deepcopy

    from failback.checks.facts import Facts
    from failback.checks.site import Vm

    facts = Facts.load(ROOT / "tests" / "tui" / "demo_facts.json")
    inventory = facts.sources["vcenter"]["vms"]
    template = next(vm for vm in inventory.values() if vm["name"] == "app01")
    names = [f"app{i:05d}" for i in range(vms)]
    for index, name in enumerate(names):
        inventory[f"vm-bench-{index}"] = {**deepcopy(template), "name": name}
    facts.site = facts.site.model_copy(update={"vms": [Vm(name=name) for name in names]})
    return facts


class _FixedPreflight:
    """A preflight whose report is ready: measures the table, not the sources."""

    def __init__(self, report, site):
        self.report, self.site, self.offline = report, site, True

    def run(self):
        return self.report


class _PaintClock:
    """When a table first draws a line after start(): the moment its new rows reach the screen. (Pilot.pause() also
    waits until the process has been idle for 20 ms, and for the detail pane beside the table: that is `settled`.)"""

    def __init__(self, table) -> None:
        self.at: float | None = None
        draw = table.render_line

        def timed(y: int):
            if self.at is None:
                self.at = time.perf_counter()
            return draw(y)

        table.render_line = timed

    def start(self) -> float:
        self.at = None
        return time.perf_counter()


ROWS = (5_000, 20_000)
FACTS_VMS = 5_000  # about 20,000 results
FILTERS = ("app0001", "snapshot", "app049", "", "vm.snapshots app0")


async def table_timings(rows: int) -> dict:
    from textual.widgets import DataTable

    from failback.checks.facts import Facts
    from failback.tui.app import FailbackApp
    from failback.tui.result_table import ResultTable
    from failback.tui.results import ResultFilter

    site = Facts.load(ROOT / "tests" / "tui" / "demo_facts.json").site
    app = FailbackApp(_FixedPreflight(_synthetic_report(rows), site))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        # First paint once the facts are judged: the overview's go/no-go and problems table, from a finished report.
        clock = _PaintClock(app.query_one("#problems", ResultTable))
        began = clock.start()
        app.show_report(app.preflight.report)
        await pilot.pause()
        render = {"painted": clock.at - began, "settled": time.perf_counter() - began}

        # Filtering, where the operator types: the results tab, its table and the detail pane of the highlighted row.
        app.action_show_tab("results")
        await pilot.pause()
        clock = _PaintClock(app.query_one("#table", ResultTable))
        computed, painted, settled = [], [], []
        for text in FILTERS:
            began = clock.start()
            app.view = ResultFilter("all", text)
            app._refresh_table()
            computed.append(time.perf_counter() - began)  # the table holds the new rows
            await pilot.pause()
            painted.append(clock.at - began)  # ... they are drawn
            settled.append(time.perf_counter() - began)  # ... and the detail pane too, the app idle again

        # The naive way: Textual's DataTable rebuilt with the filtered rows (it measures every cell it is given).
        table = DataTable()
        await app.screen.mount(table)
        table.add_columns("status", "check", "target", "message")
        clock = _PaintClock(table)
        naive = []
        for text in FILTERS:
            began = clock.start()
            table.clear()
            table.add_rows((r.status.value, r.check, r.target, r.message) for r in app.index.select(ResultFilter("all", text)))
            await pilot.pause()
            naive.append(clock.at - began)
    return {"render": render, "computed": statistics.median(computed), "painted": statistics.median(painted),
            "painted_max": max(painted), "settled": statistics.median(settled), "naive": statistics.median(naive)}


async def first_paint_from_facts(vms: int) -> dict:
    """A large site's facts, handed to the app: from the moment its worker starts judging them (every check) to the
    overview's go/no-go and problems table drawn."""
    from failback.runner.preflight import Preflight
    from failback.tui.app import FailbackApp
    from failback.tui.result_table import ResultTable

    class TimedPreflight(Preflight):
        def run(self):
            self.began = time.perf_counter()
            return super().run()

    facts = _facts_of_many_vms(vms)
    preflight = TimedPreflight(facts.site, facts=facts)
    app = FailbackApp(preflight)
    async with app.run_test(size=(120, 40)) as pilot:
        problems = app.query_one("#problems", ResultTable)
        clock = _PaintClock(problems)
        while not problems.results:
            clock.start()
            await asyncio.sleep(0.001)
        while clock.at is None:
            await asyncio.sleep(0.001)
        painted = clock.at - preflight.began
        results = len(app.report.results)
        await pilot.pause()
    return {"painted": painted, "results": results}


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
        def _factories(self, selection):
            return {"vcenter": super()._factories(selection)["vcenter"]}

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
    from failback.cli.main import tune_garbage_collector

    tune_garbage_collector()  # as `failback tui` runs the app
    from failback.lab.site import APP, PASSWORD_ENV, build_lab_site
    from failback.lab.vcenter_admin import VCenterAdmin
    from failback.lab.vcsim import VCSim

    sim = VCSim().start(username="administrator@vsphere.local", password="bench-Tui-1")
    try:
        with VCenterAdmin(sim) as admin, tempfile.TemporaryDirectory() as directory:
            lab = build_lab_site(sim, admin, Path(directory), "classic")
            admin.create_snapshot(APP, "before-patching")  # a problem for the first screen to show
            paint = asyncio.run(first_paint(lab.site_path, {PASSWORD_ENV: sim.password}))
    finally:
        sim.stop()
    tables = {rows: asyncio.run(table_timings(rows)) for rows in ROWS}
    from_facts = asyncio.run(first_paint_from_facts(FACTS_VMS))
    startup = help_startup()
    print(f"first paint on the lab:   screen {paint['painted'] * 1000:.0f} ms, filled {paint['filled'] * 1000:.0f} ms; "
          f"naive (gather, then start) {paint['naive_painted'] * 1000:.0f} ms -> {paint['naive_painted'] / paint['painted']:.1f}x sooner")
    for rows, table in tables.items():
        print(f"{rows:>6,}-row report:       first paint {table['render']['painted'] * 1000:.0f} ms after the report is ready "
              f"(settled {table['render']['settled'] * 1000:.0f} ms); filter: rows drawn in {table['painted'] * 1000:.0f} ms median, "
              f"worst {table['painted_max'] * 1000:.0f} ms (selected in {table['computed'] * 1000:.0f} ms; with the detail pane, "
              f"settled {table['settled'] * 1000:.0f} ms); stock DataTable rows drawn in {table['naive'] * 1000:.0f} ms -> "
              f"{table['naive'] / table['painted']:.1f}x")
    print(f"{FACTS_VMS:,} VMs' facts:         the app judges them ({from_facts['results']:,} results) and draws its overview "
          f"{from_facts['painted'] * 1000:.0f} ms after they arrive")
    print(f"failback --help:          {startup['help'] * 1000:.0f} ms; importing every SDK up front {startup['naive_help'] * 1000:.0f} ms "
          f"-> {startup['naive_help'] / startup['help']:.1f}x")


if __name__ == "__main__":
    main()
