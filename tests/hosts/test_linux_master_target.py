"""mt.linux_os, mt.linux_packages, mt.retention and mt.version against the lab master target: real commands over SSH,
reading an Ubuntu 16.04 or CentOS 6.6 scenario; mt.version also against the servers' versions the fake ARM reports."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import pytest

from failback.checks.model import Status
from failback.checks.sources.azure import AzureSource
from failback.checks.sources.master_targets import MasterTargetSource
from failback.lab.fake_arm.scenarios import PROCESS_SERVER_IP, LabAzure, start_lab
from failback.lab.master_target import CENTOS_PACKAGES, UBUNTU_PACKAGES, centos_master_target, ubuntu_master_target
from failback.lab.process import free_port

from .conftest import SECRETS, make_site, master_target_entry, only_result, run_check


@pytest.fixture
def check(master_target, ssh_keys, known_hosts):
    """Run one check on the lab master target as mt01 of a classic site."""

    def run(check_id: str, vms: list[dict] | None = None, **sections):
        site = make_site(master_targets=[master_target_entry(master_target.sshd, ssh_keys, known_hosts)], vms=vms or [], **sections)
        results, _ = run_check(site, check_id, {"ssh": MasterTargetSource(site, SECRETS).collect})
        return only_result(results, "mt:mt01")

    return run


# -- mt.linux_os ------------------------------------------------------------------------------------------------------
def test_ubuntu_16_04_on_a_supported_kernel_passes(master_target, check):
    ubuntu_master_target(master_target.scenario)
    result = check("mt.linux_os")
    assert result.status is Status.PASS, result.message
    assert result.message == "mt01 runs Ubuntu 16.04.7 LTS, kernel 4.4.0-81-generic; no LVM; automatic updates off"


def test_centos_6_6_without_os_release_passes_as_legacy(master_target, check):
    centos_master_target(master_target.scenario)
    result = check("mt.linux_os")
    assert result.status is Status.PASS, result.message
    assert "CentOS release 6.6 (Final) (legacy)" in result.message


def test_unsupported_kernel_lvm_and_automatic_updates_all_fail_at_once(master_target, check):
    scenario = master_target.scenario
    ubuntu_master_target(scenario, kernel="4.15.0-213-generic")
    scenario.dpkg_installed({**UBUNTU_PACKAGES, "unattended-upgrades": "1.1ubuntu1"})
    scenario.write_file("/etc/apt/apt.conf.d/20auto-upgrades", 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n')
    scenario.fstab("/dev/mapper/vg0-root / ext4 errors=remount-ro 0 1", "/dev/sdb1 /mnt/retention ext4 defaults 0 2")
    result = check("mt.linux_os")
    assert result.status is Status.FAIL
    assert "kernel 4.15.0-213-generic is not supported on Ubuntu 16.04.7 LTS" in result.message
    assert "LVM is in use: /dev/mapper/vg0-root on / (fstab)" in result.message
    assert 'APT::Periodic::Unattended-Upgrade is "1"' in result.message
    assert result.remediation["id"] == "rebuild-linux-master-target"
    assert "kernel 4.15.0-213-generic" in result.remediation["steps"][0]


def test_an_unsupported_release_fails(master_target, check):
    ubuntu_master_target(master_target.scenario)
    master_target.scenario.os_release(ID="ubuntu", ID_LIKE="debian", VERSION_ID="18.04", PRETTY_NAME="Ubuntu 18.04.6 LTS")
    result = check("mt.linux_os")
    assert result.status is Status.FAIL and "Ubuntu 18.04.6 LTS is not a supported master target OS" in result.message


# -- mt.linux_packages ------------------------------------------------------------------------------------------------
def test_ubuntu_with_every_package_passes(master_target, check):
    ubuntu_master_target(master_target.scenario)
    result = check("mt.linux_packages")
    assert result.status is Status.PASS, result.message
    assert result.evidence["found"]["lsscsi"] == "0.27-3"


def test_missing_and_removed_dpkg_packages_are_named_with_the_install_command(master_target, check):
    ubuntu_master_target(master_target.scenario)
    kept = {name: version for name, version in UBUNTU_PACKAGES.items() if name not in ("kpartx", "python-pyasn1")}
    master_target.scenario.dpkg_installed(kept, removed=("kpartx",))  # removed, config files left: not installed
    result = check("mt.linux_packages")
    assert result.status is Status.FAIL
    assert result.evidence["missing"] == ["python-pyasn1", "kpartx"]
    assert "On mt01 as root: apt-get install -y python-pyasn1 kpartx" in result.remediation["steps"]


def test_centos_needs_the_reiserfs_and_xfs_extras_of_the_vms_it_serves(master_target, check):
    centos_master_target(master_target.scenario)
    vms = [{"name": "app01", "root_filesystem": "ReiserFS"}, {"name": "db01", "root_filesystem": "xfs"}, {"name": "web01"}]
    result = check("mt.linux_packages", vms=vms)
    assert result.status is Status.FAIL
    assert result.evidence["package_manager"] == "rpm"
    assert result.evidence["missing"] == ["kmod-reiserfs", "reiserfs-utils"]
    assert result.evidence["needed_for"]["reiserfs-utils"] == "app01 (reiserfs)"
    assert result.evidence["install_command"] == "yum install -y kmod-reiserfs reiserfs-utils"


def test_centos_with_the_extras_installed_passes(master_target, check):
    centos_master_target(master_target.scenario, packages={**CENTOS_PACKAGES, "kmod-reiserfs": "0.0-1.el6", "reiserfs-utils": "3.6.21-1.el6"})
    result = check("mt.linux_packages", vms=[{"name": "app01", "root_filesystem": "reiserfs"}])
    assert result.status is Status.PASS, result.message


# -- mt.retention -----------------------------------------------------------------------------------------------------
def test_a_retention_volume_of_its_own_with_room_passes(master_target, check):
    ubuntu_master_target(master_target.scenario)
    result = check("mt.retention")
    assert result.status is Status.PASS, result.message
    assert result.evidence["free_gb"] == 1100.0 and result.evidence["fstab"] == "/dev/sdb1 ext4"
    assert result.evidence["min_free_gb"] == 1024, "by default the policy follows ASR's 1 TB retention disk"


def test_a_retention_volume_below_asr_guidance_fails_unless_the_site_asks_for_less(master_target, check):
    ubuntu_master_target(master_target.scenario, retention_free="200g")
    result = check("mt.retention")
    assert result.status is Status.FAIL and "has 200.0 GB free; the policy asks for 1024 GB" in result.message
    assert result.remediation["id"] == "prepare-retention-volume"
    assert check("mt.retention", policy={"retention_min_free_gb": 150}).status is Status.PASS


def test_a_small_retention_volume_fails(master_target, check):
    ubuntu_master_target(master_target.scenario, retention_free="20g")
    result = check("mt.retention", policy={"retention_min_free_gb": 100})
    assert result.status is Status.FAIL and "has 20.0 GB free; the policy asks for 100 GB" in result.message
    assert result.remediation["id"] == "prepare-retention-volume"
    assert "at least 100.0 GB free" in result.remediation["steps"][1]


def test_a_retention_folder_on_no_volume_of_its_own_and_not_in_fstab_fails(master_target, check):
    scenario = master_target.scenario
    ubuntu_master_target(scenario, retention_free=None)
    scenario.folder("/mnt/retention")
    scenario.fstab("/dev/sda1 / ext4 errors=remount-ro 0 1")
    result = check("mt.retention")
    assert result.status is Status.FAIL
    assert "/mnt/retention is not a volume of its own: it lives on /mnt" in result.message
    assert "/mnt/retention is not in /etc/fstab" in result.message


def test_a_fat_retention_volume_fails(master_target, check):
    # This kernel has no vfat driver: fstab says FAT, as an administrator's mistake would, and that is enough.
    ubuntu_master_target(master_target.scenario)
    master_target.scenario.fstab("/dev/sda1 / ext4 errors=remount-ro 0 1", "/dev/sdb1 /mnt/retention vfat defaults 0 2")
    result = check("mt.retention")
    assert result.status is Status.FAIL and "formatted vfat" in result.message


# -- mt.version -------------------------------------------------------------------------------------------------------
def test_an_agent_not_newer_than_the_servers_passes(master_target, check):
    ubuntu_master_target(master_target.scenario)
    result = check("mt.version", config_server={"host": "cs01.lab.test", "version": "9.55.0.0"}, process_server={"host": "ps01", "version": "9.54.0.0"})
    assert result.status is Status.PASS, result.message
    assert result.evidence["version"] == "9.54.0.0"


def test_an_agent_newer_than_the_configuration_server_fails(master_target, check):
    ubuntu_master_target(master_target.scenario)
    result = check("mt.version", config_server={"host": "cs01.lab.test", "version": "9.48.0.0"})
    assert result.status is Status.FAIL
    assert "newer than the configuration server's 9.48.0.0" in result.message
    assert result.remediation["id"] == "align-master-target-version"


def test_without_versions_to_compare_the_version_found_is_a_warning(master_target, check):
    ubuntu_master_target(master_target.scenario)
    result = check("mt.version")
    assert result.status is Status.WARN
    assert "runs agent 9.54.0.0; comparing it" in result.message and "needs the ASR facts" in result.message


def test_no_agent_version_file_fails(master_target, check):
    ubuntu_master_target(master_target.scenario)
    master_target.scenario.remove_file("/usr/local/.vx_version")
    result = check("mt.version", config_server={"host": "cs01.lab.test", "version": "9.55.0.0"})
    assert result.status is Status.FAIL and "has no /usr/local/.vx_version" in result.message


@pytest.fixture
def asr() -> Iterator[LabAzure]:
    """A healthy classic site on the fake ARM: configuration and process servers on agent 9.54.6652.1."""
    lab = start_lab("classic")
    yield lab
    lab.arm.stop()


@pytest.fixture
def check_with_asr(master_target, ssh_keys, known_hosts, asr):
    """Run one check on the lab master target with the SSH and the Azure facts, the site file stating an older configuration server."""

    def run(check_id: str, **entry_overrides):
        site = make_site(master_targets=[master_target_entry(master_target.sshd, ssh_keys, known_hosts, **entry_overrides)],
                         azure=tomllib.loads(asr.azure_section())["azure"],
                         config_server={"host": "cs01.lab.test", "version": "9.10.0.0"}, process_server={"host": PROCESS_SERVER_IP})
        collectors = {"ssh": MasterTargetSource(site, SECRETS).collect, "azure": AzureSource(site, asr.secret).collect}
        results, _ = run_check(site, check_id, collectors)
        return only_result(results, "mt:mt01")

    return run


def test_the_versions_asr_reports_replace_the_site_files(master_target, check_with_asr):
    ubuntu_master_target(master_target.scenario)
    result = check_with_asr("mt.version")
    assert result.status is Status.PASS, result.message
    assert result.evidence["compared_with"] == ["configuration server 9.54.6652.1", "process server 9.54.6652.1"]
    assert result.evidence["version_file"] == "/usr/local/.vx_version"


def test_an_agent_newer_than_the_process_server_asr_reports_fails(master_target, check_with_asr, asr):
    ubuntu_master_target(master_target.scenario)
    next(server for server in asr.fabric.process_servers if server.ip_address == PROCESS_SERVER_IP).agent_version = "9.50.5000.1"
    result = check_with_asr("mt.version")
    assert result.status is Status.FAIL
    assert "runs agent 9.54.0.0, newer than the process server's 9.50.5000.1" in result.message


def test_a_master_target_ssh_cannot_reach_is_judged_on_its_registered_version(check_with_asr):
    result = check_with_asr("mt.version", ssh_port=free_port())  # nothing listens there: refused
    assert result.status is Status.PASS, result.message
    assert result.evidence["version_source"] == "asr" and result.evidence["ssh_failure"] == "refused"
    assert "(as registered with the configuration server); not read over SSH:" in result.message


def test_windows_master_targets_are_skipped(master_target, ssh_keys, known_hosts):
    site = make_site(master_targets=[{"name": "mtwin", "host": "127.0.0.1", "os": "windows"}])
    results, facts = run_check(site, "mt.linux_os", {"ssh": MasterTargetSource(site, SECRETS).collect})
    assert only_result(results, "mt:mtwin").status is Status.SKIP
    assert facts.sources["ssh"] == {"master_targets": {}}
