"""A report diff as text (a terminal or a mail from cron), Markdown (a change ticket) or JSON (a pipeline)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from failback.checks.model import Status
from failback.runner.diff import Change, ReportDiff
from failback.runner.report import Report
from failback.runner.writers.markdown_writer import markdown_table

DIFF_SCHEMA = "failback.diff/1"


def _sections(diff: ReportDiff) -> list[tuple[str, list[Change]]]:
    """In the order a reader needs them: what blocks now first."""
    return [("worse", diff.worse), ("new", diff.appeared), ("better", diff.better), ("gone", diff.gone)]


def _status(status: Status | None, absent: str = "-") -> str:
    return status.value if status is not None else absent


def _verdict(diff: ReportDiff) -> str:
    if diff.regressed:
        return f"WORSE: {len(diff.new_problems)} new or worse problem(s) since {diff.old.generated_at}"
    return f"NOT WORSE: nothing new or worse since {diff.old.generated_at}"


def _tally(diff: ReportDiff) -> str:
    return ", ".join(f"{len(changes)} {name}" for name, changes in _sections(diff)) + f", {diff.unchanged} unchanged"


def write_text(diff: ReportDiff) -> str:
    lines = [f"Failback preflight diff: {diff.new.site_name}, {diff.old.generated_at} -> {diff.new.generated_at}",
             _verdict(diff), _tally(diff)]
    lines += [f"note: {note}" for note in diff.notes]
    for name, changes in _sections(diff):
        if not changes:
            continue
        lines += ["", f"{name.capitalize()} ({len(changes)}):"]
        for change in changes:
            lines.append(f"  {_status(change.before, 'new'):>6} -> {_status(change.after, 'gone'):<6} {change.check} {change.target}")
            lines.append(f"      {change.message}")
    return "\n".join(lines) + "\n"


def _report_row(label: str, report: Report) -> list[object]:
    counts = report.counts()
    return [label, report.generated_at, "GO: ready" if report.ready else "NO-GO: not ready",
            f"{counts['fail']} fail, {counts['error']} error, {counts['warn']} warn"]


def write_markdown(diff: ReportDiff) -> str:
    lines = [f"# Failback preflight diff: {diff.new.site_name}", "", f"**{_verdict(diff)}** ({_tally(diff)})", ""]
    lines += [f"> Note: {note}\n" for note in diff.notes]
    lines += markdown_table(["report", "generated", "verdict", "problems"],
                            [_report_row("before", diff.old), _report_row("now", diff.new)])
    for name, changes in _sections(diff):
        lines += ["", f"## {name.capitalize()} ({len(changes)})", ""]
        if not changes:
            lines.append("None.")
            continue
        lines += markdown_table(["check", "target", "before", "now", "message"],
                                [[f"`{c.check}`", f"`{c.target}`", _status(c.before), _status(c.after), c.message] for c in changes])
    return "\n".join(lines) + "\n"


def _report_summary(report: Report) -> dict[str, Any]:
    return {"site": report.site_name, "gate": report.gate.value if report.gate else "all", "generated_at": report.generated_at,
            "summary": {**report.counts(), "ready": report.ready}}


def write_json(diff: ReportDiff) -> str:
    document: dict[str, Any] = {
        "schema": DIFF_SCHEMA,
        "reports": {"before": _report_summary(diff.old), "after": _report_summary(diff.new)},
        "regressed": diff.regressed,
        "notes": diff.notes,
        "counts": {**{name: len(changes) for name, changes in _sections(diff)}, "unchanged": diff.unchanged},
    }
    for name, changes in _sections(diff):
        document[name] = [{"check": c.check, "target": c.target, "before": c.before.value if c.before else None,
                           "after": c.after.value if c.after else None, "title": c.title, "message": c.message} for c in changes]
    return json.dumps(document, indent=2) + "\n"


DIFF_FORMATS: dict[str, Callable[[ReportDiff], str]] = {"text": write_text, "markdown": write_markdown, "json": write_json}
