"""The engine: collect facts from the sources a selection of checks needs, then evaluate the checks on them."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from failback.checks.facts import Facts, FactsMissing, SourceFailure
from failback.checks.model import CheckMeta, Gate, Result, Status
from failback.checks.registry import Check, all_checks
from failback.checks.site import Site
from failback.checks.sources.errors import SourceError
from failback.remediations import catalog as remediation_catalog
from failback.runner.report import Report
from failback.runner.version import TOOL_VERSION
from failback.runner.waivers import Waiver, apply_waivers

log = logging.getLogger(__name__)

# What to follow when a source could not gather: the remediation of the check that judges that source.
SOURCE_REMEDIATIONS = {
    "vcenter": "vcenter-connect",
    "guest": "vcenter-connect",  # guest operations go through a vCenter session
    "tcp": "open-failback-ports",
    "dns": "fix-dns-records",
    "ssh": "ssh-access",
    "backup": "backup-config-server",
    "azure": "azure-access",
}

Collector = Callable[[], dict]


@dataclass(frozen=True)
class Selection:
    """Which checks a run evaluates: those of a gate (all when None), narrowed to ids when `only` is given."""

    gate: Gate | None = None
    only: frozenset[str] | None = None

    def checks(self) -> list[Check]:
        chosen = []
        for check in all_checks():
            if self.only is not None and check.meta.id not in self.only:
                continue
            if self.gate is not None and self.gate not in check.meta.gates:
                continue
            chosen.append(check)
        return chosen

    def sources_needed(self, site: Site) -> set[str]:
        """What the applicable checks read, optional sources included: `--only mt.os_match` still gathers ASR's view."""
        return {source for check in self.checks() if check.meta.applies_to(site.experience)
                for source in (*check.meta.sources, *check.meta.optional_sources)}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def collect(site: Site, collectors: dict[str, Collector]) -> Facts:
    """Run every source concurrently; a source that fails is recorded with its reason, the others go on.

    Each read of a source has its timeout, but a peer that drips bytes just inside it can stretch their sum without
    end: a source still at work when policy.source_deadline_seconds has passed is abandoned, its checks become errors
    saying so, and its daemon thread is left to end on its own (see abandoned_sources)."""
    facts = Facts(site=site, collected_at=utc_now().isoformat(), tool_version=TOOL_VERSION)
    deadline_seconds = site.policy.source_deadline_seconds
    runs = {name: _SourceRun(name, collector) for name, collector in collectors.items()}
    deadline = time.monotonic() + deadline_seconds
    for name, run in runs.items():
        if not run.done.wait(max(0.0, deadline - time.monotonic())):
            with _abandoned_lock:
                _abandoned.add(name)
            facts.failures[name] = SourceFailure(
                f"the {name} source was still collecting after {deadline_seconds:g} s (policy.source_deadline_seconds): "
                "a peer answering too slowly, each answer just within its timeout", "timeout")
        elif isinstance(run.error, SourceError):
            facts.failures[name] = SourceFailure(run.error.reason, run.error.kind, run.error.evidence)
        elif run.error is not None:  # a bug in a source must not take the other sources' verdicts with it
            log.debug("source %s crashed", name, exc_info=run.error)
            facts.failures[name] = SourceFailure(f"{name} source failed unexpectedly: {type(run.error).__name__}: {run.error}", "error")
        else:
            facts.sources[name] = run.facts
    return facts


class _SourceRun:
    """One source collecting on a daemon thread: an abandoned one must not keep the process from exiting."""

    def __init__(self, name: str, collector: Collector):
        self.done = threading.Event()
        self.facts: dict | None = None
        self.error: BaseException | None = None
        self._collector = collector
        threading.Thread(target=self._run, name=f"source-{name}", daemon=True).start()

    def _run(self) -> None:
        try:
            self.facts = self._collector()
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()


_abandoned: set[str] = set()
_abandoned_lock = threading.Lock()


def abandoned_sources() -> set[str]:
    """Sources this process gave up on at their deadline; their threads (and pools they started) may still run, so
    a command line that saw any exits without waiting for them."""
    with _abandoned_lock:
        return set(_abandoned)


def _source_target(site: Site, source: str) -> str:
    return f"vcenter:{site.vcenter.host}" if source == "vcenter" else f"site:{site.display_name}"


def _evaluate_one(check: Check, facts: Facts) -> list[Result]:
    meta = check.meta
    site = facts.site
    if not meta.applies_to(site.experience):
        experiences = "/".join(sorted(e.value for e in meta.experiences))
        return [Result(meta.id, f"site:{site.display_name}", Status.SKIP, f"applies to {experiences} sites only; this site is {site.experience.value}")]
    if not meta.judges_source_failure:
        for source in meta.sources:
            if source in facts.failures:
                failure = facts.failures[source]
                return [Result(meta.id, _source_target(site, source), Status.ERROR, f"not verified: {failure.reason}",
                               {"source": source, "failure": failure.kind}, remediation_id=SOURCE_REMEDIATIONS.get(source))]
            if source not in facts.sources:
                return [Result(meta.id, _source_target(site, source), Status.ERROR, f"not verified: the {source} facts were not collected",
                               {"source": source})]
    try:
        return list(check.evaluate(facts))
    except FactsMissing as missing:
        return [Result(meta.id, f"site:{site.display_name}", Status.ERROR, f"not verified: {missing.reason}",
                       {"source": missing.source, "missing": missing.part, "failure": missing.kind}, remediation_id=missing.remediation_id)]
    except Exception as exc:  # a check's bug or facts it did not expect: an error result, not a crashed run
        log.debug("check %s crashed", meta.id, exc_info=True)
        return [Result(meta.id, f"site:{site.display_name}", Status.ERROR, f"the check could not evaluate these facts: {type(exc).__name__}: {exc}")]


def _explain(result: Result, meta: CheckMeta) -> Result:
    result.severity = meta.severity
    result.title = meta.title
    if result.status in (Status.FAIL, Status.WARN, Status.ERROR):
        remediation_id = result.remediation_id or meta.remediation
        result.remediation = remediation_catalog.get(remediation_id).for_finding(result.target, result.evidence)
    return result


def evaluate(facts: Facts, selection: Selection = Selection(), waivers: list[Waiver] | None = None) -> Report:
    results: list[Result] = []
    for check in selection.checks():
        results.extend(_explain(result, check.meta) for result in _evaluate_one(check, facts))
    generated = utc_now()
    ledger = apply_waivers(results, waivers or [], generated.date())
    return Report(
        site_name=facts.site.display_name,
        experience=facts.site.experience,
        gate=selection.gate,
        generated_at=generated.isoformat(),
        collected_at=facts.collected_at,
        tool_version=TOOL_VERSION,
        results=results,
        waivers=ledger,
    )


def select_collectors(site: Site, selection: Selection, factories: dict[str, Callable[[], Collector]]) -> dict[str, Collector]:
    """The collectors of the sources the selected checks read, built only for those (no login to what is not needed)."""
    needed = selection.sources_needed(site)
    return {name: factory() for name, factory in factories.items() if name in needed}
