"""`failback run` in a terminal: events printed as they come, questions asked on stdin, or answered by --yes.

Unattended (--yes) confirms gates and manual steps but still stops on a failed gate or job, and never deletes the old
Azure VMs unless --delete-azure-vms says so too. Without a terminal and without --yes every question is declined.
"""

from __future__ import annotations

import sys
from typing import TextIO

from failback.runner.events import EventKind, RunEvent, StepFailure
from failback.runner.plan import Step, StepKind

_MARK = {EventKind.STEP_STARTED: "==>", EventKind.STEP_FINISHED: " ok", EventKind.STEP_SKIPPED: "skip", EventKind.STEP_FAILED: "FAIL",
         EventKind.WAITING: "  ?", EventKind.PROGRESS: "   ", EventKind.RUN_FINISHED: "DONE", EventKind.RUN_STOPPED: "STOP"}


class ConsoleUI:
    def __init__(self, yes: bool = False, delete_azure_vms: bool = False, out: TextIO = sys.stdout, stdin: TextIO = sys.stdin):
        self.yes, self.delete_azure_vms = yes, delete_azure_vms
        self.out, self.stdin = out, stdin
        self.declined = False

    def event(self, event: RunEvent) -> None:
        print(f"{_MARK.get(event.kind, '   ')} {event.step}: {event.message}", file=self.out, flush=True)
        for problem in event.data.get("problems", []):
            print(f"       {problem['status'].upper()} {problem['check']} {problem['target']}: {problem['message']}", file=self.out)
        for error in event.data.get("errors", []):
            print(f"       ASR error {error.get('code')}: {error.get('message')}", file=self.out)
            for label, key in (("possible causes", "possible_causes"), ("ASR recommends", "recommended_action")):
                if error.get(key):
                    print(f"         {label}: {error[key]}", file=self.out)
        for hint in event.data.get("hints", []) if event.kind == EventKind.STEP_FAILED else []:
            if hint.get("steps") and hint.get("title"):
                print(f"       -> {hint['title']}", file=self.out)
                for number, step in enumerate(hint["steps"], 1):
                    print(f"          {number}. {step}", file=self.out)
        self.out.flush()

    def _ask(self, question: str, choices: tuple[str, ...]) -> str | None:
        if not self.stdin.isatty():
            return None
        print(f"    {question} [{'/'.join(choices)}] ", end="", file=self.out, flush=True)
        answer = self.stdin.readline().strip().lower()
        return next((choice for choice in choices if choice.startswith(answer) and answer), None)

    def confirm(self, step: Step, question: str) -> bool:
        if step.kind == StepKind.CLEANUP:
            if self.delete_azure_vms:
                return True
            if self.yes:
                return False  # unattended runs never delete; --delete-azure-vms does
        elif self.yes:
            return True
        answer = self._ask(question, ("yes", "no")) == "yes"
        self.declined = self.declined or (not answer and step.kind != StepKind.CLEANUP)
        return answer

    def decide(self, step: Step, failure: StepFailure, choices: tuple[str, ...]) -> str:
        if self.yes:
            return "stop"
        return self._ask(f"{failure.message}: what now?", choices) or "stop"
