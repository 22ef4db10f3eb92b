"""The dashboard on the demo site: the same app, plus the story's guide and the colleagues who fix what the tool cannot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import work
from textual.binding import Binding

from failback.runner.preflight import Preflight
from failback.tui.app import FailbackApp

GUIDE = (
    "Demo: this site is broken the way real sites are found. 1. Read the problems (2, Enter). "
    "2. Fix the snapshot: select vm.snapshots, press x, then y. "
    "3. Press c: the other teams fix what no tool can. 4. r re-runs the preflight: GO. "
    "5. 3 then a runs the failback; answer y at gates and manual steps, r to retry the failed job. "
    "6. e exports the report. q quits and stops the lab."
)


class DemoApp(FailbackApp):
    BINDINGS = [
        Binding("c", "colleagues", "Colleagues fix theirs", id="colleagues"),
        # In the demo Ctrl-C leaves as a newcomer expects; the lab stops with the app.
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(self, preflight: Preflight, state_dir: Path, repair_other_teams: Callable[[], list[str]]) -> None:
        super().__init__(preflight, state_dir)
        self._repair_other_teams = repair_other_teams
        self.sub_title += " · demo"

    def on_mount(self) -> None:
        super().on_mount()
        self.notify(GUIDE, title="failback demo", timeout=30)

    def action_colleagues(self) -> None:
        self.repair()

    @work(thread=True, exclusive=True, group="colleagues")
    def repair(self) -> None:
        try:
            done = self._repair_other_teams()
        except Exception as exc:  # the demo goes on; the operator sees why this did not happen
            self.call_from_thread(self.notify, f"The colleagues could not fix theirs: {exc}", severity="error")
            return
        self.call_from_thread(self.notify, "\n".join(done) + "\nPress r to re-run the preflight.", title="Colleagues", timeout=20)
