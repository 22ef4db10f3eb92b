"""The 78093 fix through the fake ARM: a stopped Azure VM is started with consent, and azure.vm_running passes after."""

from __future__ import annotations

import json

from failback.checks.sitefile import load_site
from failback.checks.sources.azure import AzureSource
from failback.checks.model import Status
from failback.runner.engine import collect
from failback.runner.fix import run_fix
from failback.runner.report import ExitCode


def _fix(lab, tmp_path, confirm: bool, dry_run: bool = False):
    path = tmp_path / "site.toml"
    path.write_text(lab.site_text())
    site = load_site(path)

    def gather(selection):
        return collect(site, {"azure": AzureSource(site, lab.secret).collect})

    return run_fix(site, "azure.vm_running", "vm:app01", gather, {"azure": lab.secret}, lambda actions: confirm,
                   dry_run=dry_run, audit_log=tmp_path / "audit.jsonl")


def test_stopped_vm_dry_run_changes_nothing(classic, tmp_path):
    classic.vm("app01").power_state = "deallocated"
    outcome = _fix(classic, tmp_path, confirm=True, dry_run=True)
    assert outcome.exit_code == ExitCode.READY and "start Azure VM app01 (now deallocated)" in outcome.actions[0].description
    assert classic.vm("app01").power_state == "deallocated"


def test_declined_start_changes_nothing(classic, tmp_path):
    classic.vm("app01").power_state = "deallocated"
    outcome = _fix(classic, tmp_path, confirm=False)
    assert outcome.exit_code == ExitCode.DECLINED and classic.vm("app01").power_state == "deallocated"


def test_stopped_vm_is_started_and_the_check_passes(classic, tmp_path):
    classic.vm("app01").power_state = "deallocated"
    outcome = _fix(classic, tmp_path, confirm=True)
    assert classic.vm("app01").power_state == "running"
    assert [r.status for r in outcome.after if r.target == "vm:app01"] == [Status.PASS], [r.message for r in outcome.after]
    assert outcome.exit_code == ExitCode.READY, outcome.message
    audit = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [entry["outcome"] for entry in audit] == ["started", "applied"] and classic.secret not in str(audit)


def test_running_vm_whose_agent_does_not_report_is_not_touched(classic, tmp_path):
    classic.vm("app01").agent_status = "Not Ready"
    outcome = _fix(classic, tmp_path, confirm=True)
    assert outcome.exit_code == ExitCode.FAIL and "already runs" in outcome.actions[0].refused
