"""Checks registered by their vCenter or SSH half, completed by ASR's view: mt.os_match, guest.ip_mode and
guest.network_manager on the lab vCenter and the fake ARM together, mt.version of a Windows master target from its registration with the configuration server.

Facts are gathered as `failback check --only` does (SiteAccess): the optional Azure source must come along by itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import SECRET_ENV, LabAzure
from failback.lab.site import APP, MASTER_TARGET, LabSite
from tests.labsite import by_target, run_checks

from .conftest import gather_and_judge, one_site_file


@pytest.fixture
def both(lab: LabSite, start, monkeypatch) -> tuple[LabSite, LabAzure]:
    """The lab vCenter and a classic fake ARM replicating its VMs, described by one site file."""
    azure = start("classic", vm_names=(APP, "db01"))
    one_site_file(lab, azure, monkeypatch)
    return lab, azure


def hide_os_from_vcenter(lab: LabSite, vm: str) -> None:
    """No Tools report and the generic "Other (64-bit)" guest id: vCenter cannot tell the OS."""
    lab.admin.set_guest_id(vm, "otherGuest64")
    lab.admin.set_vm_guest(vm, guest_family="")


# -- mt.os_match ------------------------------------------------------------------------------------------------------
def test_mt_os_match_takes_the_families_vcenter_cannot_tell_from_asr(both):
    lab, _ = both
    hide_os_from_vcenter(lab, MASTER_TARGET)
    hide_os_from_vcenter(lab, APP)
    assert run_checks(lab, "mt.os_match")[0].status is Status.ERROR, "without ASR, the master target's OS is unknown"

    result = gather_and_judge(lab.site_path, "mt.os_match")[f"mt:{MASTER_TARGET}"]
    assert result.status is Status.PASS, result.message
    assert result.evidence["told_by"] == {MASTER_TARGET: "asr", APP: "asr", "db01": "vcenter"}


def test_mt_os_match_fails_when_asr_replicates_a_windows_vm_to_a_linux_master_target(both):
    lab, azure = both
    hide_os_from_vcenter(lab, APP)
    azure.item(APP).os_type = "Windows"
    result = gather_and_judge(lab.site_path, "mt.os_match")[f"mt:{MASTER_TARGET}"]
    assert result.status is Status.FAIL
    assert f"{APP} (windows)" in result.message and result.remediation["id"] == "match-master-target-os"


def test_mt_os_match_fails_when_the_master_target_registered_as_windows(both):
    lab, azure = both
    hide_os_from_vcenter(lab, MASTER_TARGET)
    azure.master_target().os_type = "Windows"
    result = gather_and_judge(lab.site_path, "mt.os_match")[f"mt:{MASTER_TARGET}"]
    assert result.status is Status.FAIL
    assert f"{MASTER_TARGET} runs windows but serves {APP} (linux), db01 (linux)" in result.message


def test_a_failed_azure_source_leaves_the_vcenter_verdict(both, monkeypatch):
    lab, _ = both
    monkeypatch.setenv(SECRET_ENV, "not-the-secret")
    result = gather_and_judge(lab.site_path, "mt.os_match", azure_gathered=False)[f"mt:{MASTER_TARGET}"]
    assert result.status is Status.PASS, "an optional source that failed is no reason for 'not verified'"
    assert set(result.evidence["told_by"].values()) == {"vcenter"}


# -- guest.ip_mode ----------------------------------------------------------------------------------------------------
def test_guest_ip_mode_warns_with_the_static_address_asr_discovered(both):
    lab, azure = both
    lab.admin.set_vm_guest(APP, net=[])  # off during failback: vCenter has no guest network information
    address = azure.item(APP).source_ip_address
    results = gather_and_judge(lab.site_path, "guest.ip_mode")

    app = results[f"vm:{APP}"]
    assert app.status is Status.WARN and app.evidence["told_by"] == "asr"
    assert f"had static {address} on-prem, as ASR discovered it" in app.message and "comes back on DHCP" in app.message
    assert app.remediation["id"] == "plan-static-ip-restore" and address in app.remediation["steps"][0]
    assert app.evidence["azure_nics"] == [{"nic": f"{APP}-nic", "private_ip": "10.1.0.10", "allocation": "Dynamic"}]
    # vCenter still tells db01's DHCP lease; the Azure allocation is evidence there too.
    db = results["vm:db01"]
    assert db.status is Status.PASS and db.evidence["told_by"] == "vcenter" and db.evidence["azure_nics"][0]["nic"] == "db01-nic"


def test_guest_ip_mode_passes_when_asr_discovered_dhcp(both):
    lab, azure = both
    lab.admin.set_vm_guest(APP, net=[])
    assert by_target(run_checks(lab, "guest.ip_mode"))[f"vm:{APP}"].status is Status.WARN, "without ASR: record it by hand"

    azure.item(APP).source_ip_type = "Dynamic"
    result = gather_and_judge(lab.site_path, "guest.ip_mode")[f"vm:{APP}"]
    assert result.status is Status.PASS, result.message
    assert "used DHCP on-prem, as ASR discovered it" in result.message


# -- mt.version of a Windows master target: SSH does not read it, its registration tells the version ----------------------
@pytest.fixture
def windows_master_target_site(classic: LabAzure, tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(classic.site_text().replace('[[master_targets]]\n', '[[master_targets]]\nos = "windows"\n'))
    monkeypatch.setenv(SECRET_ENV, classic.secret)
    return path


def test_mt_version_of_a_windows_master_target_compares_its_registered_version(classic, windows_master_target_site):
    result = gather_and_judge(windows_master_target_site, "mt.version")["mt:mt01"]
    assert result.status is Status.PASS, result.message
    assert result.evidence["version_source"] == "asr" and "as registered with the configuration server" in result.message
    assert result.evidence["compared_with"] == ["configuration server 9.54.6652.1", "process server 9.54.6652.1"]


def test_mt_version_of_a_windows_master_target_newer_than_the_servers_fails(classic, windows_master_target_site):
    classic.master_target().agent_version = "9.60.7000.1"
    result = gather_and_judge(windows_master_target_site, "mt.version")["mt:mt01"]
    assert result.status is Status.FAIL
    assert "newer than the configuration server's 9.54.6652.1 and the process server's 9.54.6652.1" in result.message
    assert result.remediation["id"] == "align-master-target-version"


# -- guest.network_manager --------------------------------------------------------------------------------------------
def test_network_manager_takes_the_os_asr_replicates_where_it_cannot_look_inside(both):
    lab, azure = both
    hide_os_from_vcenter(lab, APP)
    hide_os_from_vcenter(lab, "db01")
    azure.item("db01").os_type = "Windows"
    results = gather_and_judge(lab.site_path, "guest.network_manager")
    linux = results[f"vm:{APP}"]
    assert linux.status is Status.WARN, linux.message
    assert f"{APP} runs Linux ({azure.item(APP).distro}): could not look inside (the VM is poweredOff)" in linux.message
    assert linux.remediation["id"] == "guest-operations-access"
    assert results["vm:db01"].status is Status.PASS and "runs Windows" in results["vm:db01"].message
