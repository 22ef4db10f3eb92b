"""Comparing a report with an earlier one of the same site: what got worse, what got better, what is new, what is gone.

A result is known by its check and target. Statuses rank by how much they stand in the way of a failback:
pass, skip and waived < warn < error < fail. This is what `failback diff` shows and `failback check --baseline` judges by.
"""

from __future__ import annotations

from dataclasses import dataclass

from failback.checks.model import Result, Status
from failback.runner.report import READY_STATUSES, ExitCode, Report

STATUS_RANK = {Status.PASS: 0, Status.SKIP: 0, Status.WAIVED: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}

Key = tuple[str, str]  # (check, target)


@dataclass(frozen=True)
class Change:
    """One check x target in either report; `before` is None for a new result, `after` None for one that is gone."""

    check: str
    target: str
    before: Status | None
    after: Status | None
    message: str  # the newer report's message; the older one's for a result that is gone
    title: str = ""


def _worst_first(change: Change) -> int:
    """The worst news first, as every report orders it (sorting is stable: by check and target within a status)."""
    return -STATUS_RANK[change.after]


@dataclass(frozen=True)
class ReportDiff:
    old: Report
    new: Report
    worse: list[Change]
    better: list[Change]
    appeared: list[Change]
    gone: list[Change]
    unchanged: int
    # Different sites or gates make a diff full of noise: say so beside it.
    notes: list[str]

    @property
    def new_problems(self) -> list[Change]:
        """What now stands in the way and did not before: results that got worse, and new results that are not ready."""
        problems = self.worse + [change for change in self.appeared if change.after not in READY_STATUSES]
        return sorted(problems, key=_worst_first)

    @property
    def regressed(self) -> bool:
        return bool(self.new_problems)

    @property
    def exit_code(self) -> int:
        """`failback diff`: 1 when anything got worse or a new result is not ready, else 0."""
        return ExitCode.FAIL if self.regressed else ExitCode.READY

    @property
    def baseline_exit_code(self) -> int:
        """`failback check --baseline`: 1 for fails new or worse since the baseline, 3 for such errors, else 0."""
        statuses = {change.after for change in self.new_problems}
        if Status.FAIL in statuses:
            return ExitCode.FAIL
        if Status.ERROR in statuses:
            return ExitCode.ERROR
        return ExitCode.READY


def _by_key(results: list[Result]) -> dict[Key, Result]:
    """One result per check x target; should a report hold two, the worse one speaks for both."""
    chosen: dict[Key, Result] = {}
    for result in results:
        key = (result.check, result.target)
        if key not in chosen or STATUS_RANK[result.status] > STATUS_RANK[chosen[key].status]:
            chosen[key] = result
    return chosen


def _notes(old: Report, new: Report) -> list[str]:
    notes = []
    if old.site_name != new.site_name:
        notes.append(f"the reports are of different sites: {old.site_name} and {new.site_name}")
    old_gate, new_gate = (report.gate.value if report.gate else "all" for report in (old, new))
    if old_gate != new_gate:
        notes.append(f"the reports cover different gates ({old_gate} and {new_gate}): results of one gate only show as new or gone")
    return notes


def compare(old: Report, new: Report) -> ReportDiff:
    before, after = _by_key(old.results), _by_key(new.results)
    worse, better, appeared, gone = [], [], [], []
    unchanged = 0
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        if was is None:
            appeared.append(Change(*key, None, now.status, now.message, now.title))
        elif now is None:
            gone.append(Change(*key, was.status, None, was.message, was.title))
        elif STATUS_RANK[now.status] > STATUS_RANK[was.status]:
            worse.append(Change(*key, was.status, now.status, now.message, now.title))
        elif STATUS_RANK[now.status] < STATUS_RANK[was.status]:
            better.append(Change(*key, was.status, now.status, now.message, now.title))
        else:
            unchanged += 1
    worse.sort(key=_worst_first)
    appeared.sort(key=_worst_first)
    return ReportDiff(old, new, worse, better, appeared, gone, unchanged, _notes(old, new))
