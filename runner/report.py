"""A report: the verdicts of one evaluation, their summary, the exit code they mean, and the JSON document of DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checks.model import Gate, Result, Status
from checks.site import Site

SCHEMA = "failback.report/1"
# Statuses that still let the failback go ahead.
READY_STATUSES = {Status.PASS, Status.WARN, Status.SKIP, Status.WAIVED}


class ExitCode:
    READY = 0
    FAIL = 1
    USAGE = 2
    ERROR = 3
    DECLINED = 4


@dataclass
class Report:
    site: Site
    gate: Gate | None
    generated_at: str
    collected_at: str
    tool_version: str
    results: list[Result]

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for result in self.results:
            counts[result.status.value] += 1
        return counts

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
        return {
            "schema": SCHEMA,
            "site": self.site.display_name,
            "experience": self.site.experience.value,
            "gate": self.gate.value if self.gate else "all",
            "generated_at": self.generated_at,
            "collected_at": self.collected_at,
            "tool_version": self.tool_version,
            "summary": {**self.counts(), "ready": self.ready},
            "results": [
                {
                    "check": r.check,
                    "target": r.target,
                    "status": r.status.value,
                    "severity": r.severity.value if r.severity else None,
                    "title": r.title,
                    "message": r.message,
                    "evidence": r.evidence,
                    "remediation": r.remediation,
                }
                for r in self.results
            ],
        }
