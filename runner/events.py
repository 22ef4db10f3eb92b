"""What a failback run tells its front end (the CLI now, the TUI later) as it goes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


class EventKind:
    STEP_STARTED = "step-started"
    PROGRESS = "progress"
    STEP_FINISHED = "step-finished"
    STEP_SKIPPED = "step-skipped"
    STEP_FAILED = "step-failed"
    WAITING = "waiting-for-confirmation"
    RUN_FINISHED = "run-finished"
    RUN_STOPPED = "run-stopped"


@dataclass(frozen=True)
class RunEvent:
    kind: str
    step: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)  # job id, state, ASR's errors, our hints, per-VM outcomes
    at: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())


@dataclass(frozen=True)
class StepFailure:
    """A failed ASR job or gate, with ASR's own words and our remediation for each error code."""

    step: str
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)  # code, message, possible_causes, recommended_action
    hints: list[dict[str, Any]] = field(default_factory=list)  # our remediation per code: id, title, steps
    job_id: str | None = None
    retryable: bool = True
