"""The Azure lab: a fake ARM and token endpoint per test (they start in milliseconds), shaped as a healthy classic or
modernized site, driven through the real SDK clients and the real ClientSecretCredential; helpers to run checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.sitefile import load_site
from failback.checks.sources.azure import AzureSource
from failback.lab.fake_arm.scenarios import SECRET_ENV, LabAzure, start_lab
from failback.lab.site import PASSWORD_ENV, LabSite
from failback.runner.access import SiteAccess
from failback.runner.engine import Selection, collect, evaluate
from tests.labsite import by_target

StartLab = Callable[..., LabAzure]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[StartLab]:
    """start(experience="classic", stage="in_azure", vm_names=...) -> a running lab, stopped after the test."""
    started: list[LabAzure] = []

    def starter(experience: str = "classic", stage: str = "in_azure", **options) -> LabAzure:
        lab = start_lab(experience, stage=stage, **options)
        started.append(lab)
        return lab

    yield starter
    for lab in started:
        lab.arm.stop()


@pytest.fixture
def classic(start: StartLab) -> LabAzure:
    return start("classic")


@pytest.fixture
def modernized(start: StartLab) -> LabAzure:
    return start("modernized")


class Run:
    """One collection and evaluation, as `failback check --only` does it."""

    def __init__(self, results: list[Result], facts: Facts):
        self.results = results
        self.facts = facts

    def only(self, check: str | None = None, target: str | None = None) -> Result:
        chosen = [r for r in self.results if (check is None or r.check == check) and (target is None or r.target == target)]
        assert len(chosen) == 1, [(r.check, r.target, r.status.value, r.message) for r in self.results]
        return chosen[0]

    def of(self, check: str) -> list[Result]:
        return [r for r in self.results if r.check == check]


def run_checks(lab: LabAzure, tmp_path: Path, *check_ids: str, secret: str | None = None, site_text: str | None = None,
               **azure_overrides: object) -> Run:
    path = tmp_path / "site.toml"
    path.write_text(site_text if site_text is not None else lab.site_text(**azure_overrides))
    site = load_site(path)
    facts = collect(site, {"azure": AzureSource(site, lab.secret if secret is None else secret).collect})
    return Run(evaluate(facts, Selection(only=frozenset(check_ids))).results, facts)


def remediation_id(result: Result) -> str | None:
    return result.remediation["id"] if result.remediation else None


def one_site_file(lab: LabSite, azure: LabAzure, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab vCenter and the fake ARM described by one site file, their secrets in the environment; ASR discovered the
    VMs through the lab vCenter."""
    azure.discover_vcenter(lab.sim.host, lab.admin.instance_uuid())
    lab.extra_site_toml = azure.azure_section()
    lab.write_site()
    monkeypatch.setenv(PASSWORD_ENV, lab.sim.password)
    monkeypatch.setenv(SECRET_ENV, azure.secret)


def gather_and_judge(site_path: Path, *check_ids: str, azure_gathered: bool = True) -> dict[str, Result]:
    """Facts gathered as `failback check --only` does (SiteAccess): an optional source comes along with the check reading it."""
    selection = Selection(only=frozenset(check_ids))
    facts = SiteAccess(load_site(site_path), site_path).collect(selection)
    assert ("azure" in facts.sources) is azure_gathered, "an optional source is gathered with the check that reads it"
    return by_target(evaluate(facts, selection).results)
