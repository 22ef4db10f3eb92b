"""The Textual app: a preflight dashboard over the headless engine. Long work runs in thread workers; the UI never waits."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Input, Markdown, Static, TabbedContent, TabPane

from failback.checks.model import Gate, Result, Status
from failback.remediations.fixes import fix_for
from failback.runner.export import ExportError, export
from failback.runner.preflight import Preflight
from failback.runner.report import Report
from failback.runner.writers.summary import ordered
from failback.tui.commands import FailbackCommands
from failback.tui.modals import ConfirmFix, ExportDialog, HelpScreen
from failback.tui.result_table import ResultTable
from failback.tui.run_view import RUN_BINDINGS, RunEventMessage, RunView, RunWindowClosed, TuiRunUI
from failback.tui.results import STATUS_FILTERS, ResultFilter, ResultIndex, detail_markdown

def gate_verdict(report: Report, gate: Gate) -> tuple[bool, dict[str, int]]:
    from failback.checks.registry import get

    tally = Counter(r.status for r in report.results if gate in get(r.check).meta.gates)
    counts = {status.value: tally[status] for status in Status}
    return counts["fail"] == 0 and counts["error"] == 0, counts


class FailbackApp(App[None]):
    TITLE = "failback"
    CSS_PATH = "failback.tcss"
    COMMANDS = App.COMMANDS | {FailbackCommands}
    BINDINGS = [
        Binding("q,ctrl+q", "quit", "Quit", id="quit"),
        # The footer keeps to what fits 80 columns; `?` and the palette list everything.
        Binding("1", "show_tab('overview')", "Overview", id="overview", show=False),
        Binding("2", "show_tab('results')", "Results", id="results", show=False),
        Binding("r", "rerun_all", "Re-run all", id="rerun-all", show=False),
        Binding("R", "rerun_selected", "Re-run check", id="rerun-one", show=False),
        Binding("slash", "search", "Search", id="search"),
        Binding("f", "cycle_filter", "Filter", id="filter"),
        Binding("x", "fix_selected", "Fix", id="fix"),
        Binding("e", "export", "Export", id="export"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("3", "show_tab('run')", "Run", id="run", show=False),
        *RUN_BINDINGS,
    ]

    def __init__(self, preflight: Preflight, state_dir: Path | None = None) -> None:
        super().__init__()
        self.preflight = preflight
        self.state_dir = state_dir  # where failback runs keep their journal
        self.report: Report | None = None
        self.index = ResultIndex([])  # the report's results in reading order, sorted and made searchable once
        self.view = ResultFilter(status="problems")
        self.shown: list[Result] = []  # rows of the results table, in order
        self.closing = threading.Event()  # set as the app quits: a run in its worker stops instead of waiting on a dead screen
        self.sub_title = f"{preflight.site.display_name} ({preflight.site.experience.value})" + (" · offline facts" if preflight.offline else "")

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="overview"):
            with TabPane("Overview", id="overview"):
                yield Static("Running the preflight…", id="activity")
                yield Horizontal(*(Static(id=f"gate-{gate.value}", classes="gate") for gate in Gate), id="gates")
                yield Static(id="counts")
                yield ResultTable(id="problems")
            with TabPane("Results", id="results"):
                with Horizontal(id="filters"):
                    yield Input(placeholder="search check, target, message (/)", id="search")
                    yield Static(id="filter-label")
                with Horizontal(id="results-body"):
                    yield ResultTable(id="table")
                    with VerticalScroll(id="detail-pane"):
                        yield Markdown("Select a result to see its evidence and what to do.", id="detail")
            with TabPane("Run", id="run"):
                yield RunView(id="run-view")
        yield Footer()

    def on_mount(self) -> None:
        self._show_filter()
        self.run_preflight()

    def on_unmount(self) -> None:
        self.closing.set()

    async def action_quit(self) -> None:
        self.closing.set()
        await super().action_quit()

    # -- running the engine in workers --------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="preflight")
    def run_preflight(self, check_id: str | None = None) -> None:
        self.call_from_thread(self._activity, f"Re-running {check_id}…" if check_id else "Running the preflight…")
        try:
            report = self.preflight.rerun_check(check_id) if check_id else self.preflight.run()
        except Exception as exc:  # shown to the operator; the app stays usable
            self.call_from_thread(self._activity, f"The preflight could not run: {exc}")
            return
        self.call_from_thread(self.show_report, report)

    def _activity(self, text: str) -> None:
        self.query_one("#activity", Static).update(text)

    def show_report(self, report: Report) -> None:
        self.report = report
        self.index = ResultIndex(ordered(report.results))
        counts = report.counts()
        self._activity(f"Preflight of {report.site_name}, facts of {report.collected_at[:19].replace('T', ' ')} UTC — "
                       + ("GO: ready" if report.ready else "NO-GO: not ready"))
        for gate in Gate:
            ready, gate_counts = gate_verdict(report, gate)
            widget = self.query_one(f"#gate-{gate.value}", Static)
            widget.update(Text.assemble((f"{gate.value}\n", "bold"), ("GO" if ready else "NO-GO", "bold green" if ready else "bold red"),
                                        f"\n{gate_counts['fail']} fail {gate_counts['error']} error {gate_counts['warn']} warn"))
            widget.set_class(not ready, "nogo")
        self.query_one("#counts", Static).update("   ".join(f"{counts[s.value]} {s.value}" for s in Status))
        self.query_one("#problems", ResultTable).set_results(self.index.select(ResultFilter(status="problems")))
        self._refresh_table()

    # -- the results view ---------------------------------------------------------------------------------------------
    def _refresh_table(self) -> None:
        if self.report is None:
            return
        self.shown = self.index.select(self.view)
        self.query_one("#table", ResultTable).set_results(self.shown)
        self._show_filter()

    def _show_filter(self) -> None:
        total = len(self.report.results) if self.report else 0
        self.query_one("#filter-label", Static).update(f" filter: {self.view.status} (f) · {len(self.shown)} of {total}")

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.view = ResultFilter(self.view.status, event.value)
        self._refresh_table()

    @on(ResultTable.Highlighted, "#table")
    def _row_highlighted(self, event: ResultTable.Highlighted) -> None:
        if event.result is not None:
            fixable = fix_for(event.result.check) is not None and not self.preflight.offline
            self.query_one("#detail", Markdown).update(detail_markdown(event.result, fixable))

    @on(ResultTable.Chosen, "#problems")
    def _problem_chosen(self, event: ResultTable.Chosen) -> None:
        """Enter on a problem opens it in the results view."""
        self.view = ResultFilter(status="problems")
        self.action_show_tab("results")
        self._refresh_table()
        if event.result in self.shown:
            self.query_one("#table", ResultTable).move_cursor(self.shown.index(event.result))

    def selected_result(self) -> Result | None:
        return self.query_one("#table", ResultTable).selected

    # -- actions ------------------------------------------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        # Focus moves into the tab shown: left on a widget of the hidden tab, it would bring that tab back.
        if tab == "results":
            self.query_one("#table", ResultTable).focus()
        elif tab == "overview":
            self.query_one("#problems", ResultTable).focus()
        else:
            self.set_focus(None)

    def action_search(self) -> None:
        self.action_show_tab("results")
        self.query_one("#search", Input).focus()

    def action_cycle_filter(self) -> None:
        self.set_filter(STATUS_FILTERS[(STATUS_FILTERS.index(self.view.status) + 1) % len(STATUS_FILTERS)])

    def set_filter(self, status: str) -> None:
        self.view = ResultFilter(status, self.view.text)
        self.action_show_tab("results")
        self._refresh_table()

    def action_rerun_all(self) -> None:
        self.run_preflight()

    def action_rerun_selected(self) -> None:
        result = self.selected_result()
        if result is not None:
            self.run_preflight(result.check)

    # -- the failback run ---------------------------------------------------------------------------------------
    def action_start_run(self, resume: bool) -> None:
        if self.preflight.offline:
            self.notify("A run needs the live site, not a facts bundle", severity="warning")
            return
        self.action_show_tab("run")
        self.run_failback(resume)

    @work(thread=True, exclusive=True, group="run")
    def run_failback(self, resume: bool) -> None:
        from failback.runner.failback_run import RunRefused, drive, timeline

        try:
            result = drive(self.preflight.access, TuiRunUI(self), resume, self.preflight.waivers, self.state_dir)
        except RunWindowClosed:
            return  # nobody is left to tell; the journal has what happened
        except RunRefused as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", timeout=15)
            return
        except Exception as exc:  # shown to the operator; the journal keeps what happened for --resume
            if not self.closing.is_set():
                self.call_from_thread(self.notify, f"The run stopped: {exc}", severity="error", timeout=15)
            return
        if self.closing.is_set():
            return
        outcome = result.outcome
        if result.last_gate is not None:
            # What an export shows from now on: the last gate's verdict with the run's timeline, for the change review.
            self.call_from_thread(self.show_report, replace(result.last_gate, timeline=timeline(result.journal)))
        self.call_from_thread(self.notify, "Failback complete" if outcome.completed else f"Stopped at {outcome.stopped_at}: {outcome.reason}",
                              severity="information" if outcome.completed else "warning", timeout=15)

    def on_run_event_message(self, message: RunEventMessage) -> None:
        self.query_one("#run-view", RunView).show(message.event)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_export(self) -> None:
        if self.report is None:
            self.notify("No report yet: the preflight is still running", severity="warning")
            return
        report = self.report

        def done(choice: tuple[list[str], Path] | None) -> None:
            if choice is None:
                return
            formats, path = choice
            try:
                written = export(report, formats, path)
            except ExportError as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self.notify("Written: " + ", ".join(str(p) for p in written), timeout=10)

        self.push_screen(ExportDialog(Path.cwd() / f"failback-{report.site_name}"), done)

    def action_fix_selected(self) -> None:
        result = self.selected_result()
        if result is None:
            self.notify("Select a result in the results view first (2)", severity="warning")
        elif self.preflight.offline:
            self.notify("Fixes need the live site; this session evaluates a saved facts bundle", severity="warning")
        elif fix_for(result.check) is None:
            self.notify(f"{result.check} has no automatic fix: follow the steps in the detail pane", severity="warning")
        else:
            self.plan_fix(result.check, result.target)

    def _run_fix(self, check_id: str, target: str, dry_run: bool):
        """In a worker thread: the fix's dry run (its plan) or the fix itself; None when it could not run."""
        doing = "Preparing" if dry_run else "Applying"
        self.call_from_thread(self._activity, f"{doing} the fix of {check_id} on {target}…")
        try:
            return self.preflight.fix(check_id, target, lambda actions: not dry_run, dry_run=dry_run)
        except Exception as exc:  # shown to the operator; nothing else to do from here
            self.call_from_thread(self.notify, f"{doing} the fix failed: {exc}", severity="error")
            return None

    @work(thread=True, exclusive=True, group="fix")
    def plan_fix(self, check_id: str, target: str) -> None:
        outcome = self._run_fix(check_id, target, dry_run=True)
        if outcome is None:
            return
        if not outcome.actions:
            self.call_from_thread(self.notify, outcome.message)
            return

        def decided(apply: bool | None) -> None:
            if apply:
                self.apply_fix(check_id, target)
            else:
                self.notify("Declined: nothing was changed")

        self.call_from_thread(self.push_screen, ConfirmFix(check_id, outcome.actions), decided)

    @work(thread=True, exclusive=True, group="fix")
    def apply_fix(self, check_id: str, target: str) -> None:
        outcome = self._run_fix(check_id, target, dry_run=False)
        if outcome is None:
            return
        after = ", ".join(f"{r.target} {r.status.value}" for r in outcome.after)
        self.call_from_thread(self.notify, f"{outcome.message}: {after}", severity="information" if outcome.exit_code == 0 else "error", timeout=10)
        self.call_from_thread(self.run_preflight, check_id)
