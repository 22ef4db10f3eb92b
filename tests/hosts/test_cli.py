"""`failback check --site FILE --only ...` end to end against the host lab: exit codes, the JSON report, no secret shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from failback.lab.dns import Dnsmasq, Zone
from failback.lab.endpoints import ClosedPort, OpenPort, TlsPort, certificate
from failback.lab.master_target import ubuntu_master_target

from .conftest import PASSPHRASE, PASSPHRASE_ENV

CHECKS = "network.ports,dns.resolution,mt.linux_os,mt.linux_packages"


@pytest.fixture(scope="module")
def peers() -> Iterator[dict]:
    ca = trustme.CA()
    opened = {
        "control": TlsPort(certificate(ca, "cs01.lab.test", valid_days=400)),
        "data": OpenPort(),
        "closed": ClosedPort(),
        "dns": Dnsmasq(Zone().host("esx01.lab.test", "127.0.0.21")).start(),
    }
    yield opened
    for peer in opened.values():
        peer.close() if hasattr(peer, "close") else peer.stop()


def _site_file(tmp_path: Path, peers: dict, master_target, known_hosts: Path, protected_key, data_port: int) -> Path:
    # Hosts the tool connects to are loopback literals: a name would go to this machine's resolver, off loopback.
    # Names only the DNS checks resolve (esx01) are asked of the lab DNS server alone.
    sshd = master_target.sshd
    text = f"""\
name = "lab-classic"
experience = "classic"

[vcenter]
host = "127.0.0.1"
port = {peers["closed"].port}
user = "administrator@vsphere.local"
password_env = "FAILBACK_LAB_VCENTER_PASSWORD"
datacenter = "DC1"
target_hosts = ["esx01.lab.test"]

[config_server]
host = "127.0.0.1"
ip = "127.0.0.1"
port = {peers["control"].port}

[process_server]
host = "127.0.0.1"
port = {data_port}

[dns]
onprem_servers = ["{peers["dns"].address}"]
timeout_seconds = 1

[policy]
probe_timeout_seconds = 1

[[master_targets]]
name = "mt01"
host = "{sshd.host}"
ssh_port = {sshd.port}
ssh_user = "{sshd.user}"
ssh_key = "{protected_key.private_path}"
ssh_key_passphrase_env = "{PASSPHRASE_ENV}"
known_hosts = "{known_hosts}"
port = {data_port}
"""
    path = tmp_path / "lab-classic.toml"
    path.write_text(text)
    return path


def _failback(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "failback.cli", *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != PASSPHRASE_ENV}
    env[PASSPHRASE_ENV] = PASSPHRASE
    return env


def test_a_ready_site_exits_0_and_a_broken_one_exits_1_with_the_remediation(
    tmp_path, peers, master_target, known_hosts, protected_key, environment
):
    ubuntu_master_target(master_target.scenario)
    ready = _site_file(tmp_path, peers, master_target, known_hosts, protected_key, peers["data"].port)
    done = _failback("check", "--site", str(ready), "--only", CHECKS, "--format", "json", env=environment)
    report = json.loads(done.stdout)
    assert done.returncode == 0, (done.stderr, [(r["check"], r["target"], r["message"]) for r in report["results"] if r["status"] != "pass"])
    assert report["site"] == "lab-classic" and report["summary"]["ready"] is True
    assert {r["check"] for r in report["results"]} == set(CHECKS.split(","))

    master_target.scenario.dpkg_installed({"lsscsi": "0.27-3"})
    broken = _site_file(tmp_path, peers, master_target, known_hosts, protected_key, peers["closed"].port)
    done = _failback("check", "--site", str(broken), "--only", CHECKS, env=environment)
    assert done.returncode == 1, done.stderr
    assert "NOT READY" in done.stdout
    assert f"FAIL   network.ports          endpoint:127.0.0.1:{peers['closed'].port}" in done.stdout
    assert "-> Open the path from here to process server" in done.stdout
    assert "-> Install the missing packages on master target mt01" in done.stdout
    assert "apt-get install -y multipath-tools python-pyasn1 lvm2 kpartx" in done.stdout
    for output in (done.stdout, done.stderr):
        assert PASSPHRASE not in output and "Traceback" not in output


def test_an_unset_passphrase_variable_exits_2_naming_file_line_and_key(tmp_path, peers, master_target, known_hosts, protected_key, environment):
    site = _site_file(tmp_path, peers, master_target, known_hosts, protected_key, peers["data"].port)
    del environment[PASSPHRASE_ENV]
    line = site.read_text().splitlines().index(f'ssh_key_passphrase_env = "{PASSPHRASE_ENV}"') + 1
    done = _failback("check", "--site", str(site), "--only", "mt.linux_os", env=environment)
    assert done.returncode == 2
    assert f"{site}:{line}: master_targets[0].ssh_key_passphrase_env: environment variable {PASSPHRASE_ENV} is not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_collect_saves_facts_without_the_passphrase(tmp_path, peers, master_target, known_hosts, protected_key, environment):
    ubuntu_master_target(master_target.scenario)
    site = _site_file(tmp_path, peers, master_target, known_hosts, protected_key, peers["data"].port)
    bundle = tmp_path / "facts.json"
    environment["FAILBACK_LAB_VCENTER_PASSWORD"] = "vcenter-secret-not-used"
    # collect gathers every source; no vCenter listens on the lab's closed port, so that source fails: exit 3.
    done = _failback("collect", "--site", str(site), "--output", str(bundle), env=environment)
    assert done.returncode == 3 and "vcenter: 127.0.0.1" in done.stderr
    text = bundle.read_text()
    assert PASSPHRASE not in text and "vcenter-secret-not-used" not in text
    facts = json.loads(text)
    assert facts["sources"]["ssh"]["master_targets"]["mt01"]["os"]["version_id"] == "16.04"
    offline = _failback("check", "--facts", str(bundle), "--only", "mt.linux_os", env=environment)
    assert offline.returncode == 0, offline.stdout
