"""The Markdown report: pastes into a change ticket, reads top-down as the verdict, the problems, the waivers."""

from __future__ import annotations

import json

from failback.checks.model import Status
from failback.runner.report import Report
from failback.runner.writers.summary import STATUS_ORDER, counts_per_gate, header, ordered

_PROBLEMS = (Status.FAIL, Status.ERROR, Status.WARN, Status.WAIVED)


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(headings: list[str], rows: list[list[object]]) -> list[str]:
    """A GitHub-flavoured table; pipes and line breaks in cells are escaped (the diff writer uses it too)."""
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def write(report: Report, json_digest: str | None = None) -> str:
    head = header(report)
    lines = [f"# Failback preflight: {head.site}", ""]
    lines += markdown_table(["", ""], [
        ["Verdict", f"**{head.verdict}**"],
        ["Site", f"{head.site} ({head.experience})"],
        ["Gate", head.gate],
        ["Generated", f"{head.generated_at} by {head.operator}"],
        ["Tool", f"failback {head.tool_version}"],
        ["JSON report SHA-256", f"`{json_digest}`" if json_digest else "no JSON report written in this run"],
    ])
    counts = report.counts()
    lines += ["", "## Summary", ""]
    per_gate = counts_per_gate(report)
    lines += markdown_table(["gate", *[s.value for s in STATUS_ORDER]],
                    [[gate, *[row[s.value] for s in STATUS_ORDER]] for gate, row in per_gate.items()]
                    + [["**all**", *[f"**{counts[s.value]}**" for s in STATUS_ORDER]]])

    problems = [r for r in ordered(report.results) if r.status in _PROBLEMS]
    lines += ["", "## Problems", ""]
    if not problems:
        lines.append("None.")
    for result in problems:
        lines += [f"### {result.status.value.upper()} `{result.check}` on `{result.target}`", "", result.message, ""]
        if result.waiver:
            w = result.waiver
            lines += [f"> Waived (was {w['original_status']}) by {w['approver']} until {w['expires']}: {w['justification']}", ""]
        if result.remediation:
            lines.append(f"**{result.remediation['title']}**")
            lines.append("")
            lines += [f"{number}. {step}" for number, step in enumerate(result.remediation["steps"], 1)]
            lines += [f"   - {link}" for link in result.remediation["docs"]]
            lines.append("")
        if result.evidence:
            lines += ["<details><summary>Evidence</summary>", "", "```json", json.dumps(result.evidence, indent=2, default=str), "```", "", "</details>", ""]

    lines += ["## Waivers", ""]
    if report.waivers:
        lines += markdown_table(["check", "target", "state", "justification", "approver", "expires", "results"],
                        [[w["check"], w["target"], w["state"], w["justification"], w["approver"], w["expires"], ", ".join(w["results"]) or "none"]
                         for w in report.waivers])
    else:
        lines.append("None.")

    passed = [r for r in ordered(report.results) if r.status in (Status.PASS, Status.SKIP)]
    lines += ["", "## Passed and skipped", ""]
    lines += markdown_table(["status", "check", "target", "message"], [[r.status.value, r.check, r.target, r.message] for r in passed]) if passed else ["None."]
    if report.timeline:
        lines += ["", "## Run timeline", ""]
        lines += markdown_table(["at", "step", "event", "message"], [[e["at"], e["step"], e["event"], e.get("message", "")] for e in report.timeline])
    return "\n".join(lines) + "\n"
