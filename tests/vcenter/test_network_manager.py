"""guest.network_manager after failback, on the lab: the tool looks inside each VM through VMware Tools guest operations
(the simulator runs the probe in a simulated distribution) and tells a VM that lost NetworkManager it needs from one
that never used it; where it cannot look (VM off, no Tools, no guest account), it says why."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from failback.checks.model import Result, Status
from failback.checks.sitefile import load_site
from failback.lab.guest import GuestImage, install_guest, set_network_manager
from failback.lab.site import APP, DB, PASSWORD_ENV, LabSite
from failback.runner.access import SiteAccess
from failback.runner.engine import Selection, evaluate
from tests.labsite import by_target

GUEST_USER, GUEST_PASSWORD, GUEST_PASSWORD_ENV = "root", "guest-Secret-1", "FAILBACK_LAB_GUEST_PASSWORD"


def judge(lab: LabSite, monkeypatch, guest_password: str | None = GUEST_PASSWORD) -> dict[str, Result]:
    """guest.network_manager as `failback check --only` gathers and judges it (the guest source comes along)."""
    monkeypatch.setenv(PASSWORD_ENV, lab.sim.password)
    if guest_password is None:
        monkeypatch.delenv(GUEST_PASSWORD_ENV, raising=False)
    else:
        monkeypatch.setenv(GUEST_PASSWORD_ENV, guest_password)
    selection = Selection(only=frozenset({"guest.network_manager"}))
    facts = SiteAccess(load_site(lab.site_path), lab.site_path).collect(selection)
    return by_target(evaluate(facts, selection).results)


def failed_back(lab: LabSite, tmp_path: Path, distro: str, vm: str = APP, guest_account: bool = True) -> GuestImage:
    """The VM runs on-prem again: powered on, Tools running, its guest a simulated distribution."""
    image = install_guest(tmp_path / vm, distro)
    lab.admin.power_on(vm)
    lab.admin.set_vm_guest(vm, tools_running_status="guestToolsRunning")
    lab.admin.set_guest_operations(vm, image.root, GUEST_USER, GUEST_PASSWORD)
    if guest_account:
        lab.write_site(**{vm: {"guest_user": GUEST_USER, "guest_password_env": GUEST_PASSWORD_ENV}})
    return image


@pytest.mark.parametrize("distro, told", [
    ("rhel-nmcli", "NetworkManager is installed and enabled (running)"),
    ("ubuntu-netplan", "does not use NetworkManager (it is not installed): netplan with systemd-networkd (50-cloud-init.yaml)"),
    ("debian-interfaces", "does not use NetworkManager (it is not installed): ifupdown (/etc/network/interfaces: ens192 dhcp)"),
    ("rhel-ifcfg", "does not use NetworkManager (it is not installed): the network service with ifcfg-ens192"),
])
def test_a_guest_with_its_network_manager_or_without_need_of_it_passes(lab, tmp_path, monkeypatch, distro, told):
    image = failed_back(lab, tmp_path, distro)
    before = _digests(image.root)
    result = judge(lab, monkeypatch)[f"vm:{APP}"]
    assert result.status is Status.PASS, result.message
    assert told in result.message
    assert _digests(image.root) == before, "the probe changes nothing in the guest (its script and log are removed)"


@pytest.mark.parametrize("lab, state, told, step", [
    ("classic", "removed", "NetworkManager is not installed, yet its connection profiles ens192.nmconnection need it", "dnf install NetworkManager"),
    ("modernized", "disabled", "NetworkManager is installed but disabled, yet its connection profiles", "systemctl enable --now NetworkManager"),
], indirect=["lab"])
def test_a_guest_whose_profiles_need_a_network_manager_it_lost_or_does_not_start_fails(lab, tmp_path, monkeypatch, state, told, step):
    """Removed is how failover to Azure leaves it; disabled, a half-done reinstall."""
    image = failed_back(lab, tmp_path, "rhel-nmcli")
    set_network_manager(image, state)
    result = judge(lab, monkeypatch)[f"vm:{APP}"]
    assert result.status is Status.FAIL, result.message
    assert told in result.message
    assert result.remediation["id"] == "reinstall-network-manager"
    assert step in " ".join(result.remediation["steps"])


def test_where_it_cannot_look_inside_it_warns_and_says_why(lab, tmp_path, monkeypatch):
    failed_back(lab, tmp_path, "rhel-nmcli", vm=APP, guest_account=False)
    lab.admin.power_on(DB)
    lab.admin.set_vm_guest(DB, tools_running_status="guestToolsNotRunning")
    results = judge(lab, monkeypatch)
    no_account = results[f"vm:{APP}"]
    assert no_account.status is Status.WARN and "the site file names no guest account for it" in no_account.message
    assert no_account.remediation["id"] == "guest-operations-access"
    assert "VMware Tools do not run in it (guestToolsNotRunning)" in results[f"vm:{DB}"].message
    assert results[f"vm:{DB}"].status is Status.WARN

    lab.write_site(**{APP: {"guest_user": GUEST_USER, "guest_password_env": GUEST_PASSWORD_ENV}})
    unset = judge(lab, monkeypatch, guest_password=None)[f"vm:{APP}"]
    assert unset.status is Status.WARN and f"environment variable {GUEST_PASSWORD_ENV}" in unset.message


def test_before_failback_the_vms_are_off_and_it_warns(lab, monkeypatch):
    results = judge(lab, monkeypatch)
    assert {target: r.status for target, r in results.items()} == {f"vm:{APP}": Status.WARN, f"vm:{DB}": Status.WARN}
    assert "runs Linux: could not look inside (the VM is poweredOff)" in results[f"vm:{APP}"].message


def test_a_refused_guest_login_is_an_error_and_never_shows_the_password(lab, tmp_path, monkeypatch):
    failed_back(lab, tmp_path, "rhel-nmcli")
    result = judge(lab, monkeypatch, guest_password="wrong-Guest-Secret-9")[f"vm:{APP}"]
    assert result.status is Status.ERROR and "refused the login of root" in result.message
    assert "wrong-Guest-Secret-9" not in str(result.evidence) + result.message


def test_a_windows_guest_has_nothing_to_reinstall(lab, monkeypatch):
    lab.admin.set_guest_id(APP, "windows9Server64Guest")
    lab.admin.set_vm_guest(APP, guest_family="windowsGuest")
    result = judge(lab, monkeypatch)[f"vm:{APP}"]
    assert result.status is Status.PASS and "runs Windows" in result.message


def _digests(root: Path) -> dict[str, str]:
    """Every file of the guest but the simulator's command log (the probe's reads are logged there) and its bytecode."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and "var/log/failback-sim" not in str(p) and "__pycache__" not in p.parts}
