"""The fix of mt.linux_packages against the lab master target: apt-get really installs the missing packages, offline,
from the lab's local repository, inside the scenario only; dry runs, declines and refusals change nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from failback.checks.model import Result, Status
from failback.checks.sources.master_targets import MasterTargetSource
from failback.checks.sources.ssh import CommandResult
from failback.lab.master_target import LAB_DEB_VERSION, UBUNTU_PACKAGES, centos_master_target, ubuntu_master_target
from failback.remediations.fixes import fix_for
from failback.remediations.fixes.ssh_fixes import install_failure
from failback.runner.engine import collect
from failback.runner.fix import run_fix
from failback.runner.report import ExitCode

from .conftest import PASSPHRASE, PASSPHRASE_ENV, SECRETS, make_site, master_target_entry, only_result, run_check

CHECK = "mt.linux_packages"
MISSING = ("python-pyasn1", "kpartx")
APT_INSTALL = "env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python-pyasn1 kpartx"


@pytest.fixture
def lacking(master_target):
    """The lab's Ubuntu master target without python-pyasn1 and kpartx."""
    ubuntu_master_target(master_target.scenario)
    master_target.scenario.dpkg_installed({name: version for name, version in UBUNTU_PACKAGES.items() if name not in MISSING})
    return master_target


@pytest.fixture
def site_for(master_target, ssh_keys, known_hosts):
    def site(vms: list[dict] | None = None, trusted: Path = known_hosts, **overrides):
        return make_site(master_targets=[master_target_entry(master_target.sshd, ssh_keys, trusted, **overrides)], vms=vms or [])

    return site


def _check(site):
    results, facts = run_check(site, CHECK, {"ssh": MasterTargetSource(site, SECRETS).collect})
    return only_result(results, "mt:mt01"), facts


def _fix(site, tmp_path, confirm=True, dry_run=False):
    asked = []

    def answer(actions):
        asked.append(actions)
        return confirm

    def gather(selection):
        return collect(site, {"ssh": MasterTargetSource(site, SECRETS).collect})

    outcome = run_fix(site, CHECK, None, gather, {"ssh": SECRETS}, answer, dry_run=dry_run, audit_log=tmp_path / "audit.jsonl")
    return outcome, asked


def _audit(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


def _real_dpkg_database() -> tuple:
    """What this machine's own dpkg knows: the lab must never change it."""
    root = Path("/var/lib/dpkg")
    status = root / "status"
    return hashlib.sha256(status.read_bytes()).hexdigest(), status.stat().st_mtime_ns, sorted(os.listdir(root / "info")), sorted(os.listdir(root / "updates"))


def _installed_in_scenario(master_target) -> str:
    status = master_target.scenario.written("/var/lib/dpkg/status")
    return status.read_text() if status.exists() else ""


def test_a_dry_run_shows_the_packages_and_the_command_and_changes_nothing(lacking, site_for, tmp_path):
    site = site_for()
    outcome, asked = _fix(site, tmp_path, dry_run=True)
    assert outcome.exit_code == ExitCode.READY and asked == []
    (action,) = outcome.actions
    assert action.refused is None
    assert action.description == f"install python-pyasn1, kpartx on master target mt01 (root@127.0.0.1:{lacking.sshd.port}): {APT_INSTALL}"
    assert _check(site)[0].status is Status.FAIL
    assert _installed_in_scenario(lacking) == "" and not (tmp_path / "audit.jsonl").exists()


def test_applied_apt_installs_offline_the_check_passes_and_it_is_audited(lacking, site_for, tmp_path):
    real_before = _real_dpkg_database()
    site = site_for()
    outcome, asked = _fix(site, tmp_path)
    assert outcome.exit_code == ExitCode.READY, (outcome.message, outcome.applied)
    assert [a.target for a in asked[0]] == ["mt:mt01"]
    (after,) = outcome.after
    assert after.status is Status.PASS, after.message
    assert after.evidence["found"]["kpartx"] == LAB_DEB_VERSION and after.evidence["found"]["lsscsi"] == "0.27-3"
    [(_, worked, happened)] = outcome.applied
    assert worked and happened == f"installed python-pyasn1, kpartx on mt01 with `{APT_INSTALL}`"
    entries = _audit(tmp_path)
    assert [e["outcome"] for e in entries] == ["started", "applied"]
    assert entries[1]["target"] == "mt:mt01" and APT_INSTALL in entries[1]["action"]
    # dpkg wrote to the scenario's layer, never to this machine's database.
    assert "Package: kpartx" in _installed_in_scenario(lacking)
    assert _real_dpkg_database() == real_before
    # The installation lasts as long as its scenario.
    ubuntu_master_target(lacking.scenario)
    lacking.scenario.dpkg_installed({"lsscsi": "0.27-3"})
    assert _check(site)[0].evidence["missing"] == ["multipath-tools", "python-pyasn1", "lvm2", "kpartx"]


def test_declined_changes_nothing(lacking, site_for, tmp_path):
    site = site_for()
    outcome, asked = _fix(site, tmp_path, confirm=False)
    assert outcome.exit_code == ExitCode.DECLINED and "nothing was changed" in outcome.message and len(asked) == 1
    assert _check(site)[0].status is Status.FAIL
    assert [e["outcome"] for e in _audit(tmp_path)] == ["declined"]
    assert _installed_in_scenario(lacking) == ""


def test_a_failed_install_reports_apts_last_words(lacking, site_for, tmp_path):
    lacking.scenario.remove_file("/etc/apt/sources.list.d/failback-lab.list")  # no source left: apt-get finds nothing
    site = site_for()
    outcome, _ = _fix(site, tmp_path)
    assert outcome.exit_code == ExitCode.FAIL and outcome.message == "applied, but not everything passes yet"
    [(_, worked, happened)] = outcome.applied
    assert not worked
    assert happened.startswith(f"`{APT_INSTALL}` on mt01 exited 100: ") and "E: Unable to locate package" in happened
    assert [e["outcome"] for e in _audit(tmp_path)] == ["started", "failed"]
    assert only_result(outcome.after).status is Status.FAIL


# -- refusals: nothing is installed, and the reason is given ----------------------------------------------------------
def test_an_unknown_package_manager_is_refused(lacking, site_for, tmp_path):
    lacking.scenario.os_release(ID="plan9", PRETTY_NAME="Plan 9")
    site = site_for()
    result, facts = _check(site)
    assert fix_for(CHECK).plan(result, facts).refused.startswith("the package manager of mt01 is unknown (neither dpkg nor rpm)")
    outcome, asked = _fix(site, tmp_path)
    assert outcome.exit_code == ExitCode.FAIL and asked == []
    assert outcome.message.startswith("mt.linux_packages could not be verified, so nothing was changed") and "neither dpkg nor rpm" in outcome.message
    assert _installed_in_scenario(lacking) == ""


def test_an_unknown_host_key_is_refused(lacking, site_for, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    site = site_for(trusted=empty)
    result, facts = _check(site)
    refused = fix_for(CHECK).plan(result, facts).refused
    assert refused.startswith("mt01 could not be reached or trusted over SSH: not verified: REFUSED") and "is not in" in refused
    outcome, asked = _fix(site, tmp_path)
    assert outcome.exit_code == ExitCode.FAIL and asked == [] and "REFUSED" in outcome.message
    assert empty.read_text() == "" and _installed_in_scenario(lacking) == ""


def test_an_unverified_host_key_is_refused_even_when_the_check_could_read_it(lacking, site_for, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    site = site_for(trusted=empty, insecure_host_keys=True)
    outcome, asked = _fix(site, tmp_path)
    assert outcome.exit_code == ExitCode.FAIL and asked == []
    assert outcome.message == "the fix was refused for every target, nothing was changed"
    assert "host key of mt01 was not verified (insecure_host_keys = true)" in outcome.actions[0].refused
    assert _installed_in_scenario(lacking) == ""


def test_nothing_missing_and_windows_master_targets_are_refused(master_target, site_for):
    ubuntu_master_target(master_target.scenario)
    result, facts = _check(site_for())
    assert fix_for(CHECK).plan(result, facts).refused.startswith("nothing is known to be missing on mt01")
    windows = make_site(master_targets=[{"name": "mtwin", "host": "127.0.0.1", "os": "windows"}])
    skipped = Result(CHECK, "mt:mtwin", Status.SKIP, "mtwin is a Windows master target")
    refused = fix_for(CHECK).plan(skipped, dataclasses.replace(facts, site=windows)).refused
    assert refused == "mtwin is a Windows master target: this fix installs packages on Linux master targets over SSH"


# -- rpm: the lab has no yum, so its command is checked as planned ----------------------------------------------------
def test_centos_plans_yum_and_sudo_when_the_ssh_user_is_not_root(master_target, site_for):
    centos_master_target(master_target.scenario)
    vms = [{"name": "app01", "root_filesystem": "reiserfs"}]
    result, facts = _check(site_for(vms=vms))
    assert result.status is Status.FAIL
    as_root = fix_for(CHECK).plan(result, facts)
    assert as_root.description.endswith("): yum install -y kmod-reiserfs reiserfs-utils")
    assert as_root.detail("argv") == ("yum", "install", "-y", "kmod-reiserfs", "reiserfs-utils")
    as_operator = fix_for(CHECK).plan(result, dataclasses.replace(facts, site=site_for(vms=vms, ssh_user="failback")))
    port = master_target.sshd.port
    assert as_operator.description.endswith(f"(failback@127.0.0.1:{port}): sudo -n yum install -y kmod-reiserfs reiserfs-utils")


def test_sudo_refusing_to_run_unattended_is_named_and_other_failures_end_with_stderr():
    wants_password = CommandResult("sudo -n yum install -y perl", 1, "", "sudo: a password is required\n")
    assert str(install_failure("mt01", "failback", wants_password)).startswith(
        "nothing was installed: sudo on mt01 asks failback for a password, and the tool never types one")
    wants_terminal = CommandResult("sudo -n yum install -y perl", 1, "", "sudo: sorry, you must have a tty to run sudo\n")
    assert "add `Defaults:failback !requiretty` to sudoers, or connect as root" in str(install_failure("mt01", "failback", wants_terminal))
    broken = CommandResult("yum install -y perl", 1, "Loaded plugins: fastestmirror\n", "line 1\n\nline 2\nline 3\nline 4\nline 5\nline 6\n")
    assert str(install_failure("mt01", "root", broken)) == "`yum install -y perl` on mt01 exited 1: line 2 | line 3 | line 4 | line 5 | line 6"


# -- the command line ---------------------------------------------------------------------------------------------------
def test_cli_fix_with_yes_installs_and_prints_pass_without_the_passphrase(lacking, known_hosts, protected_key, tmp_path):
    sshd = lacking.sshd
    site_file = tmp_path / "lab-mt.toml"
    site_file.write_text(f"""\
name = "lab-mt"
experience = "classic"

[vcenter]
host = "127.0.0.1"
user = "administrator@vsphere.local"
datacenter = "DC1"

[[master_targets]]
name = "mt01"
host = "{sshd.host}"
ssh_port = {sshd.port}
ssh_user = "{sshd.user}"
ssh_key = "{protected_key.private_path}"
ssh_key_passphrase_env = "{PASSPHRASE_ENV}"
known_hosts = "{known_hosts}"
""")
    environment = {**os.environ, PASSPHRASE_ENV: PASSPHRASE}
    real_before = _real_dpkg_database()
    audit_log = tmp_path / "audit.jsonl"
    done = subprocess.run([sys.executable, "-m", "failback.cli", "fix", "--site", str(site_file), "--check", CHECK, "--yes", "--audit-log", str(audit_log)],
                          capture_output=True, text=True, env=environment, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mt:mt01: install python-pyasn1, kpartx on master target mt01" in done.stdout
    assert f"applied: mt:mt01: installed python-pyasn1, kpartx on mt01 with `{APT_INSTALL}`" in done.stdout
    assert "pass mt.linux_packages mt:mt01: mt01 (dpkg) has all 5 required packages" in done.stdout
    assert "applied; the check passes now" in done.stderr
    assert [e["outcome"] for e in _audit(tmp_path)] == ["started", "applied"]
    for text in (done.stdout, done.stderr, audit_log.read_text()):
        assert PASSPHRASE not in text and "Traceback" not in text
    assert _real_dpkg_database() == real_before
