"""The static-IP configuration generators: each output parsed back by a real parser, each script run on a fake root."""

from __future__ import annotations

import configparser
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from failback.remediations.guest_ip.config import GuestNic, RecordError, StaticNic, static_nics
from failback.remediations.guest_ip.ifcfg import ifcfg_script
from failback.remediations.guest_ip.interfaces import interfaces_script
from failback.remediations.guest_ip.methods import GENERATORS, configuration_script
from failback.remediations.guest_ip.netplan import DROP_IN, netplan_script, netplan_yaml
from failback.remediations.guest_ip.netsh import netsh_commands
from failback.remediations.guest_ip.nmcli import nmcli_script
from failback.remediations.guest_ip.powershell import powershell_commands, powershell_script

NIC = StaticNic("00:50:56:01:02:03", ("10.20.0.21/24", "10.20.0.22/24"), "10.20.0.1", ("10.20.0.2", "10.20.0.3"))
ETH0 = GuestNic("netplan", "eth0")


def _stubs(directory: Path, *names: str) -> Path:
    """Commands that log their arguments, one per line, to <root>/calls.log."""
    bin_dir = directory / "stub-bin"
    bin_dir.mkdir(exist_ok=True)
    for name in names:
        stub = bin_dir / name
        stub.write_text(f'#!/bin/sh\n{{ echo "{name}"; for a in "$@"; do echo "  $a"; done; }} >> "$FAILBACK_ROOT/calls.log"\n')
        stub.chmod(0o755)
    return bin_dir


def _run(script: str, root: Path, bin_dir: Path) -> subprocess.CompletedProcess:
    path = root / "script.sh"
    path.write_text(script)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "FAILBACK_ROOT": str(root)}
    return subprocess.run(["/bin/sh", str(path)], env=env, capture_output=True, text=True, timeout=30)


def _calls(root: Path) -> list[list[str]]:
    calls: list[list[str]] = []
    for line in (root / "calls.log").read_text().splitlines():
        if line.startswith("  "):
            calls[-1].append(line[2:])
        else:
            calls.append([line])
    return calls


@pytest.mark.parametrize("method", ["nmcli", "netplan", "ifcfg", "interfaces"])
def test_every_linux_script_is_valid_sh(method, tmp_path):
    script = GENERATORS[method](NIC, GuestNic(method, "eth0", "Wired connection 1"))
    path = tmp_path / "script.sh"
    path.write_text(script)
    assert subprocess.run(["sh", "-n", str(path)], capture_output=True).returncode == 0
    assert script.startswith("#!/bin/sh\n") and "set -eu" in script
    # Every guest path is under the root the simulator (or nothing, on a real guest) gives.
    for word in shlex.split(script.replace('"${FAILBACK_ROOT:-}"', "ROOT"), comments=True):
        if word.startswith("/etc"):
            pytest.fail(f"a guest path outside ${{FAILBACK_ROOT:-}}: {word}")


def test_netplan_yaml_parses_back_to_the_recorded_configuration():
    document = yaml.safe_load(netplan_yaml(NIC, ETH0))
    eth0 = document["network"]["ethernets"]["eth0"]
    assert document["network"]["version"] == 2
    assert eth0["match"] == {"macaddress": "00:50:56:01:02:03"} and eth0["set-name"] == "eth0"
    assert eth0["dhcp4"] is False
    assert eth0["addresses"] == ["10.20.0.21/24", "10.20.0.22/24"]
    assert eth0["routes"] == [{"to": "default", "via": "10.20.0.1"}]
    assert eth0["nameservers"] == {"addresses": ["10.20.0.2", "10.20.0.3"]}


def test_netplan_script_writes_the_drop_in_under_the_root_and_keeps_a_replaced_one(tmp_path):
    bin_dir = _stubs(tmp_path, "netplan")
    drop_in = tmp_path / DROP_IN.lstrip("/")
    drop_in.parent.mkdir(parents=True)
    drop_in.write_text("# an older one\n")
    result = _run(netplan_script(NIC, ETH0), tmp_path, bin_dir)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(drop_in.read_text())["network"]["ethernets"]["eth0"]["addresses"] == ["10.20.0.21/24", "10.20.0.22/24"]
    assert oct(drop_in.stat().st_mode & 0o777) == "0o600"
    assert (drop_in.parent / "60-failback-static.yaml.failback.orig").read_text() == "# an older one\n"
    assert _calls(tmp_path) == [["netplan", "apply"]]
    # Run again: the backup still holds the original, not our first version.
    assert _run(netplan_script(NIC, ETH0), tmp_path, bin_dir).returncode == 0
    assert (drop_in.parent / "60-failback-static.yaml.failback.orig").read_text() == "# an older one\n"


def test_nmcli_script_modifies_the_connection_with_every_value_quoted(tmp_path):
    bin_dir = _stubs(tmp_path, "nmcli")
    keyfiles = tmp_path / "etc/NetworkManager/system-connections"
    keyfiles.mkdir(parents=True)
    name = "Wired connection 1 'it's $HOME'"
    keyfile = keyfiles / "Wired connection 1.nmconnection"
    keyfile.write_text(f"[connection]\nid={name}\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=auto\n")
    result = _run(nmcli_script(NIC, GuestNic("nmcli", "eth0", name)), tmp_path, bin_dir)
    assert result.returncode == 0, result.stderr
    assert _calls(tmp_path) == [
        ["nmcli", "connection", "modify", name, "ipv4.method", "manual", "ipv4.addresses", "10.20.0.21/24,10.20.0.22/24",
         "ipv4.gateway", "10.20.0.1", "ipv4.dns", "10.20.0.2 10.20.0.3", "ipv4.ignore-auto-dns", "yes"],
        ["nmcli", "connection", "up", name],
    ]
    kept = configparser.ConfigParser(interpolation=None)
    kept.read(str(keyfile) + ".failback.orig")
    assert kept["connection"]["id"] == name and kept["ipv4"]["method"] == "auto"


def test_ifcfg_script_sets_static_keys_and_keeps_the_others(tmp_path):
    bin_dir = _stubs(tmp_path, "ifup", "ifdown")
    scripts = tmp_path / "etc/sysconfig/network-scripts"
    scripts.mkdir(parents=True)
    ifcfg = scripts / "ifcfg-eth0"
    ifcfg.write_text('TYPE=Ethernet\nBOOTPROTO=dhcp\nNAME=eth0\nUUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\nDEVICE=eth0\nONBOOT=yes\nDNS1=192.0.2.9\n')
    result = _run(ifcfg_script(NIC, GuestNic("ifcfg", "eth0")), tmp_path, bin_dir)
    assert result.returncode == 0, result.stderr
    sourced = subprocess.run(["sh", "-c", '. "$1"; echo "$BOOTPROTO|$IPADDR|$PREFIX|$IPADDR1|$PREFIX1|$GATEWAY|$DNS1|$DNS2|$UUID|$ONBOOT|$TYPE"',
                              "sh", str(ifcfg)], capture_output=True, text=True, check=True).stdout.strip()
    assert sourced == "none|10.20.0.21|24|10.20.0.22|24|10.20.0.1|10.20.0.2|10.20.0.3|5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03|yes|Ethernet"
    assert "BOOTPROTO=dhcp" in (scripts / "ifcfg-eth0.failback.orig").read_text()
    assert _calls(tmp_path) == [["ifdown", "eth0"], ["ifup", "eth0"]]


def test_ifcfg_script_writes_a_whole_file_when_there_is_none(tmp_path):
    bin_dir = _stubs(tmp_path, "ifup", "ifdown")
    (tmp_path / "etc/sysconfig/network-scripts").mkdir(parents=True)
    assert _run(ifcfg_script(NIC, GuestNic("ifcfg", "ens192")), tmp_path, bin_dir).returncode == 0
    ifcfg = tmp_path / "etc/sysconfig/network-scripts/ifcfg-ens192"
    sourced = subprocess.run(["sh", "-c", '. "$1"; echo "$DEVICE|$HWADDR|$BOOTPROTO|$IPADDR"', "sh", str(ifcfg)],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert sourced == "ens192|00:50:56:01:02:03|none|10.20.0.21"


def _stanzas(text: str) -> dict[str, dict[str, list[str]]]:
    """/etc/network/interfaces as ifupdown reads it: `iface NAME FAMILY METHOD` then indented options, `auto` lines."""
    stanzas: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "iface":
            current = stanzas.setdefault(words[1], {})
            current.update(family=[words[2]], method=[words[3]])
        elif words[0] in ("auto", "source", "mapping") or words[0].startswith("allow-"):
            current = None
            if words[0] == "auto":
                for name in words[1:]:
                    stanzas.setdefault(name, {}).setdefault("auto", []).append("yes")
        elif current is not None:
            current.setdefault(words[0], []).append(" ".join(words[1:]))
    return stanzas


def test_interfaces_script_replaces_only_the_nics_stanza(tmp_path):
    bin_dir = _stubs(tmp_path, "ifup", "ifdown")
    interfaces = tmp_path / "etc/network/interfaces"
    interfaces.parent.mkdir(parents=True)
    original = ("source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n"
                "    hostname app01\n\nauto eth1\niface eth1 inet static\n    address 192.168.5.5/24\n")
    interfaces.write_text(original)
    result = _run(interfaces_script(NIC, GuestNic("interfaces", "eth0")), tmp_path, bin_dir)
    assert result.returncode == 0, result.stderr
    stanzas = _stanzas(interfaces.read_text())
    assert stanzas["eth0"] == {"auto": ["yes"], "family": ["inet"], "method": ["static"], "address": ["10.20.0.21/24", "10.20.0.22/24"],
                               "gateway": ["10.20.0.1"], "dns-nameservers": ["10.20.0.2 10.20.0.3"]}
    assert stanzas["eth1"]["address"] == ["192.168.5.5/24"] and stanzas["lo"]["method"] == ["loopback"]
    assert "allow-hotplug eth0" not in interfaces.read_text()
    assert (interfaces.parent / "interfaces.failback.orig").read_text() == original
    assert _calls(tmp_path) == [["ifdown", "eth0"], ["ifup", "eth0"]]


def test_a_failing_command_fails_the_script(tmp_path):
    bin_dir = tmp_path / "stub-bin"
    bin_dir.mkdir()
    (bin_dir / "netplan").write_text("#!/bin/sh\necho 'Invalid YAML' >&2\nexit 78\n")
    (bin_dir / "netplan").chmod(0o755)
    result = _run(netplan_script(NIC, ETH0), tmp_path, bin_dir)
    assert result.returncode == 78 and "Invalid YAML" in result.stderr


def test_netsh_command_lines():
    assert netsh_commands(NIC, GuestNic("netsh", "Ethernet 2")) == [
        'netsh interface ipv4 set address name="Ethernet 2" static 10.20.0.21 255.255.255.0 10.20.0.1',
        'netsh interface ipv4 add address name="Ethernet 2" 10.20.0.22 255.255.255.0',
        'netsh interface ipv4 set dnsservers name="Ethernet 2" static 10.20.0.2 primary validate=no',
        'netsh interface ipv4 add dnsservers name="Ethernet 2" 10.20.0.3 index=2 validate=no',
    ]
    with pytest.raises(ValueError):
        netsh_commands(NIC, GuestNic("netsh", 'Ethernet "2"'))


def test_powershell_command_lines():
    assert powershell_commands(NIC, GuestNic("powershell", "Bob's NIC")) == [
        "$ErrorActionPreference = 'Stop'",
        "Set-NetIPInterface -InterfaceAlias 'Bob''s NIC' -AddressFamily IPv4 -Dhcp Disabled",
        "Get-NetIPAddress -InterfaceAlias 'Bob''s NIC' -AddressFamily IPv4 -ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false",
        "Get-NetRoute -InterfaceAlias 'Bob''s NIC' -DestinationPrefix '0.0.0.0/0' -ErrorAction SilentlyContinue | Remove-NetRoute -Confirm:$false",
        "New-NetIPAddress -InterfaceAlias 'Bob''s NIC' -AddressFamily IPv4 -IPAddress '10.20.0.21' -PrefixLength 24 -DefaultGateway '10.20.0.1'",
        "New-NetIPAddress -InterfaceAlias 'Bob''s NIC' -AddressFamily IPv4 -IPAddress '10.20.0.22' -PrefixLength 24",
        "Set-DnsClientServerAddress -InterfaceAlias 'Bob''s NIC' -ServerAddresses '10.20.0.2','10.20.0.3'",
    ]


def test_the_record_groups_addresses_by_nic_and_gives_the_gateway_to_its_subnet():
    record = {"static": [{"ip": "10.20.0.21", "prefix": 24, "mac": "00:50:56:01:02:03"},
                         {"ip": "192.168.7.4", "prefix": 24, "mac": "00-50-56-0A-0B-0C"}],
              "gateway": "192.168.7.1", "dns": ["10.20.0.2"]}
    first, second = static_nics(record)
    assert first == StaticNic("00:50:56:01:02:03", ("10.20.0.21/24",))
    assert second == StaticNic("00:50:56:0a:0b:0c", ("192.168.7.4/24",), "192.168.7.1", ("10.20.0.2",))
    with pytest.raises(RecordError):
        static_nics({"static": [{"ip": "10.20.0.21", "prefix": None}], "gateway": "unknown"})


def test_one_script_for_several_nics_stops_at_the_first_failure(tmp_path):
    script = configuration_script([(NIC, GuestNic("netplan", "eth0")), (NIC, GuestNic("interfaces", "eth1"))])
    path = tmp_path / "s.sh"
    path.write_text(script)
    assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
    assert script.count("set -eu") == 2


def test_the_powershell_script_stops_at_the_first_error_writes_it_into_its_log_and_goes_back_to_dhcp():
    found = GuestNic("powershell", "Ethernet0")
    script = powershell_script(NIC, found).split("\r\n")
    assert script[:2] == ["$ErrorActionPreference = 'Stop'", "try {"]
    catch = script.index("} catch {")
    assert [line.strip() for line in script[2:catch]] == powershell_commands(NIC, found)[1:]
    handler = [line.strip() for line in script[catch + 1:-2]]
    # The error goes to the output (the *> log the operator is shown), not past the redirection to the console.
    assert handler[0] == '"$($_.InvocationInfo.MyCommand.Name): $($_.Exception.Message)"'
    assert handler[1] == "$ErrorActionPreference = 'SilentlyContinue'", "the first error is the one the log ends with"
    assert "Set-NetIPInterface -InterfaceAlias 'Ethernet0' -AddressFamily IPv4 -Dhcp Enabled" in handler
    assert handler[-1] == "exit 1" and script[-2:] == ["}", ""]
