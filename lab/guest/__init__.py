"""Simulated Linux and Windows guests for the lab vCenter's VMware Tools guest operations.

install_guest() writes a small guest image into a directory: /etc/os-release, the
distribution's DHCP network configuration in its real format and place, and stub network
commands (lab/guest/commands.py) in <root>/usr/bin and <root>/usr/sbin. Attach the directory to
a VM with VCenterAdmin.set_guest_operations(); programs started in the guest then run with
PATH=<root>/usr/local/sbin:...:<root>/bin:/usr/local/bin:/usr/bin:/bin and FAILBACK_ROOT=<root>,
so the stubs shadow this machine's commands and scripts reach guest files as
"${FAILBACK_ROOT:-}/etc/..." (FAILBACK_ROOT is unset on a real guest).

    Distribution        Network configuration                                    Apply commands
    ubuntu-netplan      /etc/netplan/50-cloud-init.yaml                          netplan generate|apply|get
    rhel-nmcli          /etc/NetworkManager/system-connections/<if>.nmconnection nmcli connection modify|up|reload...,
                                                                                 systemctl restart NetworkManager
    rhel-ifcfg          /etc/sysconfig/network-scripts/ifcfg-<if>                ifdown/ifup <if>, systemctl restart network
    debian-interfaces   /etc/network/interfaces                                  ifdown/ifup <if>, systemctl restart networking

The windows-powershell image is a Windows guest: its drives are directories (C:\\Windows\\Temp is <root>/C/Windows/Temp),
and C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe runs the subset of Windows PowerShell 5.1 that
the product's scripts use (lab/guest/powershell.py), its NetTCPIP cmdlets changing the adapter at once. The
simulator's own files (etc/failback-sim/image.json, run/failback-sim/guestinfo.json, the commands log, the stubs'
library) stay outside the drives, where no Windows path reaches them.

Every Linux image also has `ip` (addr/route show, add/del) and `systemctl`, whose units and their enablement live in
etc/failback-sim/units.json; set_network_manager() enables, disables or removes NetworkManager (its daemon, nmcli and
unit; removing keeps the connection profiles, as failover to Azure leaves a guest). Each stub appends its
command line to <root>/var/log/failback-sim/commands.log.

When an apply command succeeds it writes <root>/run/failback-sim/guestinfo.json, and the lab
vCenter copies it into the VM's guest.net / guest.ipStack / guest.ipAddress once the guest
program that ran it ends (see GUESTINFO_SHAPE).
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import shutil
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from failback.lab.guest import commands

# The file the apply commands write and the lab vCenter reads (lab/vcsim/guest_ops.go, guestInfo).
GUESTINFO_SHAPE = """\
{
  "hostname": "app01",                 # optional: guest.hostName
  "interfaces": [                      # guest.net, one entry per NIC
    {"name": "ens192",                 # the guest's device name (vSphere does not report it)
     "mac": "00:50:56:00:00:01",       # matches the VM's virtual NIC: its network name is reported
     "dhcp": false,                    # ipConfig.dhcp.ipv4.enable
     "addresses": [{"ip": "10.0.0.50", "prefix": 24, "origin": "manual"}]}   # origin: manual | dhcp
  ],
  "gateway": "10.0.0.1",               # ipStack[0] default route; "" for none
  "dns": ["10.0.0.2"]                  # ipStack[0].dnsConfig.ipAddress
}"""

DISTROS = ("ubuntu-netplan", "rhel-nmcli", "rhel-ifcfg", "debian-interfaces")
WINDOWS_IMAGES = ("windows-powershell",)
POWERSHELL_EXE = "C/Windows/System32/WindowsPowerShell/v1.0/powershell.exe"

OS_RELEASE = {
    "ubuntu-netplan": """\
PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
""",
    "rhel-nmcli": """\
NAME="Red Hat Enterprise Linux"
VERSION="9.3 (Plow)"
ID="rhel"
ID_LIKE="fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:redhat:enterprise_linux:9::baseos"
""",
    "rhel-ifcfg": """\
NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
""",
    "debian-interfaces": """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
""",
}

# Which stubs each image has, and where (as on the real distribution).
STUBS = {
    "ubuntu-netplan": {"usr/sbin/netplan": "netplan"},
    "rhel-nmcli": {"usr/bin/nmcli": "nmcli", "usr/sbin/NetworkManager": "NetworkManager"},
    "rhel-ifcfg": {"usr/sbin/ifup": "ifup", "usr/sbin/ifdown": "ifdown"},
    "debian-interfaces": {"usr/sbin/ifup": "ifup", "usr/sbin/ifdown": "ifdown"},
}
COMMON_STUBS = {"usr/sbin/ip": "ip", "usr/bin/systemctl": "systemctl"}


@dataclass(frozen=True)
class GuestImage:
    """What install_guest wrote: the guest root and where its network configuration is."""

    root: Path
    distro: str
    interface: str
    mac: str
    config_path: str  # the network configuration file, as a guest path ("" on Windows: the registry holds it)

    def path(self, guest_path: str) -> Path:
        """The host path of a guest path."""
        return self.root / guest_path.lstrip("/")

    def guestinfo(self) -> dict[str, Any]:
        """The network the guest has now (what the last apply command left)."""
        return json.loads(self.path(commands.GUESTINFO_FILE).read_text())

    def commands_run(self) -> list[list[str]]:
        """Every stub command run so far, as argv lists."""
        log = self.path(commands.COMMANDS_LOG)
        return [shlex.split(line) for line in log.read_text().splitlines()] if log.exists() else []


def install_guest(
    root: Path | str,
    distro: str,
    interface: str | None = None,
    mac: str = "00:50:56:00:00:01",
    dhcp_address: str = "10.0.0.50/24",
    dhcp_gateway: str = "10.0.0.1",
    dhcp_dns: tuple[str, ...] = ("10.0.0.2",),
    hostname: str = "guest",
    python: str = sys.executable,
    administrator: bool = True,
    stale_gateway: str | None = None,
) -> GuestImage:
    """Write a simulated guest of the given distribution (or Windows image) into root (created if needed).

    The interface (default ens192; on Windows the adapter's alias, default Ethernet0) starts on DHCP with the lease dhcp_address / dhcp_gateway /
    dhcp_dns, which is also what a DHCP configuration gets when applied. The stubs run with `python` (which needs
    PyYAML for netplan). On Windows, administrator=False makes the network cmdlets fail with "Access is denied.", and
    stale_gateway leaves a default gateway in the persistent store, which no Get-NetRoute shows and on which
    New-NetIPAddress -DefaultGateway fails with "Instance DefaultGateway already exists" (a known Windows trap).
    """
    if distro not in DISTROS + WINDOWS_IMAGES:
        raise ValueError(f"unknown distro {distro!r}; choose from {', '.join(DISTROS + WINDOWS_IMAGES)}")
    root = Path(root).resolve()
    lease = ipaddress.IPv4Interface(dhcp_address)
    if distro in WINDOWS_IMAGES:
        interface = interface or "Ethernet0"
        return _install_windows(root, distro, interface, mac.lower(), lease, dhcp_gateway, dhcp_dns, hostname, python, administrator,
                                stale_gateway)
    interface = interface or "ens192"
    for directory in ("etc", "root", "run/failback-sim", "var/log/failback-sim", "usr/bin", "usr/sbin", "usr/lib/failback-sim"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    (root / "tmp").mkdir(exist_ok=True)
    (root / "tmp").chmod(0o1777)

    _write(root, "/etc/os-release", OS_RELEASE[distro])
    _write(root, "/etc/hostname", hostname + "\n")
    image = {
        "os": "linux",
        "distro": distro,
        "interface": interface,
        "mac": mac.lower(),
        "lease": {"ip": str(lease.ip), "prefix": lease.network.prefixlen, "gateway": dhcp_gateway, "dns": list(dhcp_dns)},
    }
    _write(root, "/" + commands.IMAGE_FILE, json.dumps(image, indent=2) + "\n")
    config_path = _write_network_config(root, distro, interface, mac.lower())

    library = root / "usr/lib/failback-sim"
    shutil.copyfile(Path(commands.__file__), library / "failback_guest_commands.py")
    for stub_path, command in {**COMMON_STUBS, **STUBS[distro]}.items():
        stub = root / stub_path
        stub.write_text(_stub(python, command))
        stub.chmod(0o755)

    _write(root, "/" + commands.UNITS_FILE, json.dumps({unit: "enabled" for unit in sorted(commands.UNITS[distro])}, indent=2) + "\n")

    # The guest booted and took its DHCP lease.
    guest = commands.Guest(root)
    guest.apply(dhcp=True, static=[], gateway="", dns=[])
    if distro == "rhel-nmcli":
        commands.nm_load(guest)
        profile = commands.nm_profiles(guest)[0]
        commands.nm_set_active(guest, interface, profile.uuid)
    if distro == "debian-interfaces":
        _write(root, f"/run/network/ifstate.{interface}", interface + "\n")
    return GuestImage(root, distro, interface, mac.lower(), config_path)


NETWORK_MANAGER_STATES = ("enabled", "disabled", "removed")


def set_network_manager(image: GuestImage, state: str) -> None:
    """NetworkManager in a Linux guest (rhel-nmcli has it enabled): "enabled", "disabled" (installed, not started at
    boot) or "removed", as failover to Azure leaves it: the package's programs and unit are gone, the connection
    profiles (the administrator's files) stay."""
    if state not in NETWORK_MANAGER_STATES:
        raise ValueError(f"state must be one of {', '.join(NETWORK_MANAGER_STATES)}")
    guest = commands.Guest(image.root)
    units = commands.unit_states(guest)
    programs = {"usr/sbin/NetworkManager": "NetworkManager", "usr/bin/nmcli": "nmcli"}
    if state == "removed":
        units.pop("NetworkManager", None)
        for program in programs:
            (image.root / program).unlink(missing_ok=True)
    else:
        units["NetworkManager"] = state
        for program, command in programs.items():
            stub = image.root / program
            stub.write_text(_stub(sys.executable, command))
            stub.chmod(0o755)
    _write(image.root, "/" + commands.UNITS_FILE, json.dumps(units, indent=2, sort_keys=True) + "\n")


def _install_windows(root: Path, distro: str, alias: str, mac: str, lease: ipaddress.IPv4Interface, gateway: str,
                     dns: tuple[str, ...], hostname: str, python: str, administrator: bool, stale_gateway: str | None) -> GuestImage:
    """A Windows guest on DHCP: C:\\Windows\\Temp, powershell.exe, and the simulator's state beside the drive."""
    for directory in ("C/Windows/Temp", "C/Windows/System32", "C/Users", "etc", "run/failback-sim", "var/log/failback-sim",
                      "usr/lib/failback-sim"):
        (root / directory).mkdir(parents=True, exist_ok=True)
    _write(root, "/etc/hostname", hostname + "\n")
    image = {"os": "windows", "distro": distro, "interface": alias, "mac": mac, "administrator": administrator,
             "stale_gateway": stale_gateway, "lease": {"ip": str(lease.ip), "prefix": lease.network.prefixlen, "gateway": gateway, "dns": list(dns)}}
    _write(root, "/" + commands.IMAGE_FILE, json.dumps(image, indent=2) + "\n")
    library = root / "usr/lib/failback-sim"
    shutil.copyfile(Path(commands.__file__), library / "failback_guest_commands.py")
    shutil.copyfile(Path(commands.__file__).with_name("powershell.py"), library / "failback_guest_powershell.py")
    stub = root / POWERSHELL_EXE
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_text(f"""#!{python}
# The simulated Windows guest's powershell.exe (lab/guest/powershell.py).
import os, sys
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *[".."] * 5))
sys.path.insert(0, os.path.join(ROOT, "usr/lib/failback-sim"))
from failback_guest_powershell import main
sys.exit(main(sys.argv[1:], ROOT))
""")
    stub.chmod(0o755)
    commands.Guest(root).apply(dhcp=True, static=[], gateway="", dns=[])  # booted and took its lease
    return GuestImage(root, distro, alias, mac, "")


def _stub(python: str, command: str) -> str:
    return f"""#!{python}
# The simulated guest's {command} (lab/guest/commands.py).
import os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "usr/lib/failback-sim"))
from failback_guest_commands import main
sys.exit(main({command!r}, sys.argv[1:], ROOT))
"""


def _write(root: Path, guest_path: str, text: str, mode: int = 0o644) -> None:
    path = root / guest_path.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def _write_network_config(root: Path, distro: str, interface: str, mac: str) -> str:
    """The distribution's network configuration as its installer leaves it: DHCP on the NIC."""
    if distro == "ubuntu-netplan":
        path = "/etc/netplan/50-cloud-init.yaml"
        _write(root, path, f"""\
# This file is generated from information provided by the datasource.  Changes
# to it will not persist across an instance reboot.  To disable cloud-init's
# network configuration capabilities, write a file
# /etc/cloud/cloud.cfg.d/99-disable-network-config.cfg with the following:
# network: {{config: disabled}}
network:
    ethernets:
        {interface}:
            dhcp4: true
            match:
                macaddress: {mac}
            set-name: {interface}
    version: 2
""", mode=0o600)
    elif distro == "rhel-nmcli":
        path = f"/etc/NetworkManager/system-connections/{interface}.nmconnection"
        _write(root, path, f"""\
[connection]
id={interface}
uuid={uuid.uuid5(uuid.NAMESPACE_DNS, interface + mac)}
type=ethernet
autoconnect-priority=-999
interface-name={interface}
timestamp=1700000000

[ethernet]

[ipv4]
method=auto

[ipv6]
addr-gen-mode=eui64
method=auto

[proxy]
""", mode=0o600)
    elif distro == "rhel-ifcfg":
        path = f"/etc/sysconfig/network-scripts/ifcfg-{interface}"
        _write(root, path, f"""\
TYPE=Ethernet
PROXY_METHOD=none
BROWSER_ONLY=no
BOOTPROTO=dhcp
DEFROUTE=yes
IPV4_FAILURE_FATAL=no
IPV6INIT=yes
IPV6_AUTOCONF=yes
IPV6_DEFROUTE=yes
IPV6_FAILURE_FATAL=no
IPV6_ADDR_GEN_MODE=stable-privacy
NAME={interface}
UUID={uuid.uuid5(uuid.NAMESPACE_DNS, interface + mac)}
DEVICE={interface}
ONBOOT=yes
HWADDR={mac.upper()}
""")
        _write(root, "/etc/sysconfig/network", "# Created by anaconda\n")
    else:
        path = "/etc/network/interfaces"
        _write(root, path, f"""\
# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug {interface}
iface {interface} inet dhcp
""")
        (root / "etc/network/interfaces.d").mkdir(parents=True, exist_ok=True)
    return path
