"""Every vCenter check, a pass case and a fail case against VMware's simulator, with the remediation in the fail case."""

from __future__ import annotations

import pytest

from failback.checks import registry
from failback.checks.model import Experience, Status
from failback.checks.vcenter.inventory import GIB
from failback.lab.site import APP, APPLIANCE, DB, DISCOVERY_USER, MASTER_TARGET
from tests.labsite import SHAPES, VCENTER_CHECKS, by_target, run_checks



@pytest.mark.parametrize("check_id", VCENTER_CHECKS)
def test_healthy_site_passes(healthy_lab_of_each_shape, check_id):
    """Both shapes: every check that applies to the site's experience passes; the others say they do not apply."""
    healthy_lab = healthy_lab_of_each_shape
    results = run_checks(healthy_lab, check_id)
    assert results, f"{check_id} produced no result"
    applies = registry.get(check_id).meta.applies_to(Experience(healthy_lab.experience))
    expected = Status.PASS if applies else Status.SKIP
    assert [(r.target, r.status) for r in results if r.status is not expected] == []
    assert all(r.remediation is None for r in results)


def assert_failed(result, status=Status.FAIL, remediation=None, mentions=()):
    assert result.status is status, result.message
    assert result.remediation is not None and result.remediation["steps"], "a problem must say what to do"
    if remediation:
        assert result.remediation["id"] == remediation
    for text in mentions:
        assert text in result.message + " ".join(result.remediation["steps"]), text


def data_mover(lab) -> str:
    """The VM that writes the failback disks in the lab's shape."""
    return MASTER_TARGET if lab.experience == "classic" else APPLIANCE


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_vm_snapshots_fail_names_the_snapshot(lab):
    lab.admin.create_snapshot(APP, "before-patch")
    results = by_target(run_checks(lab, "vm.snapshots"))
    assert_failed(results[f"vm:{APP}"], remediation="remove-snapshots", mentions=("before-patch", f"Get-VM '{APP}'"))
    assert results[f"vm:{DB}"].status is Status.PASS


def test_mt_snapshots_fail(lab):
    lab.admin.create_snapshot(MASTER_TARGET, "mt-snap")
    assert_failed(by_target(run_checks(lab, "mt.snapshots"))[f"mt:{MASTER_TARGET}"], mentions=("mt-snap",))


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_vm_disk_enableuuid_fail_when_not_set(lab):
    lab.vms = [APP, APPLIANCE]  # the appliance VM never had disk.EnableUUID set
    lab.write_site()
    results = by_target(run_checks(lab, "vm.disk_enableuuid"))
    assert_failed(results[f"vm:{APPLIANCE}"], remediation="set-disk-enableuuid", mentions=("not set", "disk.EnableUUID"))
    assert results[f"vm:{APP}"].status is Status.PASS


def test_mt_disk_enableuuid_fail(lab):
    lab.master_target = APPLIANCE
    lab.write_site()
    assert_failed(by_target(run_checks(lab, "mt.disk_enableuuid"))[f"mt:{APPLIANCE}"], remediation="set-disk-enableuuid")


def test_missing_vm_fails_with_find_remediation(lab):
    lab.vms = [APP, "ghost01"]
    lab.write_site()
    result = by_target(run_checks(lab, "vm.snapshots"))["vm:ghost01"]
    assert_failed(result, remediation="find-vm", mentions=("no VM named ghost01",))


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_vm_name_clash_fails_when_two_vms_share_the_name(lab):
    lab.admin.move_to_folder(APPLIANCE, "restored")  # vCenter keeps names unique per folder, not per datacenter
    lab.admin.rename_vm(APPLIANCE, APP)
    result = by_target(run_checks(lab, "vm.name_clash"))[f"vm:{APP}"]
    assert_failed(result, remediation="resolve-name-clash", mentions=("2 VMs named app01",))


@pytest.mark.parametrize("kind, named", [("pvscsi", "VMware Paravirtual"), ("buslogic", "BusLogic Parallel"), ("nvme", "NVMe"), ("ahci", "SATA (AHCI)")])
def test_mt_scsi_controller_fails_on_anything_but_lsi_logic(lab, kind, named):
    lab.admin.add_controller(MASTER_TARGET, kind)
    result = by_target(run_checks(lab, "mt.scsi_controller"))[f"mt:{MASTER_TARGET}"]
    assert_failed(result, remediation="master-target-lsi-logic", mentions=(f"a {named} controller", "LSI Logic SAS"))


def test_mt_scsi_controller_passes_lsi_logic_sas_beside_parallel(lab):
    lab.admin.add_controller(MASTER_TARGET, "lsilogic-sas")
    result = by_target(run_checks(lab, "mt.scsi_controller"))[f"mt:{MASTER_TARGET}"]
    assert result.status is Status.PASS, result.message
    assert "LSI Logic Parallel, LSI Logic SAS" in result.message


@pytest.mark.parametrize("identity", ["bios", "instance"])
def test_mt_template_clone_fails_when_the_master_target_shares_a_uuid_with_a_protected_vm(lab, identity):
    bios, instance = lab.admin.uuids(DB)
    lab.admin.set_uuids(MASTER_TARGET, **({"bios_uuid": bios.upper()} if identity == "bios" else {"instance_uuid": instance}))
    result = by_target(run_checks(lab, "mt.template_clone"))[f"mt:{MASTER_TARGET}"]
    shown = f"{DB} (BIOS UUID {bios})" if identity == "bios" else f"{DB} (instance UUID {instance})"
    assert_failed(result, remediation="master-target-own-identity", mentions=(shown, "cloned from one template", "Deploy a new master target"))


def test_mt_vmware_tools_fails_when_not_running(lab):
    lab.admin.set_vm_guest(MASTER_TARGET, tools_running_status="guestToolsNotRunning")
    result = by_target(run_checks(lab, "mt.vmware_tools"))[f"mt:{MASTER_TARGET}"]
    assert_failed(result, remediation="start-vmware-tools", mentions=("guestToolsNotRunning", "open-vm-tools"))


def test_mt_os_match_fails_for_a_windows_master_target_serving_linux(lab):
    lab.admin.set_guest_id(MASTER_TARGET, "windows9Server64Guest")
    lab.admin.set_vm_guest(MASTER_TARGET, guest_family="windowsGuest")
    result = by_target(run_checks(lab, "mt.os_match"))[f"mt:{MASTER_TARGET}"]
    assert_failed(result, remediation="match-master-target-os", mentions=("app01 (linux)", "db01 (linux)"))


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_esxi_license_fails_on_free_licence(lab):
    host = lab.admin.vm_host(APP)
    free = lab.admin.add_license("FFFFF-00000-00000-00000-00000", "esxBasic", "vSphere 7 Hypervisor")
    lab.admin.assign_license(host, free)
    results = by_target(run_checks(lab, "esxi.license"))
    assert_failed(results[f"host:{host}"], remediation="license-esxi", mentions=("free licence", "govc license.assign"))
    assert "FFFFF" not in str(results[f"host:{host}"].evidence), "licence keys never leave memory"


def test_vcenter_version_fails_on_unsupported_host(lab):
    host = lab.admin.vm_host(APP)
    lab.admin.set_host(host, version="5.1.0", build="799733")
    results = by_target(run_checks(lab, "vcenter.version"))
    assert_failed(results[f"host:{host}"], remediation="vcenter-upgrade", mentions=("5.1.0",))
    assert results[f"vcenter:{lab.sim.host}"].status is Status.PASS


@pytest.mark.parametrize("lab, version, supported", [("classic", "8.0.2", "5.5, 6.0, 6.5, 6.7, 7.0"), ("modernized", "6.0.0", "6.5, 6.7, 7.0, 8.0")],
                         indirect=["lab"])
def test_vcenter_version_fails_on_a_vcenter_the_experience_does_not_support(lab, version, supported):
    lab.admin.set_about(version=version, build="22385739")  # 8.0 is modernized-only; 6.0 classic-only
    result = by_target(run_checks(lab, "vcenter.version"))[f"vcenter:{lab.sim.host}"]
    assert_failed(result, mentions=(version, supported))


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_permissions_fail_for_a_read_only_discovery_account(lab):
    read_only = lab.admin.add_role("ReadOnlyDiscovery", [])
    lab.admin.set_permission("datacenter", DISCOVERY_USER, read_only, propagate=True)
    result = by_target(run_checks(lab, "vcenter.permissions"))[f"vcenter:{lab.sim.host}"]
    assert_failed(result, remediation="grant-discovery-privileges", mentions=("read-only", "Datastore.AllocateSpace", DISCOVERY_USER))
    assert "VirtualMachine.Config.AddNewDisk" in result.evidence["missing"], "VirtualMachine.Config.* expands from the server's list"


def test_permissions_fail_when_not_propagated(lab):
    role = [r.roleId for r in lab.admin.content.authorizationManager.roleList if r.name == "Azure_Site_Recovery"][0]
    lab.admin.set_permission("datacenter", DISCOVERY_USER, role, propagate=False)
    result = by_target(run_checks(lab, "vcenter.permissions"))[f"vcenter:{lab.sim.host}"]
    assert_failed(result, mentions=("do not propagate",))
    assert result.evidence["not_propagated"]


def test_permissions_match_the_domain_backslash_spelling(lab):
    lab.extra_site_toml = ""
    text = lab.site_path.read_text().replace(f'discovery_user = "{DISCOVERY_USER}"', 'discovery_user = "VSPHERE.LOCAL\\\\ASR-Discovery"')
    lab.site_path.write_text(text)
    assert run_checks(lab, "vcenter.permissions")[0].status is Status.PASS


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_datastore_access_fails_when_read_only_on_the_host_of_the_master_target_or_appliance(lab):
    datastore = lab.admin.datastore_names()[0]
    writer_host = lab.admin.vm_host(data_mover(lab))
    mounts = [{"host": h, "access_mode": "readOnly" if h == writer_host else "readWrite", "mounted": True, "accessible": True} for h in lab.admin.host_names()]
    lab.admin.set_datastore(datastore, host_mounts=mounts)
    result = by_target(run_checks(lab, "datastore.access"))[f"datastore:{datastore}"]
    assert_failed(result, remediation="mount-datastore", mentions=(f"{writer_host} (readOnly)", "8061"))


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_datastore_type_fails_on_nfs(lab):
    datastore = lab.admin.datastore_names()[0]
    lab.admin.set_datastore(datastore, type="NFS")
    result = by_target(run_checks(lab, "datastore.type"))[f"datastore:{datastore}"]
    assert_failed(result, remediation="use-vmfs-datastore", mentions=("NFS",))


def test_datastore_free_space_fails_for_an_alternate_location_vm(lab):
    datastore = lab.admin.datastore_names()[0]
    lab.admin.set_datastore(datastore, free_bytes=0)
    lab.write_site(app01={"recovery_location": "alternate"})
    result = by_target(run_checks(lab, "datastore.free_space"))[f"datastore:{datastore}"]
    assert_failed(result, remediation="free-datastore-space", mentions=("0.0 GB free",))
    assert "new disks" in result.evidence["growth_gb"], "an alternate-location VM's disks are all new"


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_datastore_free_space_counts_what_grows_in_the_original_location(lab):
    """The failback writes back into app01's own disks: its thin disk fills, reprotect keeps a redo log, and the VM
    creates its swap file when it powers on; a thick disk is already allocated."""
    datastore = lab.admin.datastore_names()[0]
    thin = lab.admin.add_disk(APP, 200 * GIB, thin=True)
    lab.admin.set_disk_written(APP, thin, 20 * GIB)
    lab.admin.add_disk(DB, 300 * GIB, thin=False)
    lab.admin.set_memory_mb(APP, 16 * 1024)
    lab.admin.set_datastore(datastore, free_bytes=200 * GIB)
    result = by_target(run_checks(lab, "datastore.free_space"))[f"datastore:{datastore}"]
    assert_failed(result, remediation="free-datastore-space", mentions=(
        "200.0 GB free", "thin disks filled 180.0 GB", "reprotect redo logs 50.0 GB", "swap files at power-on 16.0 GB",
        f"{APP} {thin} (20.0 of 200.0 GB written): 180.0 GB (thin disks filled)"))
    assert result.evidence["growth_gb"].get("new disks") is None, "nothing is new in the original location"

    lab.admin.set_datastore(datastore, free_bytes=300 * GIB)
    assert by_target(run_checks(lab, "datastore.free_space"))[f"datastore:{datastore}"].status is Status.PASS


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_datastore_free_space_counts_the_master_target_retention_on_classic_sites_only(lab):
    datastore = lab.admin.datastore_names()[0]
    lab.admin.add_disk(data_mover(lab), 1024 * GIB, thin=True)  # classic: the master target's retention disk
    lab.admin.set_datastore(datastore, free_bytes=500 * GIB)
    result = by_target(run_checks(lab, "datastore.free_space"))[f"datastore:{datastore}"]
    if lab.experience == "classic":
        assert_failed(result, remediation="free-datastore-space", mentions=("master target retention 1024.0 GB", MASTER_TARGET))
    else:
        assert result.status is Status.PASS, result.message  # the appliance keeps no retention on the target datastore


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_host_memory_fails_when_the_vms_do_not_fit(lab):
    host = lab.admin.vm_host(APP)
    lab.admin.set_memory_mb(APP, 8192)
    lab.admin.set_host(host, memory_size_bytes=16 * 1024**3, memory_usage_mb=12 * 1024)
    result = by_target(run_checks(lab, "host.memory"))[f"host:{host}"]
    assert_failed(result, remediation="free-host-memory", mentions=("4096 MB free", "8038"))


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_time_skew_fails_when_vcenter_clock_is_off(lab):
    lab.admin.set_clock(600)
    result = by_target(run_checks(lab, "time.skew"))[f"vcenter:{lab.sim.host}"]
    assert_failed(result, remediation="sync-clocks", mentions=("ahead of",))
    assert 590 <= result.evidence["skew_seconds"] <= 610


def test_time_skew_fails_for_the_host_whose_clock_is_off_and_only_for_it(lab):
    late = lab.admin.vm_host(APP)
    lab.admin.set_host(late, time_offset_seconds=-900)
    results = by_target(run_checks(lab, "time.skew"))
    assert_failed(results[f"host:{late}"], remediation="sync-clocks", mentions=(f"{late}'s clock is 900 s behind", "Add-VMHostNtpServer"))
    assert -910 <= results[f"host:{late}"].evidence["skew_seconds"] <= -890
    others = {target: r.status for target, r in results.items() if target != f"host:{late}"}
    assert set(others) == {f"vcenter:{lab.sim.host}"} | {f"host:{name}" for name in lab.admin.host_names() if name != late}
    assert set(others.values()) == {Status.PASS}


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_guest_ip_mode_records_a_static_address_to_restore(lab):
    lab.admin.set_vm_guest(
        APP,
        net=[{"mac": "00:50:56:aa:bb:cc", "network": "VM Network", "dhcp": False, "ips": [{"ip": "10.0.0.21", "prefix": 24, "origin": "manual"}]}],
        gateway="10.0.0.1",
        dns=["10.0.0.2", "10.0.0.3"],
    )
    result = by_target(run_checks(lab, "guest.ip_mode"))[f"vm:{APP}"]
    assert_failed(result, status=Status.WARN, remediation="plan-static-ip-restore", mentions=("10.0.0.21/24", "gateway 10.0.0.1"))
    assert result.evidence["static"] == [{"ip": "10.0.0.21", "prefix": 24, "mac": "00:50:56:aa:bb:cc", "network": "VM Network"}]
    assert result.evidence["dns"] == ["10.0.0.2", "10.0.0.3"]


@pytest.mark.parametrize("lab", ["modernized"], indirect=True)
def test_master_target_checks_are_skipped_on_modernized_sites(lab):
    results = run_checks(lab, "mt.snapshots", "mt.scsi_controller", "vm.snapshots")
    assert {r.check: r.status for r in results} == {"mt.snapshots": Status.SKIP, "mt.scsi_controller": Status.SKIP, "vm.snapshots": Status.PASS}


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_host_state_fails_for_the_host_of_the_master_target_or_appliance_when_disconnected(lab):
    host = lab.admin.vm_host(data_mover(lab))
    lab.admin.set_host(host, connection_state="notResponding")
    results = by_target(run_checks(lab, "host.state"))
    kind = "master target" if lab.experience == "classic" else "appliance"
    assert_failed(results[f"host:{host}"], remediation="restore-host-state",
                  mentions=("notResponding from vCenter", f"it runs {kind} {data_mover(lab)}", "Restart Management Agents"))
    others = {target: r.status for target, r in results.items() if target != f"host:{host}"}
    assert others and set(others.values()) == {Status.PASS}


def test_host_state_fails_for_a_target_host_in_maintenance_mode_and_host_memory_does_not_judge_it(lab):
    host = lab.admin.vm_host(APP)
    lab.admin.enter_maintenance_mode(host)
    results = {(r.check, r.target): r for r in run_checks(lab, "host.state", "host.memory")}
    assert_failed(results["host.state", f"host:{host}"], remediation="restore-host-state",
                  mentions=("in maintenance mode", f"{APP} comes back to it", "Maintenance Mode > Exit"))
    # The same fact is judged once: host.memory says it cannot tell, and points at the same remediation.
    assert_failed(results["host.memory", f"host:{host}"], status=Status.ERROR, remediation="restore-host-state",
                  mentions=("in maintenance mode", "host.state fails on it"))
