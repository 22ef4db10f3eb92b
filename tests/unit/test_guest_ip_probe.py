"""The read-only probe: run on a fake guest root, its findings name the interface with the recorded MAC and its method."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from failback.remediations.guest_ip.config import GuestNic, StaticNic
from failback.remediations.guest_ip.probe import LINUX_PROBE, ProbeError, parse_findings

NIC = StaticNic("00:50:56:01:02:03", ("10.20.0.21/24",), "10.20.0.1", ("10.20.0.2",))


def _guest(root: Path, *commands: str, nm_output: str = "") -> dict[str, str]:
    for name, mac in (("lo", "00:00:00:00:00:00"), ("eth0", "00:50:56:01:02:03"), ("eth1", "00:50:56:0a:0b:0c")):
        (root / "sys/class/net" / name).mkdir(parents=True)
        (root / "sys/class/net" / name / "address").write_text(mac + "\n")
    bin_dir = root / "usr/bin"
    bin_dir.mkdir(parents=True)
    for command in commands:
        body = f"printf '%s\\n' '{nm_output}'" if command == "nmcli" else "exit 0"
        (bin_dir / command).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / command).chmod(0o755)
    # No host `ip`, netplan or nmcli may leak in: only the guest's stubs and the basics.
    basics = root / "basics"
    basics.mkdir()
    for tool in ("cat",):
        (basics / tool).symlink_to(f"/bin/{tool}" if Path(f"/bin/{tool}").exists() else f"/usr/bin/{tool}")
    return {"PATH": f"{bin_dir}:{basics}", "FAILBACK_ROOT": str(root)}


def _probe(env: dict[str, str]):
    result = subprocess.run(["/bin/sh", "-c", LINUX_PROBE], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return parse_findings(result.stdout)


def test_probe_finds_netplan_on_ubuntu(tmp_path):
    env = _guest(tmp_path, "netplan")
    (tmp_path / "etc/netplan").mkdir(parents=True)
    (tmp_path / "etc/netplan/50-cloud-init.yaml").write_text("network: {version: 2}\n")
    findings = _probe(env)
    assert findings.links["eth0"] == "00:50:56:01:02:03"
    assert findings.netplan_files == ["/etc/netplan/50-cloud-init.yaml"]
    assert findings.guest_nic(NIC) == GuestNic("netplan", "eth0")


def test_probe_finds_the_networkmanager_connection(tmp_path):
    env = _guest(tmp_path, "nmcli", nm_output=r"eth0:Wired connection 1\: office")
    findings = _probe(env)
    assert findings.guest_nic(NIC) == GuestNic("nmcli", "eth0", "Wired connection 1: office")


def test_probe_finds_ifcfg_then_interfaces(tmp_path):
    env = _guest(tmp_path)
    (tmp_path / "etc/sysconfig/network-scripts").mkdir(parents=True)
    (tmp_path / "etc/sysconfig/network-scripts/ifcfg-eth0").write_text("BOOTPROTO=dhcp\n")
    assert _probe(env).guest_nic(NIC) == GuestNic("ifcfg", "eth0")
    (tmp_path / "etc/sysconfig/network-scripts/ifcfg-eth0").unlink()
    (tmp_path / "etc/network").mkdir(parents=True)
    (tmp_path / "etc/network/interfaces").write_text("auto lo\niface lo inet loopback\nallow-hotplug eth0\niface eth0 inet dhcp\n")
    findings = _probe(env)
    assert findings.stanzas == {"lo": "loopback", "eth0": "dhcp"}
    assert findings.guest_nic(NIC) == GuestNic("interfaces", "eth0")


def test_no_interface_with_the_recorded_mac_is_an_error_naming_what_was_found(tmp_path):
    findings = _probe(_guest(tmp_path))
    with pytest.raises(ProbeError, match="no interface in the guest has the recorded MAC 00:50:56:FF:FF:FF .*eth0 00:50:56:01:02:03"):
        findings.interface_for("00:50:56:FF:FF:FF")
    with pytest.raises(ProbeError, match="cannot tell how the guest configures eth0"):
        findings.guest_nic(NIC)


def test_ip_command_output_and_unsafe_names_are_parsed_carefully():
    findings = parse_findings(
        "iplink\t2: ens192: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT group default qlen 1000\\    link/ether 00:50:56:01:02:03 brd ff:ff:ff:ff:ff:ff\n"
        "ipaddr\t2: ens192    inet 10.0.0.50/24 brd 10.0.0.255 scope global dynamic ens192\\       valid_lft 86000sec\n"
        "link\t../../etc\t00:50:56:01:02:03\n"
        "ifcfg\t../passwd\n")
    assert findings.links == {"ens192": "00:50:56:01:02:03"}
    assert findings.addresses == {"ens192": ["10.0.0.50/24"]}
    assert findings.ifcfg == set()


def test_windows_findings_choose_powershell_by_the_adapters_mac():
    findings = parse_findings("link\tEthernet0\t00-50-56-01-02-03\r\naddr\tEthernet0\t10.0.0.50/24\tDhcp\r\n", windows=True)
    assert findings.guest_nic(NIC) == GuestNic("powershell", "Ethernet0")
    assert findings.addresses == {"Ethernet0": ["10.0.0.50/24 (dhcp)"]}
