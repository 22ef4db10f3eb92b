"""The host-level lab, started once per session: SSH servers (a master target running scenarios, a bastion, an SFTP
configuration server) sharing one host key and one authorized user key, plus a passphrase-protected key for the tests
about secrets (its bcrypt KDF costs 0.4 s a login, so the other tests use the plain key); helpers to run checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.site import Site
from failback.lab.master_target import LabMasterTarget
from failback.lab.sshd import KeyPair, SshKeys, Sshd
from failback.runner.engine import Selection, collect, evaluate

PASSPHRASE_ENV = "FAILBACK_LAB_KEY_PASSPHRASE"
PASSPHRASE = "lab-passphrase-Zq7!never-shown"
SECRETS = {PASSPHRASE_ENV: PASSPHRASE}


def make_site(**sections: Any) -> Site:
    """A classic site with a lab vCenter entry (never contacted here) and the given sections."""
    document = {
        "name": "hosts-lab",
        "experience": "classic",
        "vcenter": {"host": "vcenter.lab.test", "user": "administrator@vsphere.local", "datacenter": "DC1"},
        **sections,
    }
    return Site.model_validate(document)


def run_check(site: Site, check_id: str, collectors: dict[str, Callable[[], dict]]) -> tuple[list[Result], Facts]:
    facts = collect(site, collectors)
    report = evaluate(facts, Selection(only=frozenset({check_id})))
    return report.results, facts


def only_result(results: list[Result], target: str | None = None) -> Result:
    chosen = [r for r in results if target is None or r.target == target]
    assert len(chosen) == 1, [(r.target, r.status, r.message) for r in results]
    return chosen[0]


@pytest.fixture(scope="session")
def lab_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hosts-lab")


@pytest.fixture(scope="session")
def ssh_keys(lab_dir: Path) -> SshKeys:
    return SshKeys.create(lab_dir / "keys")


@pytest.fixture(scope="session")
def protected_key(lab_dir: Path, ssh_keys: SshKeys) -> KeyPair:
    """A user key encrypted with PASSPHRASE, authorized like the plain one."""
    key = KeyPair.create(lab_dir / "keys" / "id_protected", passphrase=PASSPHRASE)
    ssh_keys.authorize(key)
    return key


@pytest.fixture(scope="session")
def known_hosts(lab_dir: Path) -> Path:
    """Trusts every lab SSH server the session starts (they share the host key)."""
    path = lab_dir / "known_hosts"
    path.write_text("")
    return path


def _trust(known_hosts: Path, server: Sshd) -> None:
    with known_hosts.open("a") as handle:
        handle.write(server.known_hosts_line() + "\n")


@pytest.fixture(scope="session")
def master_target(lab_dir: Path, ssh_keys: SshKeys, known_hosts: Path) -> Iterator[LabMasterTarget]:
    with LabMasterTarget(lab_dir / "mt01", ssh_keys) as lab_mt:
        _trust(known_hosts, lab_mt.sshd)
        yield lab_mt


@pytest.fixture(scope="session")
def bastion(lab_dir: Path, ssh_keys: SshKeys, known_hosts: Path) -> Iterator[Sshd]:
    with Sshd(lab_dir / "bastion", ssh_keys, allow_forwarding=True).start() as server:
        _trust(known_hosts, server)
        yield server


@pytest.fixture(scope="session")
def sftp_root(lab_dir: Path) -> Path:
    """What the lab configuration server's SFTP shows; 'D:/ASRBackups' is the folder `D:/ASRBackups` below it."""
    root = lab_dir / "cs-root"
    root.mkdir()
    return root


@pytest.fixture(scope="session")
def sftp_server(lab_dir: Path, ssh_keys: SshKeys, known_hosts: Path, sftp_root: Path) -> Iterator[Sshd]:
    with Sshd(lab_dir / "cs-sftp", ssh_keys, sftp_start_dir=sftp_root).start() as server:
        _trust(known_hosts, server)
        yield server


def master_target_entry(server: Sshd, keys: SshKeys, known_hosts: Path, **overrides: Any) -> dict[str, Any]:
    """A [[master_targets]] entry reaching a lab SSH server."""
    return {
        "name": "mt01",
        "host": server.host,
        "ssh_port": server.port,
        "ssh_user": server.user,
        "ssh_key": str(keys.user.private_path),
        "known_hosts": str(known_hosts),
        "ssh_timeout_seconds": 10,
        **overrides,
    }
