"""The NetworkManager probe on a guest the lab's distributions do not cover: a CentOS 6 root without systemd, run by the
real shell with only the guest's files and the basics on PATH, then judged as guest.network_manager judges it."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from failback.checks.facts import Facts
from failback.checks.model import Result, Status
from failback.checks.site import Site
from failback.checks.sources.network_manager_probe import NETWORK_MANAGER_PROBE, parse_network_manager_probe
from failback.runner.engine import Selection, evaluate


def _centos6_guest(root: Path) -> dict[str, str]:
    daemon = root / "usr/sbin/NetworkManager"
    daemon.parent.mkdir(parents=True)
    daemon.write_text("#!/bin/sh\nexit 0\n")
    daemon.chmod(0o755)
    scripts = root / "etc/sysconfig/network-scripts"
    scripts.mkdir(parents=True)
    (scripts / "ifcfg-eth0").write_text("DEVICE=eth0\nBOOTPROTO=dhcp\nNM_CONTROLLED=yes\n")
    (scripts / "ifcfg-lo").write_text("DEVICE=lo\n")
    basics = root / "basics"  # no systemctl: SysV init
    basics.mkdir()
    for tool in ("sed", "head", "tail"):
        (basics / tool).symlink_to(shutil.which(tool))
    return {"PATH": str(basics), "FAILBACK_ROOT": str(root)}


def _judge_alone(probe: dict) -> Result:
    """guest.network_manager on facts holding only this probe of app01."""
    site = Site.model_validate({"experience": "classic", "vcenter": {"host": "vc", "user": "u", "datacenter": "DC"}, "vms": [{"name": "app01"}]})
    looked = {"state": "probed", "power_state": "poweredOn", "guest_family": "linuxGuest", "network_manager": probe}
    facts = Facts(site, dt.datetime.now(dt.timezone.utc).isoformat(), "test", sources={"guest": {"vms": {"app01": looked}}})
    return evaluate(facts, Selection(only=frozenset({"guest.network_manager"}))).results[0]


def test_without_systemd_the_probe_cannot_tell_whether_network_manager_starts_and_the_check_warns(tmp_path):
    done = subprocess.run(["/bin/sh", "-c", NETWORK_MANAGER_PROBE], env=_centos6_guest(tmp_path), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    probe = parse_network_manager_probe(done.stdout)
    assert (probe["daemon"], probe["enabled"], probe["ifcfg"]) == ("/usr/sbin/NetworkManager", "unknown", ["ifcfg-eth0"])

    result = _judge_alone(probe)
    assert result.status is Status.WARN
    assert "NetworkManager is installed; the guest has no systemd to tell whether it starts at boot" in result.message


def test_without_systemd_and_network_manager_the_sysv_network_script_configures_ifcfg_and_it_passes(tmp_path):
    env = _centos6_guest(tmp_path)
    (tmp_path / "usr/sbin/NetworkManager").unlink()
    done = subprocess.run(["/bin/sh", "-c", NETWORK_MANAGER_PROBE], env=env, capture_output=True, text=True, timeout=30)
    result = _judge_alone(parse_network_manager_probe(done.stdout))
    assert result.status is Status.PASS, result.message
    assert "does not use NetworkManager (it is not installed): the network service with ifcfg-eth0" in result.message
