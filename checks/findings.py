"""Several problems about one target, each with the status it deserves: the result shows them all and takes the worst."""

from __future__ import annotations

from dataclasses import dataclass, field

from failback.checks.model import Status

# Worst first: a failure outweighs "could not verify", which outweighs a warning.
_SEVERITY_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS)


@dataclass
class Findings:
    problems: list[tuple[Status, str]] = field(default_factory=list)

    def add(self, status: Status, text: str) -> None:
        self.problems.append((status, text))

    def fail(self, text: str) -> None:
        self.add(Status.FAIL, text)

    def error(self, text: str) -> None:
        self.add(Status.ERROR, text)

    def warn(self, text: str) -> None:
        self.add(Status.WARN, text)

    @property
    def status(self) -> Status:
        found = {status for status, _ in self.problems}
        return next((status for status in _SEVERITY_ORDER if status in found), Status.PASS)

    def texts(self) -> list[str]:
        """Every problem, worst first, in the order found within a status."""
        return [text for status in _SEVERITY_ORDER for found, text in self.problems if found is status]

    def message(self, when_clean: str) -> str:
        return "; ".join(self.texts()) if self.problems else when_clean
