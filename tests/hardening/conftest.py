"""What the hardening tests share: the host lab's SSH servers (from tests/hosts), timed runs of sources and checks, the
invariant every fault must keep, and the command line run as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from failback.checks.facts import Facts
from failback.checks.model import Result, Status
from failback.checks.site import Site
from failback.runner.engine import Selection, collect, evaluate
from tests.hosts.conftest import (  # noqa: F401  (fixtures pytest finds by name here, and names the tests here import)
    PASSPHRASE,
    PASSPHRASE_ENV,
    known_hosts,
    lab_dir,
    make_site,
    master_target,
    protected_key,
    sftp_root,
    sftp_server,
    ssh_keys,
)

# What only a bug produces: the engine's words for a source or a check that raised something unforeseen.
BUG_SIGNS = ("failed unexpectedly", "could not evaluate these facts", "Traceback")


@dataclass
class Run:
    results: list[Result]
    facts: Facts
    elapsed: float  # seconds, collection and evaluation


def run_sources(site: Site, collectors: dict[str, Callable[[], dict]], check_ids: frozenset[str]) -> Run:
    """Collect and evaluate as `failback check --only` does, timed."""
    began = time.monotonic()
    facts = collect(site, collectors)
    results = evaluate(facts, Selection(only=check_ids)).results
    return Run(results, facts, time.monotonic() - began)


def assert_explained(run: Run) -> None:
    """Every result has a status, a reason, and for an error the remediation to follow; nothing crashed."""
    for result in run.results:
        assert result.status in set(Status) - {Status.WAIVED}, result
        assert result.message.strip(), f"{result.check} {result.target}: no reason given"
        assert not any(sign in result.message for sign in BUG_SIGNS), f"{result.check} {result.target}: {result.message}"
        if result.status is Status.ERROR:
            assert result.remediation, f"{result.check} {result.target}: an error without a remediation"


def assert_faithful(run: Run, baseline: Run) -> None:
    """A fault may turn a verdict into an error that says why, and nothing else: no check loses its result, and no
    pass, warn or fail appears that the fault-free run did not give (a cut answer judged as a whole one would)."""
    assert_explained(run)
    assert {r.check for r in run.results} == {r.check for r in baseline.results}, "a check lost its result"
    truth = {(r.check, r.target, r.status) for r in baseline.results}
    changed = [(r.check, r.target, r.status.value, r.message) for r in run.results
               if r.status is not Status.ERROR and (r.check, r.target, r.status) not in truth]
    assert not changed, f"the fault changed verdicts: {changed}"


def failure_kinds(run: Run) -> set[str]:
    """How the sources failed (whole sources, and the per-target connections the SSH sources record)."""
    kinds = {failure.kind for failure in run.facts.failures.values()}
    for result in run.results:
        if result.status is Status.ERROR and result.evidence.get("failure"):
            kinds.add(result.evidence["failure"])
    return kinds


def cut_point(total: int, share: float) -> int:
    """The byte a share of a conversation ends at, always before its last one."""
    return min(total - 1, int(total * share))


def failback(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The command line, as a subprocess; whatever happened, it shows no traceback (--debug asks for the libraries'
    own diagnostics, which include theirs)."""
    done = subprocess.run([sys.executable, "-m", "failback.cli", *args], capture_output=True, text=True, timeout=timeout,
                          env=env if env is not None else dict(os.environ))
    if "--debug" not in args:
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done
