"""Fixes through vCenter against the lab: a dry run changes nothing; applied, the check passes; refusals change nothing."""

from __future__ import annotations

import json

from failback.checks.model import Status
from failback.checks.sources.vcenter import VCenterSource
from failback.lab.site import APP, MASTER_TARGET
from failback.remediations.fixes import fix_for
from failback.runner.engine import collect
from failback.runner.fix import run_fix
from failback.runner.report import ExitCode
from tests.labsite import by_target, run_checks


def _fix(lab, check_id, target=None, confirm=True, dry_run=False, audit_log=None):
    site = lab.site()
    asked = []

    def gather(selection):
        return collect(site, {"vcenter": VCenterSource(site, lab.sim.password).collect})

    def answer(actions):
        asked.append(actions)
        return confirm

    outcome = run_fix(site, check_id, target, gather, {"vcenter": lab.sim.password}, answer, dry_run=dry_run, audit_log=audit_log)
    return outcome, asked


def test_snapshot_fix_dry_run_changes_nothing(lab, tmp_path):
    lab.admin.create_snapshot(APP, "before-patch")
    outcome, asked = _fix(lab, "vm.snapshots", dry_run=True, audit_log=tmp_path / "audit.jsonl")
    assert outcome.exit_code == ExitCode.READY and asked == []
    assert outcome.actions[0].description == f"delete all 1 snapshot(s) of VM {APP} (before-patch) and consolidate its disks"
    assert by_target(run_checks(lab, "vm.snapshots"))[f"vm:{APP}"].status is Status.FAIL
    assert not (tmp_path / "audit.jsonl").exists()


def test_snapshot_fix_applied_makes_the_check_pass_and_is_audited(lab, tmp_path):
    lab.admin.create_snapshot(APP, "before-patch")
    log = tmp_path / "audit.jsonl"
    outcome, asked = _fix(lab, "vm.snapshots", audit_log=log)
    assert outcome.exit_code == ExitCode.READY, outcome.message
    assert [a.target for a in asked[0]] == [f"vm:{APP}"]
    assert by_target(outcome.after)[f"vm:{APP}"].status is Status.PASS
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["outcome"] for e in entries] == ["started", "applied"]
    assert entries[1]["target"] == f"vm:{APP}" and entries[1]["operator"]["user"] and entries[1]["at"]
    assert lab.sim.password not in log.read_text()


def test_declined_fix_changes_nothing(lab, tmp_path):
    lab.admin.create_snapshot(MASTER_TARGET, "keep-me")
    outcome, _ = _fix(lab, "mt.snapshots", confirm=False, audit_log=tmp_path / "audit.jsonl")
    assert outcome.exit_code == ExitCode.DECLINED and "nothing was changed" in outcome.message
    assert by_target(run_checks(lab, "mt.snapshots"))[f"mt:{MASTER_TARGET}"].status is Status.FAIL
    assert json.loads((tmp_path / "audit.jsonl").read_text())["outcome"] == "declined"


def test_disk_uuid_fix_is_refused_on_a_powered_on_vm(lab, tmp_path):
    lab.master_target = "asr-appliance"  # powered on, and never had disk.EnableUUID
    lab.write_site()
    outcome, asked = _fix(lab, "mt.disk_enableuuid", audit_log=tmp_path / "audit.jsonl")
    assert outcome.exit_code == ExitCode.FAIL and asked == []
    assert "poweredOn: power it off first" in outcome.actions[0].refused
    assert by_target(run_checks(lab, "mt.disk_enableuuid"))["mt:asr-appliance"].status is Status.FAIL


def test_disk_uuid_fix_applied_on_a_powered_off_vm(lab, tmp_path):
    lab.master_target = "asr-appliance"
    lab.write_site()
    lab.admin.power_off("asr-appliance")
    outcome, _ = _fix(lab, "mt.disk_enableuuid", audit_log=tmp_path / "audit.jsonl")
    assert outcome.exit_code == ExitCode.READY, outcome.message
    assert by_target(outcome.after)["mt:asr-appliance"].status is Status.PASS


def test_a_passing_check_needs_no_fix(lab, tmp_path):
    outcome, asked = _fix(lab, "vm.snapshots", audit_log=tmp_path / "audit.jsonl")
    assert outcome.exit_code == ExitCode.READY and "nothing to fix" in outcome.message and asked == []


def _cli_fix(lab, tmp_path, *args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "failback.cli", "fix", "--site", str(lab.site_path), "--audit-log", str(tmp_path / "audit.jsonl"), *args],
                          capture_output=True, text=True, env=lab.env(), timeout=120, stdin=subprocess.DEVNULL)


def test_cli_fix_without_terminal_or_yes_is_declined_with_exit_4(lab, tmp_path):
    lab.admin.create_snapshot(APP, "before-patch")
    done = _cli_fix(lab, tmp_path, "--check", "vm.snapshots")
    assert done.returncode == 4, done.stderr
    assert f"vm:{APP}: delete all 1 snapshot(s)" in done.stdout and "declined" in done.stderr


def test_cli_fix_dry_run_then_yes(lab, tmp_path):
    lab.admin.create_snapshot(APP, "before-patch")
    dry = _cli_fix(lab, tmp_path, "--check", "vm.snapshots", "--target", "vm:app*", "--dry-run")
    assert dry.returncode == 0 and "before-patch" in dry.stdout and "dry run: nothing was changed" in dry.stderr
    done = _cli_fix(lab, tmp_path, "--check", "vm.snapshots", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"pass vm.snapshots vm:{APP}" in done.stdout


def test_cli_fix_refused_on_a_running_vm_exits_1(lab, tmp_path):
    lab.master_target = "asr-appliance"
    lab.write_site()
    done = _cli_fix(lab, tmp_path, "--check", "mt.disk_enableuuid", "--yes")
    assert done.returncode == 1 and "power it off first" in done.stdout


def test_cli_fix_of_a_check_without_automatic_fix_shows_the_steps(lab, tmp_path):
    done = _cli_fix(lab, tmp_path, "--check", "vcenter.permissions")
    assert done.returncode == 2 and "has no automatic fix" in done.stderr and "Propagate to children" in done.stderr


def test_fixes_exist_for_the_automatable_remediations():
    from failback.remediations import CATALOG
    from failback.checks.registry import all_checks

    for check in all_checks():
        if CATALOG[check.meta.remediation].automatable:
            assert fix_for(check.meta.id) is not None, f"{check.meta.id}'s remediation says automatable but has no fix"
