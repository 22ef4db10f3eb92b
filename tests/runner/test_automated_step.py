"""A manual step the tool can do itself: previewed at the confirmation, applied and verified, or by hand on failure."""

from __future__ import annotations

from failback.checks.model import Experience
from failback.runner.events import EventKind
from failback.runner.journal import Journal
from failback.runner.orchestrator import FailbackRun, StepAutomationError
from failback.runner.plan import FailbackPlan, Step, StepKind

STEP = Step("manual:static-ip:app01", StepKind.MANUAL, "Restore the static IP of app01", 2, ("app01",),
            instructions=("app01 came back on DHCP. From the VM console set 10.0.0.21/24.", "Check the clients."),
            ip_record={"static": [{"ip": "10.0.0.21", "prefix": 24, "mac": "00:50:56:00:00:01"}], "gateway": None, "dns": []})


class Automation:
    def __init__(self, failures: int = 0):
        self.failures, self.applied, self.previewed = failures, 0, 0

    def handles(self, step):
        return step.ip_record is not None

    def preview(self, step):
        self.previewed += 1
        return ["now: vCenter: 10.0.0.50/24 (dhcp)", "commands:", "  netplan apply"]

    def apply(self, step):
        if self.failures:
            self.failures -= 1
            raise StepAutomationError("app01: the guest refused the login of root: wrong user or password", step.instructions)
        self.applied += 1
        return "10.0.0.21/24 set on ens192 through netplan; vCenter shows it as manual"


class UI:
    def __init__(self, confirm=True, decisions=()):
        self.events, self.questions, self._confirm, self.decisions = [], [], confirm, list(decisions)

    def event(self, event):
        self.events.append(event)

    def confirm(self, step, question):
        self.questions.append(question)
        return self._confirm if not isinstance(self._confirm, list) else self._confirm.pop(0)

    def decide(self, step, failure, choices):
        self.events.append(failure)
        return self.decisions.pop(0)


def _run(tmp_path, automation, ui):
    plan = FailbackPlan("lab", Experience.CLASSIC, "latest", [STEP])
    journal = Journal(tmp_path / "journal.jsonl")
    outcome = FailbackRun(plan, asr=None, journal=journal, preflight=None, ui=ui, automation=automation).run()
    return outcome, [entry["event"] for entry in journal.entries() if entry["step"] == STEP.id]


def test_the_preview_is_shown_at_the_confirmation_then_applied(tmp_path):
    automation, ui = Automation(), UI()
    outcome, events = _run(tmp_path, automation, ui)
    assert outcome.completed and automation.applied == 1
    waiting = next(e for e in ui.events if getattr(e, "kind", None) == EventKind.WAITING)
    assert "netplan apply" in waiting.message and waiting.data["instructions"][-1] == "  netplan apply"
    assert events == ["applying", "finished"]
    finished = next(e for e in ui.events if getattr(e, "kind", None) == EventKind.STEP_FINISHED)
    assert "vCenter shows it as manual" in finished.message


def test_a_failure_shows_the_manual_steps_and_can_be_retried(tmp_path):
    automation, ui = Automation(failures=1), UI(decisions=["retry"])
    outcome, events = _run(tmp_path, automation, ui)
    assert outcome.completed and automation.applied == 1 and automation.previewed == 2
    failed = next(e for e in ui.events if getattr(e, "kind", None) == EventKind.STEP_FAILED)
    assert "wrong user or password" in failed.message
    assert failed.data["hints"][0]["steps"][0].startswith("app01 came back on DHCP. From the VM console set 10.0.0.21/24")
    assert events == ["applying", "failed", "applying", "finished"]


def test_a_failure_can_be_skipped_or_stop_the_run(tmp_path):
    outcome, events = _run(tmp_path, Automation(failures=1), UI(decisions=["skip"]))
    assert outcome.completed and events == ["applying", "failed", "skipped"]
    outcome, _ = _run(tmp_path / "again", Automation(failures=1), UI(decisions=["stop"]))
    assert not outcome.completed and outcome.stopped_at == STEP.id and "do it by hand" in outcome.reason


def test_declined_it_is_the_operators_by_hand(tmp_path):
    automation, ui = Automation(), UI(confirm=[False, True])
    outcome, events = _run(tmp_path, automation, ui)
    assert outcome.completed and automation.applied == 0
    assert ui.questions[1].endswith("Done?") and "From the VM console" in ui.questions[1]


def test_without_automation_the_step_stays_manual(tmp_path):
    ui = UI()
    outcome, events = _run(tmp_path, None, ui)
    assert outcome.completed and ui.questions == [" ".join(STEP.instructions) + " Done?"]
