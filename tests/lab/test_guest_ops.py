"""VMware Tools guest operations in the lab vCenter, driven as the product drives a real one: pyvmomi's
guestOperationsManager, file transfers over the URLs it hands out, programs whose exit codes are polled, and the
guest network vCenter reports afterwards. The guests are lab/guest's simulated Linux and Windows images.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pyVmomi import vim, vmodl

from failback.lab.guest import DISTROS, POWERSHELL_EXE, GuestImage, install_guest
from failback.lab.site import APP, DB, LabSite

GUEST_USER, GUEST_PASSWORD = "root", "guest-Secret-1"
STATIC_IP, PREFIX, GATEWAY, DNS = "10.0.0.77", 24, "10.0.0.1", ["10.0.0.2", "10.0.0.3"]
HTTP_TIMEOUT_S = 10
PROGRAM_TIMEOUT_S = 5


# --- helpers: what a product does with pyvmomi


def auth(password: str = GUEST_PASSWORD) -> vim.vm.guest.NamePasswordAuthentication:
    return vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=password)


def vm_nic(lab: LabSite, vm: str) -> tuple[str, str]:
    """The VM's first virtual NIC: (MAC address, network name)."""
    devices = lab.admin.read(lab.admin.find(vim.VirtualMachine, vm), "config.hardware.device")["config.hardware.device"]
    card = next(d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard))
    if isinstance(card.backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
        portgroups = lab.admin.inventory(vim.dvs.DistributedVirtualPortgroup, "key", "name")
        return card.macAddress, next(p["name"] for _, p in portgroups if p["key"] == card.backing.port.portgroupKey)
    return card.macAddress, card.backing.deviceName


def start_guest(lab: LabSite, root: Path, distro: str = "ubuntu-netplan", vm: str = APP) -> tuple[object, GuestImage]:
    """Power the VM on with VMware Tools running and a simulated guest attached."""
    mac, _ = vm_nic(lab, vm)
    image = install_guest(root, distro, mac=mac)
    lab.admin.power_on(vm)
    lab.admin.set_vm_guest(vm, tools_running_status="guestToolsRunning")
    lab.admin.set_guest_operations(vm, root, GUEST_USER, GUEST_PASSWORD)
    return lab.admin.find(vim.VirtualMachine, vm), image


def transfer_url(lab: LabSite, url: str) -> str:
    assert url.startswith("https://*:")  # as ESXi answers: the client puts in the host it connected to
    return url.replace("*", lab.sim.host, 1)


def upload(lab: LabSite, vm, guest_path: str, data: bytes, permissions: int | None = None) -> None:
    attributes = vim.vm.guest.FileManager.PosixFileAttributes(permissions=permissions) if permissions else \
        vim.vm.guest.FileManager.FileAttributes()
    files = lab.admin.content.guestOperationsManager.fileManager
    url = files.InitiateFileTransferToGuest(vm, auth(), guest_path, attributes, len(data), True)
    request = urllib.request.Request(transfer_url(lab, url), data=data, method="PUT")
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S, context=lab.sim.ssl_context()) as response:
        assert response.status == 200


def download(lab: LabSite, vm, guest_path: str) -> bytes:
    files = lab.admin.content.guestOperationsManager.fileManager
    info = files.InitiateFileTransferFromGuest(vm, auth(), guest_path)
    with urllib.request.urlopen(transfer_url(lab, info.url), timeout=HTTP_TIMEOUT_S, context=lab.sim.ssl_context()) as response:
        data = response.read()
    assert len(data) == info.size
    return data


def run(lab: LabSite, vm, program: str, arguments: str = "") -> vim.vm.guest.ProcessManager.ProcessInfo:
    """Start a program in the guest and wait for it to end, polling as a product does."""
    processes = lab.admin.content.guestOperationsManager.processManager
    spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath=program, arguments=arguments)
    pid = processes.StartProgramInGuest(vm, auth(), spec)
    deadline = time.monotonic() + PROGRAM_TIMEOUT_S
    while time.monotonic() < deadline:
        [info] = processes.ListProcessesInGuest(vm, auth(), [pid])
        if info.endTime is not None:
            return info
        time.sleep(0.05)
    raise AssertionError(f"{program} {arguments} did not end within {PROGRAM_TIMEOUT_S} s")


def reported_network(lab: LabSite, vm) -> dict:
    return lab.admin.read(vm, "guest.net", "guest.ipStack", "guest.ipAddress")


# --- files


def test_a_file_uploaded_to_the_guest_downloads_back_unchanged(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest")
    content = b"restore me\n\x00\xff" * 1000
    upload(lab, vm, "/tmp/blob.bin", content)
    assert image.path("/tmp/blob.bin").read_bytes() == content
    assert download(lab, vm, "/tmp/blob.bin") == content
    assert download(lab, vm, "/etc/os-release").startswith(b'PRETTY_NAME="Ubuntu 22.04')


def test_a_transfer_url_serves_once_and_only_with_its_token(lab, tmp_path):
    vm, _ = start_guest(lab, tmp_path / "guest")
    files = lab.admin.content.guestOperationsManager.fileManager
    url = transfer_url(lab, files.InitiateFileTransferFromGuest(vm, auth(), "/etc/hostname").url)
    context = lab.sim.ssl_context()
    forged = url.split("?id=")[0] + "?id=" + "0" * 64
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=HTTP_TIMEOUT_S, context=context)
    assert refused.value.code == 404
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S, context=context) as response:
        assert response.read() == b"guest\n"
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S, context=context)


def test_file_faults_are_vcenters(lab, tmp_path):
    vm, _ = start_guest(lab, tmp_path / "guest")
    files = lab.admin.content.guestOperationsManager.fileManager
    with pytest.raises(vim.fault.FileNotFound):
        files.InitiateFileTransferFromGuest(vm, auth(), "/etc/no-such-file")
    with pytest.raises(vim.fault.FileNotFound):  # the directory must exist, as in a real guest
        files.InitiateFileTransferToGuest(vm, auth(), "/no/such/dir/file", vim.vm.guest.FileManager.FileAttributes(), 1, True)
    with pytest.raises(vim.fault.FileAlreadyExists):
        files.InitiateFileTransferToGuest(vm, auth(), "/etc/hostname", vim.vm.guest.FileManager.FileAttributes(), 1, False)


def test_temporary_files_are_created_and_deleted_in_the_guest(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest")
    files = lab.admin.content.guestOperationsManager.fileManager
    temporary = files.CreateTemporaryFileInGuest(vm, auth(), "failback-", ".sh")
    assert temporary.startswith("/tmp/failback-") and temporary.endswith(".sh") and image.path(temporary).is_file()
    files.DeleteFileInGuest(vm, auth(), temporary)
    assert not image.path(temporary).exists()
    with pytest.raises(vim.fault.FileNotFound):
        files.DeleteFileInGuest(vm, auth(), temporary)


# --- programs


def test_a_program_runs_in_the_guest_root_and_its_exit_code_is_reported(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest")
    failed = run(lab, vm, "/bin/sh", '-c "exit 3"')
    assert failed.exitCode == 3 and failed.name == "sh" and failed.owner == GUEST_USER
    assert failed.endTime >= failed.startTime

    script = b'#!/bin/sh\n{ pwd; echo "$FAILBACK_ROOT"; command -v netplan; echo "$GREETING"; } > "${FAILBACK_ROOT:-}/tmp/out.txt"\n'
    upload(lab, vm, "/tmp/probe.sh", script, permissions=0o755)
    succeeded = run(lab, vm, "/tmp/probe.sh")  # an uploaded program runs from the guest root
    assert succeeded.exitCode == 0  # 0, not unset: the stock simulator drops a zero exit code
    cwd, root, netplan, _ = download(lab, vm, "/tmp/out.txt").decode().splitlines()
    assert Path(cwd) == image.root / "tmp" and Path(root) == image.root
    assert Path(netplan) == image.root / "usr/sbin/netplan"  # the guest's stubs shadow this machine's commands


def test_environment_variables_reach_the_program_and_processes_are_listed(lab, tmp_path):
    vm, _ = start_guest(lab, tmp_path / "guest")
    processes = lab.admin.content.guestOperationsManager.processManager
    spec = vim.vm.guest.ProcessManager.ProgramSpec(
        programPath="/bin/sh", arguments='-c \'echo "$GREETING" > greeting.txt\'', workingDirectory="/root",
        envVariables=["GREETING=hello guest"],
    )
    pid = processes.StartProgramInGuest(vm, auth(), spec)
    deadline = time.monotonic() + PROGRAM_TIMEOUT_S
    while not processes.ListProcessesInGuest(vm, auth(), [pid])[0].endTime:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert download(lab, vm, "/root/greeting.txt") == b"hello guest\n"
    assert pid in {p.pid for p in processes.ListProcessesInGuest(vm, auth())}


def test_a_running_program_can_be_terminated(lab, tmp_path):
    vm, _ = start_guest(lab, tmp_path / "guest")
    processes = lab.admin.content.guestOperationsManager.processManager
    pid = processes.StartProgramInGuest(vm, auth(), vim.vm.guest.ProcessManager.ProgramSpec(programPath="/bin/sleep", arguments="30"))
    [running] = processes.ListProcessesInGuest(vm, auth(), [pid])
    assert running.endTime is None and running.exitCode is None
    processes.TerminateProcessInGuest(vm, auth(), pid)
    deadline = time.monotonic() + PROGRAM_TIMEOUT_S
    while (info := processes.ListProcessesInGuest(vm, auth(), [pid])[0]).endTime is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert info.exitCode != 0
    with pytest.raises(vim.fault.GuestProcessNotFound):
        processes.TerminateProcessInGuest(vm, auth(), pid)


# --- faults


def test_a_wrong_guest_password_is_an_invalid_guest_login(lab, tmp_path):
    vm, _ = start_guest(lab, tmp_path / "guest")
    processes = lab.admin.content.guestOperationsManager.processManager
    with pytest.raises(vim.fault.InvalidGuestLogin):
        processes.StartProgramInGuest(vm, auth("wrong"), vim.vm.guest.ProcessManager.ProgramSpec(programPath="/bin/true"))
    with pytest.raises(vim.fault.InvalidGuestLogin):
        lab.admin.content.guestOperationsManager.fileManager.InitiateFileTransferFromGuest(vm, auth("wrong"), "/etc/hostname")


def test_guest_operations_are_unavailable_without_running_tools(lab, tmp_path):
    vm, _ = start_guest(lab, tmp_path / "guest")
    processes = lab.admin.content.guestOperationsManager.processManager
    spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath="/bin/true")
    lab.admin.set_vm_guest(APP, tools_running_status="guestToolsNotRunning")
    with pytest.raises(vim.fault.GuestOperationsUnavailable):
        processes.StartProgramInGuest(vm, auth(), spec)
    lab.admin.set_vm_guest(APP, tools_running_status="guestToolsRunning")
    lab.admin.power_off(APP)
    with pytest.raises(vim.fault.GuestOperationsUnavailable):
        processes.StartProgramInGuest(vm, auth(), spec)
    # db01 is on with Tools running but has no simulated guest.
    lab.admin.power_on(DB)
    lab.admin.set_vm_guest(DB, tools_running_status="guestToolsRunning")
    with pytest.raises(vim.fault.GuestOperationsUnavailable):
        processes.StartProgramInGuest(lab.admin.find(vim.VirtualMachine, DB), auth(), spec)


# --- restoring a static IP, and vCenter reporting it

RESTORE_SCRIPTS = {
    "ubuntu-netplan": f"""\
cat > "${{FAILBACK_ROOT:-}}/etc/netplan/99-failback-static.yaml" <<EOF
network:
  version: 2
  ethernets:
    ens192:
      dhcp4: false
      addresses: [{STATIC_IP}/{PREFIX}]
      routes: [{{to: default, via: {GATEWAY}}}]
      nameservers: {{addresses: [{", ".join(DNS)}]}}
EOF
chmod 600 "${{FAILBACK_ROOT:-}}/etc/netplan/99-failback-static.yaml"
netplan apply
""",
    "rhel-nmcli": f"""\
name=$(nmcli -t -f NAME,DEVICE connection show --active | awk -F: '$2 == "ens192" {{print $1}}')
nmcli connection modify "$name" ipv4.method manual ipv4.addresses {STATIC_IP}/{PREFIX} ipv4.gateway {GATEWAY} ipv4.dns "{" ".join(DNS)}"
nmcli connection up "$name"
""",
    "rhel-ifcfg": f"""\
cfg="${{FAILBACK_ROOT:-}}/etc/sysconfig/network-scripts/ifcfg-ens192"
sed -i -e 's/^BOOTPROTO=.*/BOOTPROTO=none/' "$cfg"
printf 'IPADDR={STATIC_IP}\\nPREFIX={PREFIX}\\nGATEWAY={GATEWAY}\\nDNS1={DNS[0]}\\nDNS2={DNS[1]}\\n' >> "$cfg"
systemctl restart network
""",
    "debian-interfaces": f"""\
cfg="${{FAILBACK_ROOT:-}}/etc/network/interfaces"
sed -i -e 's|^iface ens192 inet dhcp|iface ens192 inet static\\n    address {STATIC_IP}/{PREFIX}\\n    gateway {GATEWAY}\\n    dns-nameservers {" ".join(DNS)}|' "$cfg"
ifdown ens192 && ifup ens192
""",
}


@pytest.mark.parametrize("distro", DISTROS)
def test_a_restore_script_makes_vcenter_report_the_static_address(lab, tmp_path, distro):
    vm, image = start_guest(lab, tmp_path / "guest", distro)
    _, network_name = vm_nic(lab, APP)
    upload(lab, vm, "/tmp/restore.sh", ("#!/bin/sh\nset -e\n" + RESTORE_SCRIPTS[distro]).encode(), permissions=0o700)
    assert run(lab, vm, "/tmp/restore.sh").exitCode == 0

    reported = reported_network(lab, vm)
    assert reported["guest.ipAddress"] == STATIC_IP
    [nic] = reported["guest.net"]
    assert nic.network == network_name and nic.ipAddress == [STATIC_IP]
    assert nic.ipConfig.dhcp.ipv4.enable is False
    [address] = nic.ipConfig.ipAddress
    assert (address.ipAddress, address.prefixLength, address.origin) == (STATIC_IP, PREFIX, "manual")
    [stack] = reported["guest.ipStack"]
    assert [r.gateway.ipAddress for r in stack.ipRouteConfig.ipRoute if r.prefixLength == 0] == [GATEWAY]
    assert list(stack.dnsConfig.ipAddress) == DNS
    assert image.commands_run()  # the distribution's own commands did it


def test_a_malformed_netplan_config_fails_the_apply_and_leaves_vcenter_reporting_dhcp(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest")
    before = reported_network(lab, vm)
    script = b'#!/bin/sh\nprintf "network:\\n  ethernets:\\n    ens192:\\n      adresses: [10.0.0.77/24]\\n" > "${FAILBACK_ROOT:-}/etc/netplan/99-bad.yaml"\n' \
             b'netplan apply 2> "${FAILBACK_ROOT:-}/tmp/err.txt"\n'
    upload(lab, vm, "/tmp/restore.sh", script, permissions=0o755)
    assert run(lab, vm, "/tmp/restore.sh").exitCode == 1
    assert b"unknown key 'adresses'" in download(lab, vm, "/tmp/err.txt")
    assert reported_network(lab, vm)["guest.ipAddress"] == before["guest.ipAddress"]
    assert image.guestinfo()["interfaces"][0]["dhcp"] is True


# --- the guest images' stubs on their own (no vCenter): what a real tool would refuse

BROKEN_CONFIGS = {
    "ubuntu-netplan": ("/etc/netplan/50-cloud-init.yaml", "network:\n  ethernets:\n    ens192:\n      addresses: [10.0.0.77]\n",
                       "netplan apply", "missing /prefixlength"),
    "rhel-nmcli": (None, None, "nmcli connection modify ens192 ipv4.method manual", "cannot be empty for 'method=manual'"),
    "rhel-ifcfg": ("/etc/sysconfig/network-scripts/ifcfg-ens192", 'DEVICE=ens192\nBOOTPROTO=none\nIPADDR="10.0.0.77\n',
                   "ifup ens192", "unexpected EOF"),
    "debian-interfaces": ("/etc/network/interfaces", "address 10.0.0.77\niface ens192 inet static\n",
                          "systemctl restart networking", "misplaced option"),
}


@pytest.mark.parametrize("distro", DISTROS)
def test_an_apply_command_refuses_a_malformed_config(tmp_path, distro):
    image = install_guest(tmp_path / "guest", distro)
    path, text, command, error = BROKEN_CONFIGS[distro]
    if path:
        image.path(path).write_text(text)
    root = image.root
    env = {"FAILBACK_ROOT": str(root), "PATH": f"{root}/usr/sbin:{root}/usr/bin:/usr/bin:/bin"}
    result = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=10)
    assert result.returncode != 0 and error in result.stderr
    assert image.guestinfo()["interfaces"][0]["dhcp"] is True  # the network is as it was
    assert image.commands_run()[-1][0] == command.split()[0]


def test_nmcli_ignores_a_hand_edited_keyfile_until_reloaded(tmp_path):
    image = install_guest(tmp_path / "guest", "rhel-nmcli")
    keyfile = image.path(image.config_path)
    keyfile.write_text(keyfile.read_text().replace("method=auto\n\n[ipv6]", f"method=manual\naddress1={STATIC_IP}/{PREFIX},{GATEWAY}\n\n[ipv6]"))
    root = image.root
    env = {"FAILBACK_ROOT": str(root), "PATH": f"{root}/usr/sbin:{root}/usr/bin:/usr/bin:/bin"}

    def nmcli(*args: str) -> None:
        subprocess.run(["nmcli", *args], env=env, check=True, capture_output=True, timeout=10)

    nmcli("connection", "up", "ens192")
    assert image.guestinfo()["interfaces"][0]["dhcp"] is True  # NetworkManager still has the old profile
    nmcli("connection", "reload")
    nmcli("connection", "up", "ens192")
    assert image.guestinfo()["interfaces"][0]["addresses"] == [{"ip": STATIC_IP, "prefix": PREFIX, "origin": "manual"}]


# --- a Windows guest: drive paths, programs started without a shell, powershell.exe's strictness

POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"


def test_a_windows_guest_maps_drive_paths_into_its_root(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest", "windows-powershell")
    upload(lab, vm, r"C:\Windows\Temp\note.txt", b"hello\r\n")
    assert image.path("C/Windows/Temp/note.txt").read_bytes() == b"hello\r\n"  # drive letter and case as given
    assert download(lab, vm, "C:/Windows/Temp/note.txt") == b"hello\r\n"
    files = lab.admin.content.guestOperationsManager.fileManager
    attributes = files.InitiateFileTransferFromGuest(vm, auth(), r"C:\Windows\Temp\note.txt").attributes
    assert isinstance(attributes, vim.vm.guest.FileManager.WindowsFileAttributes)
    temporary = files.CreateTemporaryFileInGuest(vm, auth(), "failback-", ".ps1")
    assert temporary.startswith("C:\\Windows\\Temp\\failback-") and image.path("C/Windows/Temp/" + temporary.split("\\")[-1]).is_file()
    with pytest.raises(vmodl.fault.InvalidArgument):  # a Linux path means nothing in a Windows guest
        files.InitiateFileTransferFromGuest(vm, auth(), "/etc/hostname")
    with pytest.raises(vim.fault.FileNotFound):
        files.InitiateFileTransferToGuest(vm, auth(), r"C:\No\Such\note.txt", vim.vm.guest.FileManager.FileAttributes(), 1, True)
    with pytest.raises(vim.fault.FileNotFound):  # no shell on this machine stands in for a Windows program
        lab.admin.content.guestOperationsManager.processManager.StartProgramInGuest(
            vm, auth(), vim.vm.guest.ProcessManager.ProgramSpec(programPath=r"C:\Windows\System32\cmd.exe"))


def test_a_windows_program_gets_its_arguments_as_windows_splits_them(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest", "windows-powershell")
    program = image.path("C/Tools/show-args.exe")
    program.parent.mkdir(parents=True)
    program.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                       "open(os.path.join(os.environ['FAILBACK_ROOT'], 'C/Windows/Temp/args.json'), 'w').write(json.dumps(sys.argv[1:]))\n"
                       "sys.exit(7)\n")
    program.chmod(0o755)
    info = run(lab, vm, r"C:\Tools\show-args.exe", r'plain "two words" say\"hi "ends\\" $HOME')
    assert info.exitCode == 7 and info.name == "show-args.exe"
    assert json.loads(download(lab, vm, r"C:\Windows\Temp\args.json")) == ["plain", "two words", 'say"hi', "ends\\", "$HOME"]


def test_powershell_runs_a_script_and_writes_its_log_as_windows_powershell_does(lab, tmp_path):
    vm, image = start_guest(lab, tmp_path / "guest", "windows-powershell")
    mac, network_name = vm_nic(lab, APP)
    script = ("$ErrorActionPreference = 'Stop'\r\n"
              "Get-NetAdapter | ForEach-Object { \"$($_.Name) $($_.MacAddress)\" }\r\n"
              "Set-NetIPInterface -InterfaceAlias 'Ethernet0' -AddressFamily IPv4 -Dhcp Disabled\r\n"
              "Get-NetIPAddress -InterfaceAlias 'Ethernet0' -AddressFamily IPv4 | Remove-NetIPAddress -Confirm:$false\r\n"
              "Get-NetRoute -InterfaceAlias 'Ethernet0' -DestinationPrefix '0.0.0.0/0' | Remove-NetRoute -Confirm:$false\r\n"
              f"New-NetIPAddress -InterfaceAlias 'Ethernet0' -IPAddress '{STATIC_IP}' -PrefixLength {PREFIX} -DefaultGateway '{GATEWAY}'\r\n"
              f"Set-DnsClientServerAddress -InterfaceAlias 'Ethernet0' -ServerAddresses {','.join(repr(d) for d in DNS)}\r\n")
    upload(lab, vm, r"C:\Windows\Temp\restore.ps1", script.encode())
    info = run(lab, vm, POWERSHELL, r"""-NoProfile -NonInteractive -Command "& 'C:\Windows\Temp\restore.ps1' *> 'C:\Windows\Temp\restore.log'" """)
    assert info.exitCode == 0 and info.name == "powershell.exe"
    log = download(lab, vm, r"C:\Windows\Temp\restore.log")
    assert log.startswith(b"\xff\xfe")  # Out-File's UTF-16LE, as Windows PowerShell 5.1 writes it
    assert log.decode("utf-16").startswith(f"Ethernet0 {mac.upper().replace(':', '-')}\r\n")

    [nic] = reported_network(lab, vm)["guest.net"]
    assert nic.network == network_name and nic.ipConfig.dhcp.ipv4.enable is False
    assert [(a.ipAddress, a.prefixLength, a.origin) for a in nic.ipConfig.ipAddress] == [(STATIC_IP, PREFIX, "manual")]
    assert [c[0] for c in image.commands_run()] == ["powershell.exe", "Get-NetAdapter", "Set-NetIPInterface", "Get-NetIPAddress",
                                                     "Remove-NetIPAddress", "Get-NetRoute", "Remove-NetRoute", "New-NetIPAddress",
                                                     "Set-DnsClientServerAddress"]


REFUSED_COMMANDS = {
    "unknown cmdlet": ("Get-NetIPConfig -InterfaceAlias 'Ethernet0'", "The term 'Get-NetIPConfig' is not recognized"),
    "unknown parameter": ("Set-NetIPInterface -InterfaceAlias 'Ethernet0' -Dhcpp Disabled",
                          "A parameter cannot be found that matches parameter name 'Dhcpp'."),
    "invalid value": ("Set-NetIPInterface -InterfaceAlias 'Ethernet0' -Dhcp Off", "Cannot process argument transformation on parameter 'Dhcp'"),
    "unknown alias": ("Set-NetIPInterface -InterfaceAlias 'Ethernet 2' -Dhcp Disabled", "'InterfaceAlias' equal to 'Ethernet 2'"),
    "a prompt": ("Get-NetIPAddress -InterfaceAlias 'Ethernet0' -AddressFamily IPv4 | Remove-NetIPAddress", "NonInteractive mode"),
    "DHCP still on": ("New-NetIPAddress -InterfaceAlias 'Ethernet0' -IPAddress '10.0.0.77' -PrefixLength 24",
                      "Inconsistent parameters PolicyStore PersistentStore and Dhcp Enabled"),
    "unsupported syntax": ("Get-NetAdapter | Where-Object { $_.Status -eq 'Up' }", "Unexpected token"),
}


@pytest.mark.parametrize("case", REFUSED_COMMANDS)
def test_powershell_refuses_what_windows_powershell_would(tmp_path, case):
    image = install_guest(tmp_path / "guest", "windows-powershell")
    command, error = REFUSED_COMMANDS[case]
    result = subprocess.run([str(image.root / POWERSHELL_EXE), "-NonInteractive", "-Command", f"$ErrorActionPreference = 'Stop'; {command}"],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 1 and error in result.stderr
    assert image.guestinfo()["interfaces"][0]["dhcp"] is True  # the network is as it was
