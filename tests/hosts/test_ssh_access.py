"""Reaching a master target over SSH: host keys verified (unknown and changed keys refused, with the fingerprint),
key with a passphrase from the environment, agent, bastion; every failure is an error of that master target."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import paramiko
import pytest

from failback.checks.model import Status
from failback.checks.sources.master_targets import MasterTargetSource
from failback.checks.sources.ssh import fingerprint
from failback.lab.endpoints import ClosedPort
from failback.lab.master_target import ubuntu_master_target
from failback.lab.sshd import KeyPair
from failback.runner.engine import Selection, evaluate
from failback.runner.writers import writer_for

from .conftest import PASSPHRASE, PASSPHRASE_ENV, SECRETS, make_site, master_target_entry, only_result, run_check


def _check_mt(entry: dict, check_id: str = "mt.version", secrets: dict = SECRETS, **sections):
    site = make_site(master_targets=[entry], config_server={"host": "cs01.lab.test", "version": "9.60.0.0"}, **sections)
    results, facts = run_check(site, check_id, {"ssh": MasterTargetSource(site, secrets).collect})
    return only_result(results, "mt:mt01"), facts


def _server_fingerprint(master_target) -> str:
    return fingerprint(paramiko.PKey.from_path(master_target.sshd.host_key.private_path))


def test_a_known_host_with_the_right_key_is_checked(master_target, ssh_keys, known_hosts):
    ubuntu_master_target(master_target.scenario)
    result, facts = _check_mt(master_target_entry(master_target.sshd, ssh_keys, known_hosts))
    assert result.status is Status.PASS, result.message
    host_key = facts.sources["ssh"]["master_targets"]["mt01"]["connection"]["host_key"]
    assert host_key == {"type": "ssh-ed25519", "sha256": _server_fingerprint(master_target), "verified": True}


def test_an_unknown_host_key_is_refused_with_its_fingerprint(master_target, ssh_keys, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    result, _ = _check_mt(master_target_entry(master_target.sshd, ssh_keys, empty))
    assert result.status is Status.ERROR
    shown = _server_fingerprint(master_target)
    assert "REFUSED" in result.message and "is not in" in result.message and shown in result.message
    assert result.evidence["failure"] == "host_key_unknown" and result.evidence["host_key_sha256"] == shown
    assert result.remediation["id"] == "trust-ssh-host-key"
    assert shown in result.remediation["steps"][0]
    assert f"ssh-keygen -R '[127.0.0.1]:{master_target.sshd.port}'" in result.remediation["steps"][1]


def test_a_changed_host_key_is_refused(master_target, ssh_keys, tmp_path):
    impostor = KeyPair.create(tmp_path / "other_host_key")
    stale = tmp_path / "known_hosts"
    stale.write_text(master_target.sshd.known_hosts_line(impostor) + "\n")
    result, _ = _check_mt(master_target_entry(master_target.sshd, ssh_keys, stale))
    assert result.status is Status.ERROR
    assert "CHANGED" in result.message and _server_fingerprint(master_target) in result.message
    assert result.evidence["failure"] == "host_key_changed"
    assert result.evidence["expected_sha256"] == fingerprint(paramiko.PKey.from_path(impostor.private_path))


def test_insecure_host_keys_connects_but_never_passes_silently(master_target, ssh_keys, tmp_path, caplog):
    ubuntu_master_target(master_target.scenario)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    result, _ = _check_mt(master_target_entry(master_target.sshd, ssh_keys, empty, insecure_host_keys=True))
    assert result.status is Status.WARN
    assert "NOT verified: insecure_host_keys = true" in result.message
    assert result.remediation["id"] == "trust-ssh-host-key"
    assert "host key NOT verified" in caplog.text
    assert empty.read_text() == ""  # nothing was learned behind the administrator's back


def test_a_wrong_key_is_refused_as_a_login_failure(master_target, ssh_keys, known_hosts, tmp_path):
    stranger = KeyPair.create(tmp_path / "id_stranger")
    entry = master_target_entry(master_target.sshd, ssh_keys, known_hosts, ssh_key=str(stranger.private_path))
    result, _ = _check_mt(entry)
    assert result.status is Status.ERROR and result.evidence["failure"] == "auth"
    assert "refused the login" in result.message
    assert result.remediation["id"] == "ssh-access"


def _protected(master_target, ssh_keys, known_hosts, protected_key) -> dict:
    return master_target_entry(master_target.sshd, ssh_keys, known_hosts, ssh_key=str(protected_key.private_path),
                               ssh_key_passphrase_env=PASSPHRASE_ENV)


def test_a_key_with_a_passphrase_from_the_environment_logs_in(master_target, ssh_keys, known_hosts, protected_key):
    ubuntu_master_target(master_target.scenario)
    result, _ = _check_mt(_protected(master_target, ssh_keys, known_hosts, protected_key))
    assert result.status is Status.PASS, result.message


def test_a_wrong_passphrase_is_an_error_that_does_not_show_it(master_target, ssh_keys, known_hosts, protected_key):
    wrong = "not-the-passphrase-8812"
    result, facts = _check_mt(_protected(master_target, ssh_keys, known_hosts, protected_key), secrets={PASSPHRASE_ENV: wrong})
    assert result.status is Status.ERROR and result.evidence["failure"] == "config"
    assert "cannot be loaded" in result.message
    assert wrong not in result.message and wrong not in facts.to_json()


def test_no_server_listening_is_refused(master_target, ssh_keys, known_hosts):
    with ClosedPort() as closed:
        entry = master_target_entry(master_target.sshd, ssh_keys, known_hosts, ssh_port=closed.port)
        result, _ = _check_mt(entry)
    assert result.status is Status.ERROR and result.evidence["failure"] == "refused"


def test_through_a_bastion(master_target, bastion, ssh_keys, known_hosts):
    ubuntu_master_target(master_target.scenario)
    entry = master_target_entry(master_target.sshd, ssh_keys, known_hosts, jump_host=f"{bastion.user}@{bastion.host}:{bastion.port}")
    result, facts = _check_mt(entry)
    assert result.status is Status.PASS, result.message
    assert facts.sources["ssh"]["master_targets"]["mt01"]["access"]["jump_host"] == f"{bastion.user}@{bastion.host}:{bastion.port}"


def test_a_bastion_with_an_unknown_host_key_is_refused(master_target, bastion, ssh_keys, tmp_path):
    only_mt = tmp_path / "known_hosts"
    only_mt.write_text(master_target.sshd.known_hosts_line() + "\n")
    entry = master_target_entry(master_target.sshd, ssh_keys, only_mt, jump_host=f"{bastion.host}:{bastion.port}")
    result, _ = _check_mt(entry)
    assert result.status is Status.ERROR and result.evidence["failure"] == "host_key_unknown"
    assert f"bastion {bastion.host}:{bastion.port}" in result.message


@pytest.fixture
def ssh_agent(tmp_path: Path, ssh_keys):
    """A real ssh-agent holding a key only it has, which the lab servers authorize for the test."""
    key = KeyPair.create(tmp_path / "id_agent")
    original = ssh_keys.authorized_keys.read_text()
    ssh_keys.authorize(key)
    socket_path = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if socket_path.exists():
                break
            subprocess.run(["sleep", "0.02"])
        env = {**os.environ, "SSH_AUTH_SOCK": str(socket_path)}
        subprocess.run(["ssh-add", str(key.private_path)], env=env, check=True, capture_output=True, timeout=10)
        yield str(socket_path)
    finally:
        agent.terminate()
        agent.wait(5)
        ssh_keys.authorized_keys.write_text(original)


def test_the_ssh_agent_logs_in_when_no_key_is_set(master_target, ssh_keys, known_hosts, ssh_agent, monkeypatch):
    ubuntu_master_target(master_target.scenario)
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)
    entry = master_target_entry(master_target.sshd, ssh_keys, known_hosts, ssh_key=None)
    result, facts = _check_mt(entry, secrets={})
    assert result.status is Status.PASS, result.message
    assert facts.sources["ssh"]["master_targets"]["mt01"]["access"]["auth"] == "ssh agent"


def test_the_passphrase_never_reaches_facts_or_reports(master_target, ssh_keys, known_hosts, protected_key):
    ubuntu_master_target(master_target.scenario)
    master_target.scenario.remove_file("/usr/local/.vx_version")  # a failing run shows the most text
    site = make_site(master_targets=[_protected(master_target, ssh_keys, known_hosts, protected_key)])
    results, facts = run_check(site, "mt.version", {"ssh": MasterTargetSource(site, SECRETS).collect})
    assert only_result(results).status is Status.FAIL
    report = evaluate(facts, Selection())
    written = facts.to_json() + writer_for("json")(report) + json.dumps([r.message for r in report.results])
    assert PASSPHRASE not in written
