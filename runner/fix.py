"""`failback fix`: find the problems of one check, show exactly what the fix will change, ask, apply, check again.

Headless: the CLI and the TUI pass how to ask (confirm) and how to gather facts (collect); both get the same outcome.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import Result, Status
from failback.checks.site import Site
from failback.remediations.fixes import FixAction, FixError, fix_for
from failback.runner import audit
from failback.runner.engine import Selection, evaluate
from failback.runner.report import ExitCode

NEEDS_FIXING = {Status.FAIL, Status.WARN}


@dataclass
class FixOutcome:
    exit_code: int
    message: str
    actions: list[FixAction] = field(default_factory=list)
    applied: list[tuple[FixAction, bool, str]] = field(default_factory=list)  # action, whether it worked, what happened
    after: list[Result] = field(default_factory=list)  # the check's results once the fix ran


class NoAutomaticFix(Exception):
    """The check has no fix the tool may apply; the remediation's steps are for the operator."""


def run_fix(
    site: Site,
    check_id: str,
    target_pattern: str | None,
    collect: Callable[[Selection], Facts],
    secrets: Mapping[str, Any],
    confirm: Callable[[list[FixAction]], bool],
    dry_run: bool = False,
    audit_log: Path | None = None,
) -> FixOutcome:
    fix = fix_for(check_id)
    if fix is None:
        raise NoAutomaticFix(check_id)
    selection = Selection(only=frozenset({check_id}))

    def judged(facts: Facts) -> list[Result]:
        return [r for r in evaluate(facts, selection).results if target_pattern is None or fnmatch.fnmatchcase(r.target, target_pattern)]

    facts = collect(selection)
    results = judged(facts)
    if not results:
        return FixOutcome(ExitCode.USAGE, f"{check_id} has no result for target {target_pattern!r}")
    unverified = [r for r in results if r.status is Status.ERROR]
    if unverified:
        return FixOutcome(ExitCode.FAIL, f"{check_id} could not be verified, so nothing was changed: {unverified[0].message}", after=results)
    broken = [r for r in results if r.status in NEEDS_FIXING]
    if not broken:
        return FixOutcome(ExitCode.READY, f"nothing to fix: {check_id} passes on {', '.join(r.target for r in results)}", after=results)

    actions = [fix.plan(result, facts) for result in broken]
    inspect = getattr(fix, "inspect", None)  # a fix that must look (read-only) at its target to say exactly what it will do
    if inspect is not None:
        actions = [inspect(action, site, secrets) if action.refused is None else action for action in actions]
    doable = [action for action in actions if action.refused is None]
    if dry_run:
        return FixOutcome(ExitCode.READY, "dry run: nothing was changed", actions)
    if not doable:
        return FixOutcome(ExitCode.FAIL, "the fix was refused for every target, nothing was changed", actions)
    log_path = audit_log or audit.default_audit_log()
    if not confirm(actions):
        for action in doable:
            audit.record(log_path, site.display_name, {"check": check_id, "target": action.target, "action": action.description, "outcome": "declined"})
        return FixOutcome(ExitCode.DECLINED, "declined: nothing was changed", actions)

    outcome = FixOutcome(ExitCode.READY, "", actions)
    for action in doable:
        audit.record(log_path, site.display_name, {"check": check_id, "target": action.target, "action": action.description, "outcome": "started"})
        try:
            happened, worked = fix.apply(action, site, secrets), True
        except FixError as exc:
            happened, worked = str(exc), False
        outcome.applied.append((action, worked, happened))
        audit.record(log_path, site.display_name, {"check": check_id, "target": action.target, "action": action.description,
                                                   "outcome": "applied" if worked else "failed", "detail": happened})

    outcome.after = judged(collect(selection))
    fixed_targets = {action.target for action in doable}
    remaining = [r for r in outcome.after if r.target in fixed_targets and r.status is not Status.PASS]
    if remaining or not all(worked for _, worked, _ in outcome.applied) or len(doable) < len(actions):
        outcome.exit_code = ExitCode.FAIL
        outcome.message = "applied, but not everything passes yet"
    else:
        outcome.message = "applied; the check passes now"
    return outcome
