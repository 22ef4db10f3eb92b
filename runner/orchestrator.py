"""Running a failback plan: gates, ASR operations followed to their end, manual steps, all journaled and resumable.

Each gate's facts choose the ids of the ASR requests that follow it (runner/asr_requests.py): every request of the
phase is resolved before the first is sent, so a missing fact stops the run before any write. Before any side effect
the step is journaled as started, with the request; once ASR accepted it, as submitted with the job id and the
poller's continuation token; at its end, as finished. A resumed run never submits again what may have been accepted:
with a job id it follows the job, a failed job it restarts (as the in-process retry does), and with only "started"
it asks ASR for a job already running on the item first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from failback.checks.facts import Facts
from failback.checks.model import Gate, Status
from failback.remediations import catalog
from failback.remediations.asr_errors import remediation_for
from failback.runner.events import EventKind, RunEvent, StepFailure
from failback.runner.journal import Journal, JournalError
from failback.runner.plan import FailbackPlan, Step, StepKind
from failback.runner.asr_requests import AsrRequest, RequestPlanner, Unresolved
from failback.runner.report import Report

TERMINAL_JOB_STATES = {"Succeeded", "Failed", "Cancelled", "Suspended", "CompletedWithInformation"}
SUCCESSFUL_JOB_STATES = {"Succeeded", "CompletedWithInformation"}


class AsrOperationError(Exception):
    """ASR refused or could not be asked; `code` is ASR's error code when it gave one."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Submission:
    job_id: str
    continuation_token: str | None = None


@dataclass(frozen=True)
class GateVerdict:
    """A gate's report, and the facts it judged: the ASR requests after the gate choose their ids from them."""

    report: Report
    facts: Facts


class AsrPort(Protocol):
    """What the run needs of ASR; runner/asr_operations.py implements it with the SDK."""

    def submit(self, request: AsrRequest) -> Submission: ...
    def job(self, job_id: str) -> dict[str, Any]: ...
    def restart(self, job_id: str) -> Submission: ...
    def accepted_job(self, step: Step, item: str | None, since: str, known: set[str]) -> str | None: ...
    def replication_healthy(self, item: str) -> tuple[bool, str]: ...
    def delete_azure_vm(self, item: str) -> str: ...


class RunUI(Protocol):
    def event(self, event: RunEvent) -> None: ...
    def confirm(self, step: Step, question: str) -> bool: ...
    def decide(self, step: Step, failure: StepFailure, choices: tuple[str, ...]) -> str: ...


class StepAutomationError(Exception):
    """An automated manual step could not be previewed or done; manual_steps say how to do it by hand."""

    def __init__(self, message: str, manual_steps: tuple[str, ...] = ()):
        super().__init__(message)
        self.message, self.manual_steps = message, manual_steps


class StepAutomation(Protocol):
    """Manual steps the tool can do itself: the restore of a static IP through VMware Tools (runner/static_ip_step.py)."""

    def handles(self, step: Step) -> bool: ...
    def preview(self, step: Step) -> list[str]: ...  # read-only: what it finds and exactly what it will run
    def apply(self, step: Step) -> str: ...  # do it and verify it; raises StepAutomationError


class RunStopped(Exception):
    def __init__(self, step: str, reason: str):
        super().__init__(reason)
        self.step, self.reason = step, reason


@dataclass
class RunOutcome:
    completed: bool
    stopped_at: str | None = None
    reason: str = ""


def unresolved_hint(unresolved: Unresolved, target: str) -> dict[str, Any]:
    """What to do when a request has no verified choice for an id: the missing fact, then the catalog's remediation."""
    hint = catalog.get(unresolved.remediation_id).for_finding(target, {"missing": unresolved.missing},
                                                              f"Before failback can send {unresolved.step}")
    if not any(unresolved.missing in step for step in hint["steps"]):
        hint["steps"] = [f"{unresolved.missing}.", *hint["steps"]]
    return {"code": None, **hint}


def hints_for(errors: list[dict[str, Any]], target: str) -> list[dict[str, Any]]:
    """Our remediation beside each of ASR's errors; an unknown code still says that we have no entry for it."""
    hints = []
    for error in errors:
        code = error.get("code")
        remediation_id = remediation_for([code])
        if remediation_id is None:
            hints.append({"code": code, "id": None, "title": f"failback has no remediation for ASR error {code}: follow ASR's recommended action",
                          "steps": [error.get("recommended_action") or "see the job in the Azure portal"]})
        else:
            hints.append({"code": code, **catalog.get(remediation_id).for_finding(target, error, f"What to do about ASR error {code}")})
    return hints


class FailbackRun:
    def __init__(self, plan: FailbackPlan, asr: AsrPort, journal: Journal, preflight: Callable[[Gate], GateVerdict], ui: RunUI,
                 poll_seconds: float = 10.0, wait_timeout_seconds: float = 6 * 3600, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, automation: StepAutomation | None = None):
        self.plan, self.asr, self.journal, self.preflight, self.ui = plan, asr, journal, preflight, ui
        self.automation = automation
        self.poll_seconds, self.wait_timeout_seconds = poll_seconds, wait_timeout_seconds
        self._clock, self._sleep = clock, sleep
        self._requests: dict[str, AsrRequest] = {}  # by step id: resolved from the facts of the gate before the step

    # -- the run --------------------------------------------------------------------------------------------------
    def run(self) -> RunOutcome:
        if not self.journal.events("plan"):
            self.journal.append("plan", "recorded", plan=self.plan.to_document())
        try:
            for step in self.plan.steps:
                if self._done(step.id):
                    continue
                self._emit(EventKind.STEP_STARTED, step, step.title, phase=step.phase)
                {
                    StepKind.GATE: self._gate,
                    StepKind.REPROTECT: self._asr_step,
                    StepKind.FAILOVER: self._asr_step,
                    StepKind.COMMIT: self._asr_step,
                    StepKind.REPROTECT_BACK: self._asr_step,
                    StepKind.WAIT_PROTECTED: self._wait_protected,
                    StepKind.MANUAL: self._manual,
                    StepKind.CLEANUP: self._cleanup,
                }[step.kind](step)
        except RunStopped as stop:
            self.journal.append(stop.step, "stopped", reason=stop.reason)
            self.ui.event(RunEvent(EventKind.RUN_STOPPED, stop.step, stop.reason))
            return RunOutcome(False, stop.step, stop.reason)
        except JournalError as error:
            # Nothing more is asked of ASR once a step cannot be recorded; what was recorded is enough to resume.
            self.ui.event(RunEvent(EventKind.RUN_STOPPED, "journal", f"{error}; free space, then resume"))
            return RunOutcome(False, "journal", str(error))
        self.journal.append("run", "finished")
        self.ui.event(RunEvent(EventKind.RUN_FINISHED, "run", "failback complete"))
        return RunOutcome(True)

    def _done(self, step_id: str) -> bool:
        last = self.journal.last(step_id)
        return last is not None and last["event"] in ("finished", "skipped")

    def _emit(self, kind: str, step: Step, message: str, **data: Any) -> None:
        self.ui.event(RunEvent(kind, step.id, message, data))

    def _finish(self, step: Step, message: str, **data: Any) -> None:
        self.journal.append(step.id, "finished", **data)
        self._emit(EventKind.STEP_FINISHED, step, message, **data)

    # -- gates ----------------------------------------------------------------------------------------------------
    def _gate(self, step: Step) -> None:
        verdict = self._passing_gate(step, step)
        self._resolve_requests(step, verdict.facts)
        report = verdict.report
        counts = report.counts()
        question = f"Every {step.gate} check passes ({counts['pass']} pass, {counts['warn']} warn, {counts['waived']} waived). Go on?"
        self._emit(EventKind.WAITING, step, question)
        if not self.ui.confirm(step, question):
            raise RunStopped(step.id, "stopped at the gate by the operator")
        self._finish(step, f"{step.gate} gate passed", counts=counts)

    def _passing_gate(self, gate: Step, step: Step) -> GateVerdict:
        """The gate's checks, again until they pass or the operator stops; `step` is the one waiting for them."""
        while True:
            verdict = self.preflight(Gate(gate.gate))
            blocking = [r for r in verdict.report.results if r.status in (Status.FAIL, Status.ERROR)]
            if not blocking:
                return verdict
            problems = [{"check": r.check, "target": r.target, "status": r.status.value, "message": r.message,
                         "remediation": (r.remediation or {}).get("title")} for r in blocking]
            self.journal.append(step.id, "failed", problems=problems)
            failure = StepFailure(step.id, f"{len(blocking)} {gate.gate} check(s) do not pass", hints=problems, retryable=True)
            self._emit(EventKind.STEP_FAILED, step, failure.message, problems=problems)
            if self.ui.decide(step, failure, ("retry", "stop")) != "retry":
                raise RunStopped(step.id, f"the {gate.gate} gate does not pass: fix the problems, then resume")

    def _phase_steps(self, gate: Step) -> list[Step]:
        """The ASR steps a gate vouches for: those after it, up to the next gate."""
        following = self.plan.steps[self.plan.steps.index(gate) + 1:]
        until = next((index for index, step in enumerate(following) if step.kind == StepKind.GATE), len(following))
        return [step for step in following[:until] if step.kind in StepKind.ASR and not self._done(step.id)]

    def _resolve_requests(self, gate: Step, facts: Facts) -> None:
        """Every request of the gate's phase from the facts it judged; one without a verified id stops the run before
        any of them is sent."""
        planner = RequestPlanner(facts, self.plan.asr_before)
        unresolved = []
        for step in self._phase_steps(gate):
            try:
                self._requests[step.id] = planner.request(step)
            except Unresolved as missing:
                unresolved.append((step, missing))
        if not unresolved:
            return
        hints = [unresolved_hint(missing, f"item:{step.items[0]}" if step.items else f"plan:{step.recovery_plan}")
                 for step, missing in unresolved]
        reasons = [f"{step.id}: {missing.missing}" for step, missing in unresolved]
        self.journal.append(gate.id, "refused", unresolved=[missing.to_document() for _, missing in unresolved])
        failure = StepFailure(gate.id, "no verified choice for " + "; ".join(reasons), hints=hints, retryable=False)
        self._emit(EventKind.STEP_FAILED, gate, failure.message, hints=hints)
        raise RunStopped(gate.id, f"failback sends nothing it cannot vouch for: {'; '.join(reasons)}")

    def _request(self, step: Step) -> AsrRequest:
        """The step's request; a run resumed past its gate judges that gate's checks again to choose the ids."""
        if step.id not in self._requests:
            gate = self.plan.gate_before(step)
            assert gate is not None, f"{step.id} has no gate before it"
            self._emit(EventKind.PROGRESS, step, f"judging the {gate.gate} checks again for the ids of the request")
            self._resolve_requests(gate, self._passing_gate(gate, step).facts)
        return self._requests[step.id]

    # -- ASR operations -------------------------------------------------------------------------------------------
    def _asr_step(self, step: Step) -> None:
        item = None if step.recovery_plan else step.items[0]
        target = f"item:{item}" if item else f"plan:{step.recovery_plan}"
        while True:
            try:
                submission = self._submission(step, item)
                job = self._follow(step, submission.job_id)
            except AsrOperationError as error:
                errors = [{"code": error.code, "message": error.message}]
                self.journal.append(step.id, "failed", errors=errors)
                self._failed(step, StepFailure(step.id, error.message, errors, hints_for(errors, target)))
                continue  # retry: _submission looks for a job ASR may have accepted before submitting again
            except Unresolved as missing:  # the gate judged again on resume, and an id has no verified choice now
                hint = unresolved_hint(missing, target)
                self.journal.append(step.id, "refused", unresolved=missing.to_document())
                self._emit(EventKind.STEP_FAILED, step, missing.missing, hints=[hint])
                raise RunStopped(step.id, f"failback sends nothing it cannot vouch for: {missing.missing}") from None
            if job["state"] in SUCCESSFUL_JOB_STATES:
                self._finish(step, f"{step.title}: {job['state']}", job_id=submission.job_id)
                return
            failure = StepFailure(step.id, f"ASR job {submission.job_id} ended {job['state']}", job["errors"],
                                  hints_for(job["errors"], target), submission.job_id)
            self.journal.append(step.id, "failed", job_id=submission.job_id, errors=job["errors"])
            self._failed(step, failure)  # retried: the loop's next _submission restarts the failed job

    def _failed(self, step: Step, failure: StepFailure) -> None:
        """Tell the operator, with ASR's words and our hints; stop unless they choose to retry."""
        self._emit(EventKind.STEP_FAILED, step, failure.message, errors=failure.errors, hints=failure.hints, job_id=failure.job_id)
        if self.ui.decide(step, failure, ("retry", "stop")) != "retry":
            raise RunStopped(step.id, f"{failure.message}; resume once its cause is removed")

    def _submission(self, step: Step, item: str | None) -> Submission:
        """The job of this step: the journaled one, one ASR already runs for it, the restart of its failed job, or a
        new submission; never a second submission of what ASR may have accepted."""
        history = [e for e in self.journal.events(step.id) if e["event"] in ("started", "submitted", "failed", "restarting")]
        last = history[-1] if history else None
        accepted = next((e for e in reversed(history) if e["event"] == "submitted"), None)
        if last is not None and last["event"] == "submitted":
            self._emit(EventKind.PROGRESS, step, f"following ASR job {last['job_id']}", job_id=last["job_id"])
            return Submission(last["job_id"], last.get("token"))
        if last is not None and last["event"] == "failed" and last.get("job_id"):
            return self._restart(step, last["job_id"])  # ASR's job ended Failed: restart it, as the retry in process does
        if last is not None and last["event"] == "failed" and accepted is not None and history.index(accepted) > self._last_start(history):
            # Following the accepted job failed (ASR unreachable): its fate is ASR's to tell, not ours to guess.
            self._emit(EventKind.PROGRESS, step, f"following ASR job {accepted['job_id']}", job_id=accepted["job_id"])
            return Submission(accepted["job_id"], accepted.get("token"))
        if last is not None and last["event"] in ("started", "restarting"):
            # Asked before a crash with no answer recorded: ASR may have accepted it, and may have finished it since.
            # Look before asking again.
            # Jobs the journal knows are another step's, or this step's earlier ones (the same operation on the same item
            # runs twice in a failback: the reprotect toward on-premises, then back to Azure).
            known = {entry["job_id"] for entry in self.journal.entries() if entry.get("job_id")}
            running = self.asr.accepted_job(step, item, last["at"], known)
            if running is not None:
                self.journal.append(step.id, "submitted", job_id=running, found_running=True)
                self._emit(EventKind.PROGRESS, step, f"resuming: ASR accepted it as job {running}", job_id=running)
                return Submission(running)
            if last["event"] == "restarting":
                return self._restart(step, last["job_id"])
        request = self._request(step)
        self.journal.append(step.id, "started", item=item, request=request.to_document())
        submission = self.asr.submit(request)
        try:
            self.journal.append(step.id, "submitted", job_id=submission.job_id, token=submission.continuation_token)
        except JournalError as error:
            raise JournalError(f"{error}; ASR had accepted {step.id} as job {submission.job_id}, which --resume follows") from None
        self._emit(EventKind.PROGRESS, step, f"ASR accepted it: job {submission.job_id}", job_id=submission.job_id)
        return submission

    @staticmethod
    def _last_start(history: list[dict[str, Any]]) -> int:
        starts = [index for index, entry in enumerate(history) if entry["event"] == "started"]
        return starts[-1] if starts else -1

    def _restart(self, step: Step, job_id: str) -> Submission:
        self.journal.append(step.id, "restarting", job_id=job_id)
        restarted = self.asr.restart(job_id)
        self.journal.append(step.id, "submitted", job_id=restarted.job_id, token=restarted.continuation_token, restart=True)
        self._emit(EventKind.PROGRESS, step, f"ASR restarted job {job_id}: job {restarted.job_id}", job_id=restarted.job_id)
        return restarted

    def _follow(self, step: Step, job_id: str) -> dict[str, Any]:
        deadline = self._clock() + self.wait_timeout_seconds
        seen = None
        while True:
            job = self.asr.job(job_id)
            state = (job["state"], job.get("progress"))
            if state != seen:
                seen = state
                self._emit(EventKind.PROGRESS, step, f"job {job_id}: {job['state']}" + (f" ({job['progress']})" if job.get("progress") else ""),
                           job_id=job_id, state=job["state"])
            if job["state"] in TERMINAL_JOB_STATES:
                return job
            if self._clock() > deadline:
                raise RunStopped(step.id, f"ASR job {job_id} still {job['state']} after {self.wait_timeout_seconds:g} s; resume to keep following it")
            self._sleep(self.poll_seconds)

    # -- waiting, manual steps, clean-up --------------------------------------------------------------------------
    def _wait_protected(self, step: Step) -> None:
        deadline = self._clock() + self.wait_timeout_seconds
        pending = list(step.items)
        while pending:
            still = []
            for item in pending:
                healthy, detail = self.asr.replication_healthy(item)
                self._emit(EventKind.PROGRESS, step, f"{item}: {detail}", item=item, healthy=healthy)
                if not healthy:
                    still.append(item)
            pending = still
            if pending:
                if self._clock() > deadline:
                    raise RunStopped(step.id, f"replication of {', '.join(pending)} not healthy after {self.wait_timeout_seconds:g} s")
                self._sleep(self.poll_seconds)
        self._finish(step, "replication to on-premises is healthy for every item")

    def _manual(self, step: Step) -> None:
        if self.automation is not None and self.automation.handles(step):
            self._automated(step)
            return
        self._confirmed_by_hand(step)

    def _automated(self, step: Step) -> None:
        """Preview at the confirmation, then do and verify; declined, it is the operator's by hand again."""
        while True:
            try:
                preview = self.automation.preview(step)
                question = f"{step.title} through VMware Tools guest operations: apply this?"
                self._emit(EventKind.WAITING, step, "\n      ".join([question, *preview]), instructions=preview)
                if not self.ui.confirm(step, question):
                    self._confirmed_by_hand(step)
                    return
                self.journal.append(step.id, "applying")
                self._finish(step, self.automation.apply(step), automated=True)
                return
            except StepAutomationError as error:
                self.journal.append(step.id, "failed", reason=error.message)
                failure = StepFailure(step.id, error.message, hints=[{"id": None, "title": f"{step.title} by hand",
                                                                       "steps": list(error.manual_steps or step.instructions)}])
                self._emit(EventKind.STEP_FAILED, step, failure.message, hints=failure.hints)
                choice = self.ui.decide(step, failure, ("retry", "skip", "stop"))
                if choice == "retry":
                    continue
                if choice == "skip":
                    self.journal.append(step.id, "skipped")
                    self._emit(EventKind.STEP_SKIPPED, step, f"{step.title}: skipped by the operator")
                    return
                raise RunStopped(step.id, f"{error.message}; resume once its cause is removed, or do it by hand") from None

    def _confirmed_by_hand(self, step: Step) -> None:
        question = " ".join(step.instructions) + " Done?"
        self._emit(EventKind.WAITING, step, question, instructions=list(step.instructions))
        if self.ui.confirm(step, question):
            self._finish(step, f"{step.title}: confirmed done")
            return
        failure = StepFailure(step.id, f"{step.title}: not confirmed", retryable=False)
        if self.ui.decide(step, failure, ("skip", "stop")) == "skip":
            self.journal.append(step.id, "skipped")
            self._emit(EventKind.STEP_SKIPPED, step, f"{step.title}: skipped by the operator")
            return
        raise RunStopped(step.id, f"{step.title} is not done yet; resume when it is")

    def _cleanup(self, step: Step) -> None:
        question = f"Delete the Azure VMs {', '.join(step.items)} now? This cannot be undone."
        self._emit(EventKind.WAITING, step, question, instructions=list(step.instructions))
        if not self.ui.confirm(step, question):
            self.journal.append(step.id, "skipped")
            self._emit(EventKind.STEP_SKIPPED, step, "the old Azure VMs are kept")
            return
        for item in step.items:
            self.journal.append(step.id, "deleting", item=item)
            self._emit(EventKind.PROGRESS, step, self.asr.delete_azure_vm(item), item=item)
        self._finish(step, "the old Azure VMs are deleted")
