"""Pure helpers of the results views: filtering and the text a row or a detail pane shows. No widgets here."""

from __future__ import annotations

import json
from dataclasses import dataclass

from failback.checks.model import Result, Status
from failback.runner.writers.summary import STATUS_ORDER

PROBLEMS = frozenset({Status.FAIL, Status.ERROR, Status.WARN})
# In the order a reviewer reads them: what blocks first.
STATUS_FILTERS = ("all", "problems", *(status.value for status in STATUS_ORDER))


@dataclass(frozen=True)
class ResultFilter:
    status: str = "all"  # one of STATUS_FILTERS
    text: str = ""  # matched, case-insensitively, in check, target, severity and message

    def admits(self, result: Result, haystack: str | None = None) -> bool:
        if self.status == "problems" and result.status not in PROBLEMS:
            return False
        if self.status not in ("all", "problems") and result.status.value != self.status:
            return False
        words = self.text.lower().split()
        if not words:
            return True
        haystack = haystack if haystack is not None else searchable(result)
        return all(word in haystack for word in words)


def searchable(result: Result) -> str:
    return f"{result.check} {result.target} {result.severity.value if result.severity else ''} {result.message}".lower()


class ResultIndex:
    """A report's results in reading order with their search text, built once per report, filtered per keystroke.

    The rows a status filter admits are set apart once, so a keystroke only tests the search words on them, each a
    substring test in C: 20,000 rows in a few milliseconds."""

    def __init__(self, ordered_results: list[Result]):
        self._entries = [(result, searchable(result)) for result in ordered_results]
        self._by_status: dict[str, list[tuple[Result, str]]] = {"all": self._entries}

    def _admitted(self, status: str) -> list[tuple[Result, str]]:
        if status not in self._by_status:
            view = ResultFilter(status)
            self._by_status[status] = [(result, haystack) for result, haystack in self._entries if view.admits(result, haystack)]
        return self._by_status[status]

    def select(self, view: ResultFilter) -> list[Result]:
        rows = self._admitted(view.status)
        words = view.text.lower().split()
        if not words:
            return [result for result, _ in rows]
        first, *others = words
        return [result for result, haystack in rows if first in haystack and all(word in haystack for word in others)]


def detail_markdown(result: Result, fixable: bool) -> str:
    """The detail pane: what was found, what to do, the evidence."""
    lines = [f"## {result.status.value.upper()} · {result.check}", f"**{result.target}** — {result.title}", "", result.message, ""]
    if result.waiver:
        w = result.waiver
        lines += [f"> Waived (was {w['original_status']}) by {w['approver']} until {w['expires']}: {w['justification']}", ""]
    if result.remediation:
        # Bold, not a heading: Textual's Markdown headings do not wrap, and at 80x24 the title would be cut off.
        lines += [f"**{result.remediation['title']}**", ""]
        lines += [f"{n}. {step}" for n, step in enumerate(result.remediation["steps"], 1)]
        lines += [f"- {link}" for link in result.remediation["docs"]]
        lines.append("")
        if fixable:
            lines += ["*An automatic fix exists: press **x** to preview it.*", ""]
    if result.evidence:
        lines += ["### Evidence", "", "```json", json.dumps(result.evidence, indent=2, default=str), "```"]
    return "\n".join(lines)
