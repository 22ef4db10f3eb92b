"""guest.ip_mode's fix on the lab: a VM back on DHCP after failback gets its recorded static IP again, through
VMware Tools guest operations, on each simulated Linux distribution and on Windows; errors say what to do by hand."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from failback.lab.guest import DISTROS, WINDOWS_IMAGES, install_guest
from failback.lab.site import APP, PASSWORD_ENV

GUEST_USER, GUEST_PASSWORD, GUEST_PASSWORD_ENV = "root", "guest-Secret-1", "FAILBACK_LAB_GUEST_PASSWORD"
MAC = "00:50:56:00:00:01"
RECORDED = {"mac": MAC, "network": "VM Network", "dhcp": False, "ips": [{"ip": "10.0.0.21", "prefix": 24, "origin": "manual"}]}
ON_DHCP = {"mac": MAC, "network": "VM Network", "dhcp": True, "ips": [{"ip": "10.0.0.50", "prefix": 24, "origin": "dhcp"}]}


class GuestKind(NamedTuple):
    """What differs between images: the NIC's name in the guest, the family Tools reports, where the scripts go."""

    interface: str
    guest_family: str
    temp_dir: str  # under the guest root


LINUX = GuestKind("ens192", "linuxGuest", "tmp")
# A localized adapter name (French Windows): spaces and a non-ASCII letter must survive the script's encoding.
WINDOWS = GuestKind("Connexion au réseau local", "windowsGuest", "C/Windows/Temp")
KINDS = {**{distro: LINUX for distro in DISTROS}, **{image: WINDOWS for image in WINDOWS_IMAGES}}


def failback(lab, *args: str, guest_password: str = GUEST_PASSWORD) -> subprocess.CompletedProcess:
    env = {**lab.env(), GUEST_PASSWORD_ENV: guest_password}
    return subprocess.run([sys.executable, "-m", "failback.cli", *args], capture_output=True, text=True, env=env, timeout=300)


def _record_before_failback(lab, tmp_path: Path, kind: GuestKind = LINUX) -> Path:
    """The VM runs on-prem with its static IP; the operator keeps guest.ip_mode's JSON report."""
    lab.admin.power_on(APP)
    lab.admin.set_vm_guest(APP, tools_running_status="guestToolsRunning", guest_family=kind.guest_family, net=[RECORDED],
                           gateway="10.0.0.1", dns=["10.0.0.2", "10.0.0.3"])
    lab.write_site(**{APP: {"guest_user": GUEST_USER, "guest_password_env": GUEST_PASSWORD_ENV}})
    done = failback(lab, "check", "--site", str(lab.site_path), "--only", "guest.ip_mode", "--format", "json",
                    "--output", str(tmp_path / "before.json"))
    assert done.returncode == 0, done.stderr
    return tmp_path / "before.json"


def _back_on_dhcp(lab, tmp_path: Path, distro: str, **image_options):
    """After failback: the guest took a DHCP lease, and vCenter's guest info says so."""
    image = install_guest(tmp_path / distro, distro, interface=KINDS[distro].interface, mac=MAC, dhcp_address="10.0.0.50/24",
                          **image_options)
    lab.admin.set_vm_guest(APP, tools_running_status="guestToolsRunning", net=[ON_DHCP], gateway="10.0.0.1", dns=["10.0.0.2"])
    lab.admin.set_guest_operations(APP, image.root, GUEST_USER, GUEST_PASSWORD)
    return image


def _fix(lab, record: Path, *options: str, guest_password: str = GUEST_PASSWORD) -> subprocess.CompletedProcess:
    return failback(lab, "fix", "--site", str(lab.site_path), "--check", "guest.ip_mode", "--target", f"vm:{APP}", "--record", str(record),
                    "--audit-log", str(lab.directory / "audit.jsonl"), *options, guest_password=guest_password)


def _configuration(root: Path) -> dict[str, str]:
    """The digest of every file that configures the guest's network (and what it reports)."""
    watched = [p for top in ("etc", "run/failback-sim") for p in sorted((root / top).rglob("*")) if p.is_file()]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in watched}


def _vcenter_addresses(lab) -> list[tuple[str, int, str]]:
    vm = lab.admin.find(__import__("pyVmomi").vim.VirtualMachine, APP)
    return [(a.ipAddress, a.prefixLength, a.origin) for nic in vm.guest.net or [] for a in nic.ipConfig.ipAddress]


@pytest.mark.parametrize("distro", DISTROS + WINDOWS_IMAGES)
def test_dry_run_shows_the_plan_and_changes_nothing_then_the_fix_restores_the_static_ip(lab, tmp_path, distro):
    kind = KINDS[distro]
    record = _record_before_failback(lab, tmp_path, kind)
    image = _back_on_dhcp(lab, tmp_path, distro)
    before = _configuration(image.root)

    dry = _fix(lab, record, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "vCenter: 10.0.0.50/24 (dhcp) on MAC 00:50:56:00:00:01" in dry.stdout
    assert f"target: {kind.interface} (" in dry.stdout and "10.0.0.21/24 gateway 10.0.0.1 DNS 10.0.0.2, 10.0.0.3" in dry.stdout
    assert "dry run: nothing was changed" in dry.stderr
    assert _configuration(image.root) == before
    assert _vcenter_addresses(lab) == [("10.0.0.50", 24, "dhcp")]
    assert not list((image.root / kind.temp_dir).glob("failback-*")), "the probe cleans up after itself"

    done = _fix(lab, record, "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"pass guest.ip_mode vm:{APP}: {APP} has its recorded static 10.0.0.21/24 back" in done.stdout
    assert ("10.0.0.21", 24, "manual") in _vcenter_addresses(lab)
    assert (image.root / kind.temp_dir / f"failback-ip-{APP}.log").exists(), "the configuration script's log stays for the operator"
    info = image.guestinfo()
    assert info["gateway"] == "10.0.0.1" and info["dns"] == ["10.0.0.2", "10.0.0.3"]
    assert [a["ip"] for a in info["interfaces"][0]["addresses"] if ":" not in a["ip"]] == ["10.0.0.21"]
    assert GUEST_PASSWORD not in dry.stdout + dry.stderr + done.stdout + done.stderr
    assert GUEST_PASSWORD not in (lab.directory / "audit.jsonl").read_text()

    after = failback(lab, "fix", "--site", str(lab.site_path), "--check", "guest.ip_mode", "--target", f"vm:{APP}", "--record", str(record), "--yes")
    assert after.returncode == 0 and "nothing to fix" in after.stderr


def test_a_windows_guest_refusing_the_change_is_a_clear_error_and_leaves_it_on_dhcp(lab, tmp_path):
    """The guest account is not an elevated Administrator: the probe may read, but the first change is refused."""
    record = _record_before_failback(lab, tmp_path, WINDOWS)
    image = _back_on_dhcp(lab, tmp_path, "windows-powershell", administrator=False)
    before = _configuration(image.root)
    done = _fix(lab, record, "--yes")
    assert done.returncode == 1
    assert "the configuration script failed in the guest (exit 1)" in done.stdout
    assert "Set-NetIPInterface: Access is denied." in done.stdout  # the guest's own error, not just an exit code
    assert "From the VM console set 10.0.0.21/24, gateway 10.0.0.1, DNS 10.0.0.2, 10.0.0.3." in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert _configuration(image.root) == before
    assert _vcenter_addresses(lab) == [("10.0.0.50", 24, "dhcp")]


def test_a_windows_change_failing_half_way_puts_the_vm_back_on_dhcp(lab, tmp_path):
    """A default gateway left in Windows' persistent store: New-NetIPAddress fails after DHCP is off and the lease is
    gone. Each cmdlet took effect at once; without the way back, the VM would be left with no address at all."""
    record = _record_before_failback(lab, tmp_path, WINDOWS)
    _back_on_dhcp(lab, tmp_path, "windows-powershell", stale_gateway="10.0.0.254")
    done = _fix(lab, record, "--yes")
    assert done.returncode == 1
    assert "New-NetIPAddress: Instance DefaultGateway already exists" in done.stdout
    assert "it then tried to put the adapter back on DHCP" in done.stdout
    assert "From the VM console set 10.0.0.21/24, gateway 10.0.0.1, DNS 10.0.0.2, 10.0.0.3." in done.stdout
    assert _vcenter_addresses(lab) == [("10.0.0.50", 24, "dhcp")], "back on its DHCP lease, reachable as before the fix"


def test_tools_not_running_is_a_clear_error_with_the_manual_steps(lab, tmp_path):
    record = _record_before_failback(lab, tmp_path)
    image = _back_on_dhcp(lab, tmp_path, "ubuntu-netplan")
    lab.admin.set_vm_guest(APP, tools_running_status="guestToolsNotRunning")
    before = _configuration(image.root)
    done = _fix(lab, record, "--yes")
    assert done.returncode == 1
    assert "VMware Tools do not run in the guest" in done.stdout
    assert "From the VM console set 10.0.0.21/24, gateway 10.0.0.1, DNS 10.0.0.2, 10.0.0.3." in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert _configuration(image.root) == before


def test_a_wrong_guest_password_is_a_clear_error_and_never_shown(lab, tmp_path):
    record = _record_before_failback(lab, tmp_path)
    image = _back_on_dhcp(lab, tmp_path, "rhel-nmcli")
    before = _configuration(image.root)
    wrong = "not-the-Guest-pw-77"
    done = _fix(lab, record, "--dry-run", guest_password=wrong)
    assert "the guest refused the login of root: wrong user or password" in done.stdout
    assert "From the VM console set 10.0.0.21/24" in done.stdout
    assert wrong not in done.stdout + done.stderr and "Traceback" not in done.stderr
    assert _configuration(image.root) == before


def test_without_a_guest_account_the_fix_is_refused_with_the_manual_steps(lab, tmp_path):
    record = _record_before_failback(lab, tmp_path)
    _back_on_dhcp(lab, tmp_path, "debian-interfaces")
    lab.write_site()
    done = _fix(lab, record, "--yes")
    assert done.returncode == 1
    assert "names no guest account for app01" in done.stdout and "From the VM console set 10.0.0.21/24" in done.stdout


def test_before_failback_the_fix_has_nothing_to_restore(lab, tmp_path):
    record = _record_before_failback(lab, tmp_path)
    done = failback(lab, "fix", "--site", str(lab.site_path), "--check", "guest.ip_mode", "--target", f"vm:{APP}", "--dry-run")
    assert done.returncode == 0
    assert "vCenter still shows app01's static 10.0.0.21/24: nothing to restore before failback" in done.stdout
    assert json.loads(record.read_text())["results"][0]["evidence"]["static"][0]["mac"] == MAC


class _Operator:
    """Confirms every question; records what it was shown."""

    def __init__(self):
        self.events, self.questions = [], []

    def event(self, event):
        self.events.append(event)

    def confirm(self, step, question):
        self.questions.append(question)
        return True

    def decide(self, step, failure, choices):
        self.events.append(failure)
        return "stop"


def test_the_runs_static_ip_step_is_done_through_vmware_tools(lab, tmp_path, monkeypatch):
    from failback.checks.model import Experience
    from failback.runner.access import SiteAccess
    from failback.runner.events import EventKind
    from failback.runner.failback_run import plan_for
    from failback.runner.journal import Journal
    from failback.runner.orchestrator import FailbackRun
    from failback.runner.plan import FailbackPlan
    from failback.runner.static_ip_step import StaticIpAutomation

    _record_before_failback(lab, tmp_path)
    monkeypatch.setenv(GUEST_PASSWORD_ENV, GUEST_PASSWORD)
    monkeypatch.setenv(PASSWORD_ENV, lab.sim.password)
    site = lab.site()
    step = plan_for(SiteAccess(site, lab.site_path)).step(f"manual:static-ip:{APP}")  # recorded before failback
    image = _back_on_dhcp(lab, tmp_path, "rhel-ifcfg")

    operator = _Operator()
    plan = FailbackPlan(site.display_name, Experience.CLASSIC, "latest", [step])
    outcome = FailbackRun(plan, None, Journal(tmp_path / "journal.jsonl"), None, operator,
                          automation=StaticIpAutomation(site, lambda: lab.sim.password)).run()
    assert outcome.completed, outcome.reason
    shown = next(e for e in operator.events if getattr(e, "kind", None) == EventKind.WAITING)
    assert "target: ens192 (ifcfg): 10.0.0.21/24" in shown.message and "ifup ens192" in shown.message
    assert ("10.0.0.21", 24, "manual") in _vcenter_addresses(lab)
    assert image.commands_run()[-2:] == [["ifdown", "ens192"], ["ifup", "ens192"]]


def test_the_runs_static_ip_step_stays_manual_without_a_guest_account(lab, tmp_path, monkeypatch):
    from failback.runner.access import SiteAccess
    from failback.runner.failback_run import plan_for
    from failback.runner.static_ip_step import StaticIpAutomation

    _record_before_failback(lab, tmp_path)
    lab.write_site()
    monkeypatch.setenv(PASSWORD_ENV, lab.sim.password)
    site = lab.site()
    step = plan_for(SiteAccess(site, lab.site_path)).step(f"manual:static-ip:{APP}")
    assert step.ip_record["static"][0]["mac"] == MAC
    assert not StaticIpAutomation(site, lambda: lab.sim.password).handles(step)


def test_a_guest_program_that_hangs_is_stopped_at_the_deadline(lab, tmp_path):
    record = _record_before_failback(lab, tmp_path)
    lab.extra_site_toml = "[guest_operations]\nprogram_timeout_seconds = 1\n"
    lab.write_site(**{APP: {"guest_user": GUEST_USER, "guest_password_env": GUEST_PASSWORD_ENV}})
    image = _back_on_dhcp(lab, tmp_path, "ubuntu-netplan")
    hanging = image.root / "usr/sbin/ip"
    hanging.write_text("#!/bin/sh\nsleep 60\n")
    done = _fix(lab, record, "--dry-run")
    assert "still ran after 1 s and was stopped" in done.stdout and "From the VM console set 10.0.0.21/24" in done.stdout
