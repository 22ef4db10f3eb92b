"""What every document for a change review shows first: who ran what, when, against which site, and the go/no-go."""

from __future__ import annotations

from dataclasses import dataclass

from failback.checks.model import Gate, Result, Status
from failback.runner.report import Report

# The order a reviewer reads statuses in: what blocks first.
STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED, Status.PASS, Status.SKIP)


@dataclass(frozen=True)
class Header:
    site: str
    experience: str
    gate: str
    verdict: str
    generated_at: str
    operator: str
    tool_version: str


def header(report: Report) -> Header:
    return Header(
        site=report.site_name,
        experience=report.experience.value,
        gate=report.gate.value if report.gate else "all gates",
        verdict="GO: ready" if report.ready else "NO-GO: not ready",
        generated_at=report.generated_at,
        operator=f"{report.operator.get('user', '?')}@{report.operator.get('host', '?')}",
        tool_version=report.tool_version,
    )


def ordered(results: list[Result]) -> list[Result]:
    rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    return sorted(results, key=lambda r: (rank[r.status], r.check, r.target))


def counts_per_gate(report: Report) -> dict[str, dict[str, int]]:
    """Status counts of the results of each gate's checks (a check may belong to several gates)."""
    from failback.checks.registry import get

    table: dict[str, dict[str, int]] = {}
    for gate in Gate:
        counts = {status.value: 0 for status in STATUS_ORDER}
        for result in report.results:
            if gate in get(result.check).meta.gates:
                counts[result.status.value] += 1
        if any(counts.values()):
            table[gate.value] = counts
    return table
