"""The modal screens: confirm a fix, export the report, the help."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Markdown, SelectionList, Static

from failback.runner.writers import FORMATS


class ConfirmFix(ModalScreen[bool]):
    """Shows exactly what the fix will change (its dry run) and asks; Escape declines."""

    BINDINGS = [Binding("escape", "decline", "Cancel"), Binding("y", "apply", "Apply")]

    def __init__(self, check_id: str, actions: list) -> None:
        super().__init__()
        self.check_id = check_id
        self.actions = actions

    def compose(self) -> ComposeResult:
        lines = [f"## Fix {self.check_id}", "", "It will:"]
        for action in self.actions:
            lines.append(f"- **{action.target}**: " + (f"NOT {action.description}: {action.refused}" if action.refused else action.description))
        doable = any(action.refused is None for action in self.actions)
        with Vertical(id="dialog"):
            yield Markdown("\n".join(lines))
            with Horizontal(classes="buttons"):
                yield Button("Apply (y)", id="apply", variant="error", disabled=not doable)
                yield Button("Cancel (esc)", id="cancel", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "apply")

    def action_apply(self) -> None:
        if any(action.refused is None for action in self.actions):
            self.dismiss(True)

    def action_decline(self) -> None:
        self.dismiss(False)


class ExportDialog(ModalScreen[tuple[list[str], Path] | None]):
    """Pick formats and a path; the writers are headless, this only asks."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, default_stem: Path) -> None:
        super().__init__()
        self.default_stem = default_stem

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Enter exports the report to (a stem: stem.json, stem.html...)")
            yield Input(str(self.default_stem), id="export-path")
            yield Label("Formats (space toggles)")
            yield SelectionList[str](*((name, name, name in ("json", "html", "markdown")) for name in FORMATS), id="formats")
            with Horizontal(classes="buttons"):
                yield Button("Export", id="export", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()  # the path is what changes most; Enter exports from there

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "export":
            self.dismiss(None)
            return
        self._export()

    def _export(self) -> None:
        chosen = set(self.query_one("#formats", SelectionList).selected)
        formats = [name for name in FORMATS if name in chosen]
        path = self.query_one("#export-path", Input).value.strip()
        if not formats or not path:
            self.notify("Pick at least one format and a path", severity="warning")
            return
        self.dismiss((formats, Path(path).expanduser()))

    def action_cancel(self) -> None:
        self.dismiss(None)


HELP = """\
## failback

The overview shows the go/no-go of each gate and every problem, the results view every check on every target.

| key | what |
|---|---|
| 1 / 2 | overview / results |
| / | search the results (check, target, message) |
| f | cycle the status filter: all, problems, fail, error, warn, waived, pass, skip |
| enter | show a result's detail: evidence and what to do |
| x | preview and apply the automatic fix of the selected result |
| r / R | re-run every check / only the selected check |
| e | export the report (JSON, HTML, Markdown, JUnit, CSV, text) |
| 3 | the run: a stepper of the failback, its log, and a hint panel when a step fails |
| a / u | run the failback / resume an interrupted run (questions come as dialogs: y, n, r for retry, s) |
| ctrl+p | command palette |
| ? | this help |
| q / ctrl+q | quit |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Markdown(HELP)
            yield Static("Press Escape to close.")

    def action_close(self) -> None:
        self.dismiss(None)
