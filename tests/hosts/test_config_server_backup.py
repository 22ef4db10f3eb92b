"""cs.backup: backups on a local path or over SFTP (Windows-style D:/ paths on a real sshd), and the configuration server's
IP resolved by a real DNS server compared with the registered one."""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from failback.checks.model import Status
from failback.checks.sources.backup import BackupSource
from failback.checks.sources.azure import AzureSource
from failback.checks.sources.dns import DnsSource
from failback.lab.fake_arm.scenarios import LabAzure, start_lab
from failback.lab.dns import Dnsmasq, Zone

from .conftest import SECRETS, make_site, only_result, run_check

HOUR = 3600


@pytest.fixture(scope="module")
def dns_server() -> Iterator[Dnsmasq]:
    with Dnsmasq(Zone().host("cs01.lab.test", "127.0.0.5")).start() as server:
        yield server


def _backup(folder: Path, name: str, age_hours: float, size: int = 2048) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x" * size)
    moment = time.time() - age_hours * HOUR
    os.utime(path, (moment, moment))
    return path


def _check(dns_server: Dnsmasq, registered_ip: str | None = "127.0.0.5", azure: LabAzure | None = None, **config_server):
    site = make_site(
        config_server={"host": "cs01.lab.test", **({"ip": registered_ip} if registered_ip else {}), **config_server},
        dns={"onprem_servers": [dns_server.address], "timeout_seconds": 1},
        policy={"backup_max_age_hours": 24},
        **({"azure": tomllib.loads(azure.azure_section())["azure"]} if azure else {}),
    )
    collectors = {"backup": BackupSource(site, SECRETS).collect, "dns": DnsSource(site).collect}
    if azure is not None:
        collectors["azure"] = AzureSource(site, azure.secret).collect
    results, facts = run_check(site, "cs.backup", collectors)
    return only_result(results, "cs:cs01.lab.test"), facts


def test_a_fresh_local_backup_and_the_registered_ip_pass(dns_server, tmp_path):
    _backup(tmp_path / "2024-05-01", "cs-db.zip", age_hours=30)
    _backup(tmp_path / "2024-05-02", "cs-db.zip", age_hours=3)
    result, _ = _check(dns_server, backup_path=str(tmp_path))
    assert result.status is Status.PASS, result.message
    assert result.evidence["newest"].endswith("2024-05-02/cs-db.zip") and result.evidence["file_count"] == 2
    assert "cs01.lab.test is still 127.0.0.5" in result.message


def test_a_stale_backup_fails_with_the_remediation(dns_server, tmp_path):
    _backup(tmp_path, "cs-db.zip", age_hours=30)
    result, _ = _check(dns_server, backup_path=str(tmp_path))
    assert result.status is Status.FAIL
    assert "is 30.0 h old (the policy allows 24 h)" in result.message
    assert result.remediation["id"] == "backup-config-server"
    assert f"to {tmp_path}, and schedule it at least every 24.0 h" in result.remediation["steps"][1]


def test_an_empty_newest_backup_fails(dns_server, tmp_path):
    _backup(tmp_path, "older.zip", age_hours=5)
    _backup(tmp_path, "newest.zip", age_hours=1, size=0)
    result, _ = _check(dns_server, backup_path=str(tmp_path))
    assert result.status is Status.FAIL and "newest.zip, is empty" in result.message


def test_a_missing_backup_folder_cannot_be_verified(dns_server, tmp_path):
    result, _ = _check(dns_server, backup_path=str(tmp_path / "nowhere"))
    assert result.status is Status.ERROR and "does not exist" in result.message


def test_no_backup_path_in_the_site_file_cannot_be_verified(dns_server):
    result, _ = _check(dns_server)
    assert result.status is Status.ERROR and "backup_path is not set" in result.message


def test_the_configuration_server_on_another_ip_fails_even_with_a_fresh_backup(dns_server, tmp_path):
    _backup(tmp_path, "cs-db.zip", age_hours=1)
    result, _ = _check(dns_server, registered_ip="127.0.0.50", backup_path=str(tmp_path))
    assert result.status is Status.FAIL
    assert "cs01.lab.test resolves to 127.0.0.5, but the configuration server was registered with 127.0.0.50" in result.message
    assert "(127.0.0.50, as [config_server] ip records it); it has now: 127.0.0.5" in result.remediation["steps"][2]


@pytest.fixture
def classic_vault() -> Iterator[LabAzure]:
    lab = start_lab("classic")
    yield lab
    lab.arm.stop()


def test_asr_s_record_of_the_registered_ip_is_the_truth(dns_server, tmp_path, classic_vault):
    """ASR's VMware fabric records the address the configuration server registered with; the site file need not say it."""
    _backup(tmp_path, "cs-db.zip", age_hours=1)
    classic_vault.fabric.config_server.ip_address = "127.0.0.5"
    result, _ = _check(dns_server, registered_ip=None, azure=classic_vault, backup_path=str(tmp_path))
    assert result.status is Status.PASS, result.message
    assert result.evidence["registered_told_by"] == "ASR" and "is still 127.0.0.5, the address ASR registered it with" in result.message


def test_a_configuration_server_restored_on_another_ip_fails_whatever_the_site_file_says(dns_server, tmp_path, classic_vault):
    # The server was registered with 127.0.0.9 and restored as 127.0.0.5; the site file was updated to the new address.
    _backup(tmp_path, "cs-db.zip", age_hours=1)
    classic_vault.fabric.config_server.ip_address = "127.0.0.9"
    result, _ = _check(dns_server, registered_ip="127.0.0.5", azure=classic_vault, backup_path=str(tmp_path))
    assert result.status is Status.FAIL
    assert "resolves to 127.0.0.5, but the configuration server was registered with 127.0.0.9 (ASR)" in result.message
    assert result.evidence["site_file_ip"] == "127.0.0.5"
    assert "(127.0.0.9, as ASR records it)" in result.remediation["steps"][2]


# -- over SFTP, as from a Windows configuration server's OpenSSH ---------------------------------------------------------
def _sftp(server, ssh_keys, known_hosts, path: str) -> dict:
    return {
        "backup_path": path,
        "backup_ssh_host": server.host,
        "backup_ssh_port": server.port,
        "backup_ssh_user": server.user,
        "backup_ssh_key": str(ssh_keys.user.private_path),
        "backup_ssh_known_hosts": str(known_hosts),
        "backup_timeout_seconds": 10,
    }


@pytest.fixture
def windows_backups(sftp_root: Path) -> Iterator[Path]:
    """The configuration server's D:\\ASRBackups as its SFTP server shows it."""
    folder = sftp_root / "D:" / "ASRBackups"
    folder.mkdir(parents=True)
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    folder.rmdir()


def test_a_fresh_backup_over_sftp_at_a_windows_path_passes(dns_server, sftp_server, ssh_keys, known_hosts, windows_backups):
    _backup(windows_backups / "daily", "cs-db.zip", age_hours=2)
    result, facts = _check(dns_server, **_sftp(sftp_server, ssh_keys, known_hosts, "D:/ASRBackups"))
    assert result.status is Status.PASS, result.message
    assert result.evidence["via"] == "sftp" and result.evidence["newest"] == "D:/ASRBackups/daily/cs-db.zip"


def test_a_stale_backup_over_sftp_with_backslashes_fails(dns_server, sftp_server, ssh_keys, known_hosts, windows_backups):
    _backup(windows_backups, "cs-db.zip", age_hours=50)
    result, _ = _check(dns_server, **_sftp(sftp_server, ssh_keys, known_hosts, "D:\\ASRBackups"))
    assert result.status is Status.FAIL and "is 50.0 h old" in result.message


def test_an_sftp_server_with_an_unknown_host_key_is_refused(dns_server, sftp_server, ssh_keys, tmp_path, windows_backups):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    result, _ = _check(dns_server, **_sftp(sftp_server, ssh_keys, empty, "D:/ASRBackups"))
    assert result.status is Status.ERROR
    assert "REFUSED" in result.message and result.evidence["failure"] == "host_key_unknown"
    assert result.evidence["host_key_sha256"].startswith("SHA256:")
    assert result.remediation["id"] == "trust-ssh-host-key"
