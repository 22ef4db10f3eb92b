"""The live failback run in the dashboard: a stepper, the log, a hint panel, and questions asked as modal dialogs.

The run itself is the headless orchestrator in a worker thread; TuiRunUI carries its events to the app as messages and
blocks the worker, never the interface, while a question waits for the operator.
"""

from __future__ import annotations

import threading

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown, RichLog, Static

from failback.runner.events import EventKind, RunEvent, StepFailure
from failback.runner.plan import Step, StepKind

_MARKS = {"running": "▶", EventKind.STEP_FINISHED: "✔", EventKind.STEP_SKIPPED: "↷", EventKind.STEP_FAILED: "✖"}


class RunEventMessage(Message):
    def __init__(self, event: RunEvent) -> None:
        super().__init__()
        self.event = event


class AskStep(ModalScreen[str | None]):
    """A question of the run: confirm a gate or a manual step, or what to do after a failure. Keys: first letters."""

    def __init__(self, title: str, question: str, choices: tuple[str, ...]) -> None:
        super().__init__()
        self.title_text, self.question, self.choices = title, question, choices
        self._keys = {choice[0]: choice for choice in choices}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            with VerticalScroll(id="ask-body"):  # a long hint scrolls; the choices stay in view
                yield Markdown(f"**{self.title_text}**\n\n{self.question}")
            with Horizontal(classes="buttons"):
                for choice in self.choices:
                    yield Button(f"{choice} ({choice[0]})", id=f"choice-{choice}", variant="primary" if choice in ("yes", "retry") else "default")

    def on_key(self, event) -> None:
        if event.key in self._keys:
            self.dismiss(self._keys[event.key])
        elif event.key == "escape":
            self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id.removeprefix("choice-"))


class RunWindowClosed(Exception):
    """The operator left the app while the run went on: it stops where it is, and the journal lets it resume."""


class TuiRunUI:
    """The orchestrator's RunUI for the app; called from the worker thread."""

    def __init__(self, app) -> None:
        self.app = app

    def _check_open(self) -> None:
        if self.app.closing.is_set():
            raise RunWindowClosed("the failback window was closed; resume the run with u, or `failback run --resume`")

    def event(self, event: RunEvent) -> None:
        self._check_open()
        self.app.call_from_thread(self.app.post_message, RunEventMessage(event))

    def _ask(self, screen: AskStep) -> str | None:
        answered, box = threading.Event(), {}

        def done(answer: str | None) -> None:
            box["answer"] = answer
            answered.set()

        self._check_open()
        self.app.call_from_thread(self.app.push_screen, screen, done)
        # Waiting in slices: a question left open when the app quits must not keep the process alive.
        while not answered.wait(0.2):
            self._check_open()
        return box.get("answer")

    def confirm(self, step: Step, question: str) -> bool:
        return self._ask(AskStep(step.title, question, ("yes", "no"))) == "yes"

    def decide(self, step: Step, failure: StepFailure, choices: tuple[str, ...]) -> str:
        # The hint goes into the question itself: at 80x24 the dialog is what the operator sees when deciding.
        hint = "\n".join(hint_lines(failure.errors, failure.hints, failure.hints if step.kind == StepKind.GATE else []))
        return self._ask(AskStep(step.title, f"{failure.message}.\n\n{hint}", choices)) or "stop"


class RunView(Vertical):
    """The Run tab: what has happened, what runs now, and what to do when something fails."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.steps: dict[str, tuple[str, str]] = {}  # step id -> (state, message), in the order they started

    def compose(self) -> ComposeResult:
        yield Static("Press a to run the failback (gates, reprotect, failover, commit, manual steps, reprotect to Azure), "
                     "u to resume an interrupted run.", id="run-status")
        with Horizontal(id="run-body"):
            yield Static("", id="stepper")
            with Vertical(id="run-right"):
                yield RichLog(id="run-log", wrap=True, markup=False)
                yield Markdown("", id="hint")

    def show(self, event: RunEvent) -> None:
        self.query_one("#run-log", RichLog).write(f"{event.at[11:19]} {event.step}: {event.message}")
        if event.kind == EventKind.STEP_STARTED:
            self.steps[event.step] = ("running", event.message)
            self.query_one("#hint", Markdown).update("")
        elif event.kind in (EventKind.STEP_FINISHED, EventKind.STEP_SKIPPED, EventKind.STEP_FAILED):
            self.steps[event.step] = (event.kind, event.message)
        if event.kind == EventKind.STEP_FAILED:
            self.query_one("#hint", Markdown).update(hint_markdown(event))
        if event.kind in (EventKind.RUN_FINISHED, EventKind.RUN_STOPPED):
            self.query_one("#run-status", Static).update(event.message)
        self.query_one("#stepper", Static).update("\n".join(f"{_MARKS.get(state, '·')} {step}" for step, (state, _) in self.steps.items()))


def hint_markdown(event: RunEvent) -> str:
    """ASR's own words first, then our remediation for each error code (or the gate's failing checks)."""
    heading = [f"**{event.step}: {event.message}**", ""]  # bold, not a heading: headings do not wrap at 80 columns
    return "\n".join(heading + hint_lines(event.data.get("errors", []), event.data.get("hints", []), event.data.get("problems", [])))


def hint_lines(errors: list[dict], hints: list[dict], problems: list[dict]) -> list[str]:
    lines: list[str] = []
    for error in errors:
        lines.append(f"**ASR error {error.get('code')}**: {error.get('message')}")
        if error.get("possible_causes"):
            lines.append(f"- possible causes: {error['possible_causes']}")
        if error.get("recommended_action"):
            lines.append(f"- ASR recommends: {error['recommended_action']}")
        lines.append("")
    for hint in hints:
        if "title" not in hint:
            continue  # a gate's problems, listed below
        lines.append(f"**{hint.get('title')}**")
        lines += [f"{n}. {step}" for n, step in enumerate(hint.get("steps", []), 1)]
        lines.append("")
    for problem in problems:
        lines.append(f"- {problem['status'].upper()} `{problem['check']}` on `{problem['target']}`: {problem['message']}")
    return lines


RUN_BINDINGS = [Binding("a", "start_run(False)", "Run", id="run-start", show=False),
                Binding("u", "start_run(True)", "Resume", id="run-resume", show=False)]
