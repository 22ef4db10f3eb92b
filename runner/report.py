"""A report: the verdicts of one evaluation, their summary, the exit code they mean, and the JSON document of DESIGN.md."""

from __future__ import annotations

import getpass
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from failback.checks.model import Experience, Gate, Result, Severity, Status

SCHEMA = "failback.report/1"
# Statuses that still let the failback go ahead.
READY_STATUSES = {Status.PASS, Status.WARN, Status.SKIP, Status.WAIVED}


def current_operator() -> dict[str, str]:
    """Who ran the tool, from where: a change review wants to know."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = "unknown"
    return {"user": user, "host": socket.gethostname()}


class ExitCode:
    READY = 0
    FAIL = 1
    USAGE = 2
    ERROR = 3
    DECLINED = 4


@dataclass
class Report:
    site_name: str
    experience: Experience
    gate: Gate | None
    generated_at: str
    collected_at: str
    tool_version: str
    results: list[Result]
    # Every waiver given, with whether it applied, expired or matched nothing.
    waivers: list[dict[str, Any]] = field(default_factory=list)
    operator: dict[str, str] = field(default_factory=lambda: current_operator())
    # Events of a failback run, when one happened: [{at, step, event, message}].
    timeline: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        tally = Counter(result.status for result in self.results)
        return {status.value: tally[status] for status in Status}

    @property
    def ready(self) -> bool:
        return all(result.status in READY_STATUSES for result in self.results)

    @property
    def exit_code(self) -> int:
        counts = self.counts()
        if counts["fail"]:
            return ExitCode.FAIL
        if counts["error"]:
            return ExitCode.ERROR
        return ExitCode.READY

    def to_document(self) -> dict[str, Any]:
        return {**self.head_document(), "results": [result_document(r) for r in self.results]}

    def head_document(self) -> dict[str, Any]:
        """The document without its results: what a writer streaming the results one by one puts before them."""
        return {
            "schema": SCHEMA,
            "site": self.site_name,
            "experience": self.experience.value,
            "gate": self.gate.value if self.gate else "all",
            "generated_at": self.generated_at,
            "collected_at": self.collected_at,
            "tool_version": self.tool_version,
            "operator": self.operator,
            "summary": {**self.counts(), "ready": self.ready},
            "waivers": self.waivers,
            "timeline": self.timeline,
        }


def result_document(r: Result) -> dict[str, Any]:
    return {
        "check": r.check,
        "target": r.target,
        "status": r.status.value,
        "severity": r.severity.value if r.severity else None,
        "title": r.title,
        "message": r.message,
        "evidence": r.evidence,
        "remediation": r.remediation,
        "waiver": r.waiver,
    }


class ReportFileError(Exception):
    """A saved JSON report that cannot be rendered again."""


def report_from_document(document: dict[str, Any]) -> Report:
    """A Report back from its JSON document (`failback report --from`), to render it in another format."""
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise ReportFileError(f"not a failback report (expected schema {SCHEMA!r})")
    try:
        gate = document["gate"]
        results = [
            Result(
                check=r["check"], target=r["target"], status=Status(r["status"]), message=r["message"],
                evidence=r.get("evidence") or {}, severity=Severity(r["severity"]) if r.get("severity") else None,
                title=r.get("title", ""), remediation=r.get("remediation"), waiver=r.get("waiver"),
            )
            for r in document["results"]
        ]
        return Report(
            site_name=document["site"], experience=Experience(document["experience"]),
            gate=None if gate == "all" else Gate(gate), generated_at=document["generated_at"],
            collected_at=document.get("collected_at", document["generated_at"]), tool_version=document["tool_version"],
            results=results, waivers=document.get("waivers", []), operator=document.get("operator", {}),
            timeline=document.get("timeline", []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportFileError(f"the report is incomplete or damaged: {exc}") from None
