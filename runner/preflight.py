"""A preflight session over one site: run the checks, run one again, plan and apply fixes. What the TUI drives.

Online it gathers facts through SiteAccess; offline it re-evaluates a saved facts bundle (and fixes are not offered).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from failback.checks.facts import Facts
from failback.checks.site import Site
from failback.runner.access import SiteAccess
from failback.runner.engine import Selection, evaluate
from failback.runner.fix import FixOutcome, run_fix
from failback.runner.report import Report
from failback.runner.waivers import Waiver


class Preflight:
    def __init__(self, site: Site, access: SiteAccess | None = None, facts: Facts | None = None,
                 waivers: list[Waiver] | None = None, audit_log: Path | None = None):
        self.site = site
        self._access = access
        self._facts = facts
        self._waivers = waivers or []
        self._audit_log = audit_log
        self.report: Report | None = None

    @property
    def offline(self) -> bool:
        return self._access is None

    @property
    def access(self) -> SiteAccess | None:
        return self._access

    @property
    def waivers(self) -> list[Waiver]:
        return self._waivers

    def _collect(self, selection: Selection) -> Facts:
        if self._access is None:
            assert self._facts is not None
            return self._facts
        return self._access.collect(selection)

    def run(self) -> Report:
        self.report = evaluate(self._collect(Selection()), Selection(), self._waivers)
        return self.report

    def rerun_check(self, check_id: str) -> Report:
        """Gather and judge one check again; the other results stay as they were."""
        selection = Selection(only=frozenset({check_id}))
        fresh = evaluate(self._collect(selection), selection, self._waivers)
        if self.report is None:
            self.report = fresh
        else:
            kept = [r for r in self.report.results if r.check != check_id]
            self.report = replace(self.report, results=kept + fresh.results, generated_at=fresh.generated_at)
        return self.report

    def fix(self, check_id: str, target: str | None, confirm: Callable[[list], bool], dry_run: bool) -> FixOutcome:
        if self._access is None:
            raise RuntimeError("fixes need the live site, not a facts bundle")
        from failback.remediations.fixes import fix_for

        fix = fix_for(check_id)
        secrets = {fix.source: self._access.secrets(fix.source)} if fix else {}
        return run_fix(self.site, check_id, target, self._access.collect, secrets, confirm, dry_run=dry_run, audit_log=self._audit_log)
