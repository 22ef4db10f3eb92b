"""The plain-text report for a terminal: the verdict first, then each problem with what to do about it."""

from __future__ import annotations

from failback.checks.model import Status
from failback.runner.report import Report

_ORDER = [Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED, Status.PASS, Status.SKIP]
_LABEL = {Status.FAIL: "FAIL", Status.ERROR: "ERROR", Status.WARN: "WARN", Status.WAIVED: "WAIVED", Status.PASS: "pass", Status.SKIP: "skip"}


def write(report: Report, json_digest: str | None = None, verbose: bool = False) -> str:
    counts = report.counts()
    gate = report.gate.value if report.gate else "all gates"
    verdict = "READY" if report.ready else "NOT READY"
    lines = [
        f"failback preflight: site {report.site_name} ({report.experience.value}), {gate}",
        f"{verdict}: " + ", ".join(f"{counts[s.value]} {s.value}" for s in _ORDER),
        "",
    ]
    for status in _ORDER:
        for result in (r for r in report.results if r.status is status):
            if status in (Status.PASS, Status.SKIP) and not verbose:
                continue
            lines.append(f"{_LABEL[status]:<6} {result.check:<22} {result.target}")
            lines.append(f"       {result.message}")
            if result.remediation:
                lines.append(f"       -> {result.remediation['title']}")
                lines.extend(f"          {number}. {step}" for number, step in enumerate(result.remediation["steps"], 1))
            lines.append("")
    passed = [r for r in report.results if r.status is Status.PASS]
    if passed and not verbose:
        lines.append(f"{len(passed)} passed: " + ", ".join(sorted({r.check for r in passed})))
    return "\n".join(lines).rstrip() + "\n"
