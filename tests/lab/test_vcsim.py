"""The lab vCenter's extensions, proven on the wire with pyvmomi.

Everything is read back through SOAP (PropertyCollector.RetrievePropertiesEx or the method
under test), never from the simulator's own bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import ssl

from pathlib import Path

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from failback.lab.vcenter_admin import VCenterAdmin
from failback.lab.vcsim import BUILD_TIMEOUT_S, VCSim, VCSimError, build_vcsim

DISCOVERY_PRIVILEGES = ["Datastore.Browse", "VirtualMachine.State.CreateSnapshot"]
SYSTEM_PRIVILEGES = {"System.Anonymous", "System.Read", "System.View"}


@pytest.mark.timeout(BUILD_TIMEOUT_S + 60)  # first in the module: pays for a cold build
def test_builds_once_and_starts_in_well_under_a_second():
    binary = build_vcsim()
    assert build_vcsim() == binary  # cached by source hash
    with VCSim().start() as sim:
        print(f"\nvcsim start: {sim.startup_seconds * 1000:.0f} ms, binary {binary.stat().st_size / 1e6:.1f} MB")
        assert sim.startup_seconds < 1.0
        assert sim.url == f"https://127.0.0.1:{sim.port}/sdk"
        assert sim.lab_url == f"https://127.0.0.1:{sim.port}/lab"
    assert not sim.running


@pytest.fixture(scope="module")
def sim():
    with VCSim().start() as sim:
        yield sim


@pytest.fixture(scope="module")
def admin(sim):
    with VCenterAdmin(sim) as admin:
        yield admin


def by_name(admin: VCenterAdmin, vim_type: type, name: str | None = None):
    """The named object, or the first by name."""
    return admin.find(vim_type, name or sorted(props["name"] for _, props in admin.inventory(vim_type, "name"))[0])


# --- TLS and login


def test_certificate_is_verified_with_the_lab_ca_and_refused_without_it(sim):
    si = SmartConnect(host=sim.host, port=sim.port, user="u", pwd="p", sslContext=sim.ssl_context(),
                      httpConnectionTimeout=10)
    Disconnect(si)

    with pytest.raises(ssl.SSLCertVerificationError):
        SmartConnect(host=sim.host, port=sim.port, user="u", pwd="p", sslContext=ssl.create_default_context(),
                     httpConnectionTimeout=10)


def test_thumbprint_is_the_served_certificate(sim):
    with socket.create_connection((sim.host, sim.port), timeout=10) as raw:
        with sim.ssl_context().wrap_socket(raw, server_hostname=sim.host) as tls:
            der = tls.getpeercert(binary_form=True)
    assert sim.thumbprint_sha256 == ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def test_only_the_configured_user_and_password_log_in():
    with VCSim().start(username="administrator@vsphere.local", password="S3cret!", vms=1) as sim:
        with VCenterAdmin(sim) as admin:
            assert admin.datacenter_name() == "DC0"
        with pytest.raises(vim.fault.InvalidLogin):
            VCenterAdmin(sim, password="wrong")
        # Any local user can read a process's arguments: the password travels in its environment instead.
        assert "S3cret!" not in Path(f"/proc/{sim.pid}/cmdline").read_bytes().decode()


# --- privileges computed from permissions


def privileges(admin: VCenterAdmin, user: str, entity, priv_ids: list[str]) -> dict[str, bool]:
    [result] = admin.content.authorizationManager.HasUserPrivilegeOnEntities(
        entities=[entity], userName=user, privId=priv_ids
    )
    return {a.privId: a.isGranted for a in result.privAvailability}


def test_privileges_come_from_permissions_and_propagate(admin):
    role = admin.add_role("failback-discovery", DISCOVERY_PRIVILEGES)
    assert role > 0
    admin.set_permission("datacenter", "VSPHERE.LOCAL\\svc-propagate", role, propagate=True)
    admin.set_permission("datacenter", "svc-here-only@vsphere.local", role, propagate=False)
    datacenter, vm = by_name(admin, vim.Datacenter), by_name(admin, vim.VirtualMachine)
    asked = [*DISCOVERY_PRIVILEGES, "Host.Config.Maintenance", "System.Read"]
    everything = dict.fromkeys(DISCOVERY_PRIVILEGES, True) | {"Host.Config.Maintenance": False, "System.Read": True}
    nothing = dict.fromkeys(asked, False)

    # Either spelling of the principal, any case, on the entity and below it.
    for user in ("svc-propagate@vsphere.local", "vsphere.local\\SVC-Propagate"):
        assert privileges(admin, user, datacenter, asked) == everything
        assert privileges(admin, user, vm, asked) == everything
    # Without propagate the permission holds on the datacenter only.
    assert privileges(admin, "svc-here-only@vsphere.local", datacenter, asked) == everything
    assert privileges(admin, "svc-here-only@vsphere.local", vm, asked) == nothing
    # No permission, no privileges.
    assert privileges(admin, "nobody@vsphere.local", datacenter, asked) == nothing

    # Setting a permission keeps the other principals' permissions on the entity.
    kept = admin.content.authorizationManager.RetrieveEntityPermissions(entity=datacenter, inherited=False)
    assert {"VSPHERE.LOCAL\\svc-propagate", "svc-here-only@vsphere.local"} <= {p.principal for p in kept}


def test_the_nearest_permission_decides(admin):
    read_only, admin_role, no_access = -2, -1, -5
    user = "svc-nearest@vsphere.local"
    admin.set_permission("root", user, admin_role, propagate=True)
    admin.set_permission("datacenter", user, read_only, propagate=True)
    vms = sorted(props["name"] for _, props in admin.inventory(vim.VirtualMachine, "name"))
    admin.set_permission(vms[-1], user, no_access, propagate=False)
    targets = [admin.content.rootFolder, admin.find(vim.VirtualMachine, vms[0]), admin.find(vim.VirtualMachine, vms[-1])]

    root, read_only_vm, no_access_vm = admin.content.authorizationManager.FetchUserPrivilegeOnEntities(
        entities=targets, userName=user
    )
    assert {"Host.Config.Maintenance", "Datastore.Browse"} <= set(root.privileges)
    assert set(read_only_vm.privileges) == SYSTEM_PRIVILEGES
    assert list(no_access_vm.privileges) == []


def test_session_privilege_answers_carry_false_elements(sim, admin):
    role = admin.add_role("failback-session", DISCOVERY_PRIVILEGES)
    admin.set_permission("datacenter", "svc-session@vsphere.local", role, propagate=True)
    datacenter, vm = by_name(admin, vim.Datacenter), by_name(admin, vim.VirtualMachine)
    asked = ["Datastore.Browse", "Host.Config.Maintenance", "VirtualMachine.State.CreateSnapshot"]
    expected = [True, False, True]

    with VCenterAdmin(sim, username="svc-session@vsphere.local", password="any") as user:
        session = user.read(user.content.sessionManager, "currentSession")["currentSession"].key
        # The user's own session, and another session asking about it.
        for manager in (user.content.authorizationManager, admin.content.authorizationManager):
            answer = manager.HasPrivilegeOnEntities(entity=[datacenter, vm], sessionId=session, privId=asked)
            assert [[a.isGranted for a in e.privAvailability] for e in answer] == [expected, expected]
            # A []bool answer: the stock simulator dropped the false elements.
            assert list(manager.HasPrivilegeOnEntity(entity=vm, sessionId=session, privId=asked)) == expected


# --- licences


def test_licences_are_assigned_per_host(admin):
    key = admin.add_license("HV000-00000-00000-00000-FREE1", "esxBasic", "vSphere 7 Hypervisor")
    hosts = {props["name"]: obj._moId for obj, props in admin.inventory(vim.HostSystem, "name")}
    free_host, licensed_host = sorted(hosts)[:2]
    admin.assign_license(free_host, key)
    manager = admin.read(admin.content.licenseManager, "licenseAssignmentManager")["licenseAssignmentManager"]

    [one] = manager.QueryAssignedLicenses(entityId=hosts[free_host])
    assert (one.entityId, one.entityDisplayName) == (hosts[free_host], free_host)
    assert (one.assignedLicense.licenseKey, one.assignedLicense.editionKey) == (key, "esxBasic")
    assert one.assignedLicense.name == "vSphere 7 Hypervisor"
    [other] = manager.QueryAssignedLicenses(entityId=hosts[licensed_host])
    assert other.assignedLicense.editionKey == "eval"

    bulk = {a.entityId: a.assignedLicense.editionKey for a in manager.QueryAssignedLicenses()}
    instance_uuid = admin.content.about.instanceUuid
    assert bulk == {instance_uuid: "eval"} | dict.fromkeys(hosts.values(), "eval") | {hosts[free_host]: "esxBasic"}

    licenses = admin.read(admin.content.licenseManager, "licenses")["licenses"]
    assert {(lic.licenseKey, lic.editionKey) for lic in licenses} >= {(key, "esxBasic")}
    with pytest.raises(vmodl.fault.InvalidArgument):
        admin.assign_license(free_host, "NOT-ADDED-00000-00000-00000")


# --- the /lab admin API, read back through the PropertyCollector


def test_lab_about_sets_the_vcenter_version(admin):
    admin.set_about(version="7.0.3", build="20150588", api_version="7.0")
    about = admin.read(admin.si, "content.about")["content.about"]
    assert (about.version, about.build, about.apiVersion) == ("7.0.3", "20150588", "7.0")
    assert about.fullName.endswith("7.0.3 build-20150588")


def test_lab_host_sets_version_memory_and_clock(admin):
    changed, untouched = admin.host_names()[:2]
    stock_version = admin.read(admin.find(vim.HostSystem, untouched), "config.product.version")["config.product.version"]
    admin.set_host(changed, version="6.7.0", build="17700523", memory_size_bytes=64 << 30, memory_usage_mb=60_000,
                   time_offset_seconds=600)

    paths = ["config.product.version", "summary.config.product.version", "summary.config.product.build",
             "summary.hardware.memorySize", "hardware.memorySize", "summary.quickStats.overallMemoryUsage",
             "configManager.dateTimeSystem"]
    host = admin.read(admin.find(vim.HostSystem, changed), *paths)
    assert [host[p] for p in paths[:-1]] == ["6.7.0", "6.7.0", "17700523", 64 << 30, 64 << 30, 60_000]
    other = admin.read(admin.find(vim.HostSystem, untouched), "summary.config.product.version")
    assert other["summary.config.product.version"] == stock_version != "6.7.0"  # hosts no longer share one AboutInfo

    host_time = host["configManager.dateTimeSystem"].QueryDateTime()
    skew = (host_time - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 590 < skew < 610


def test_lab_vm_sets_guest_network_and_tools(admin):
    vm_name = admin.vm_names()[0]
    admin.set_vm_guest(
        vm_name,
        tools_running_status="guestToolsRunning",
        guest_family="linuxGuest",
        guest_id="ubuntu64Guest",
        net=[
            {"mac": "00:50:56:aa:bb:01", "network": "VM Network", "dhcp": False,
             "ips": [{"ip": "10.0.0.21", "prefix": 24, "origin": "manual"}]},
            {"mac": "00:50:56:aa:bb:02", "network": "Backup", "dhcp": True,
             "ips": [{"ip": "10.9.0.7", "prefix": 16, "origin": "dhcp"}]},
        ],
        gateway="10.0.0.1",
        dns=["10.0.0.2", "10.0.0.3"],
        hostname="app01",
    )
    read = admin.read(admin.find(vim.VirtualMachine, vm_name), "guest", "summary.guest")
    guest, summary = read["guest"], read["summary.guest"]

    assert (guest.toolsRunningStatus, guest.guestFamily, guest.guestId) == ("guestToolsRunning", "linuxGuest", "ubuntu64Guest")
    assert (summary.toolsRunningStatus, summary.ipAddress, summary.hostName) == ("guestToolsRunning", "10.0.0.21", "app01")
    assert guest.ipAddress == "10.0.0.21"
    static, dynamic = guest.net
    assert (static.macAddress, static.network, list(static.ipAddress)) == ("00:50:56:aa:bb:01", "VM Network", ["10.0.0.21"])
    [address] = static.ipConfig.ipAddress
    assert (address.ipAddress, address.prefixLength, address.origin) == ("10.0.0.21", 24, "manual")
    assert static.ipConfig.dhcp.ipv4.enable is False
    assert dynamic.ipConfig.dhcp.ipv4.enable is True
    assert dynamic.ipConfig.ipAddress[0].origin == "dhcp"
    [stack] = guest.ipStack
    assert list(stack.dnsConfig.ipAddress) == ["10.0.0.2", "10.0.0.3"]
    assert stack.dnsConfig.hostName == "app01"
    [route] = stack.ipRouteConfig.ipRoute
    assert (route.network, route.prefixLength, route.gateway.ipAddress) == ("0.0.0.0", 0, "10.0.0.1")

    admin.set_vm_guest(vm_name, tools_running_status="guestToolsNotRunning")
    guest = admin.read(admin.find(vim.VirtualMachine, vm_name), "guest")["guest"]
    assert (guest.toolsRunningStatus, guest.ipAddress) == ("guestToolsNotRunning", "10.0.0.21")  # the rest stays


def test_lab_datastore_sets_capacity_type_and_mounts(admin):
    reader, unmounted, local_owner = admin.host_names()[:3]
    admin.create_local_datastore(local_owner, "lab-ds")
    admin.set_datastore(
        "lab-ds",
        capacity_bytes=2 << 40,
        free_bytes=100 << 30,
        accessible=False,
        type="NFS",
        host_mounts=[
            {"host": reader, "access_mode": "readOnly"},
            {"host": unmounted, "mounted": False, "accessible": False},
        ],
    )
    datastore = admin.find(vim.Datastore, "lab-ds")
    paths = ["summary.capacity", "summary.freeSpace", "summary.accessible", "summary.type", "info.freeSpace"]
    read = admin.read(datastore, *paths, "host")
    assert [read[p] for p in paths] == [2 << 40, 100 << 30, False, "NFS", 100 << 30]
    mounts = {admin.read(m.key, "name")["name"]: m.mountInfo for m in read["host"]}
    assert set(mounts) == {reader, unmounted}
    assert (mounts[reader].accessMode, mounts[reader].mounted, mounts[reader].accessible) == ("readOnly", True, True)
    assert (mounts[unmounted].mounted, mounts[unmounted].accessible) == (False, False)
    assert datastore in admin.read(admin.find(vim.HostSystem, reader), "datastore")["datastore"]


def test_lab_clock_moves_vcenter_time(admin):
    try:
        admin.set_clock(3600)
        skew = (admin.si.CurrentTime() - dt.datetime.now(dt.timezone.utc)).total_seconds()
        assert 3590 < skew < 3610
    finally:
        admin.set_clock(0)
    assert abs((admin.si.CurrentTime() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 10


def test_lab_api_rejects_unknown_objects_and_bad_values(sim, admin):
    with pytest.raises(VCSimError, match="404"):
        sim.lab_post("host", {"moref": "host-missing"})
    with pytest.raises(VCSimError, match="400.*unknown field"):
        sim.lab_post("vm", {"moref": "vm-1", "tools": "running"})
    mount = {"host": by_name(admin, vim.HostSystem)._moId, "access_mode": "writeOnly"}
    with pytest.raises(VCSimError, match="400.*access_mode"):
        sim.lab_post("datastore", {"moref": by_name(admin, vim.Datastore)._moId, "host_mounts": [mount]})


# --- the admin helpers over SOAP


def test_admin_shapes_vms_over_soap(admin):
    vm_name = admin.vm_names()[-1]
    vm = admin.find(vim.VirtualMachine, vm_name)
    admin.create_snapshot(vm_name, "before-failback")
    assert admin.read(vm, "snapshot")["snapshot"].rootSnapshotList[0].name == "before-failback"
    admin.remove_all_snapshots(vm_name)
    assert "snapshot" not in admin.read(vm, "snapshot")

    admin.set_extra_config(vm_name, "disk.EnableUUID", "TRUE")
    admin.add_controller(vm_name, "pvscsi")
    admin.set_guest_id(vm_name, "windows9Server64Guest")
    admin.set_memory_mb(vm_name, 3072)
    config = admin.read(vm, "config.extraConfig", "config.guestId", "config.hardware.memoryMB", "config.hardware.device")
    assert ("disk.EnableUUID", "TRUE") in {(o.key, o.value) for o in config["config.extraConfig"]}
    assert (config["config.guestId"], config["config.hardware.memoryMB"]) == ("windows9Server64Guest", 3072)
    assert any(isinstance(d, vim.vm.device.ParaVirtualSCSIController) for d in config["config.hardware.device"])

    target = next(h for h in admin.host_names() if h != admin.vm_host(vm_name))
    admin.relocate_vm(vm_name, target)
    assert admin.vm_host(vm_name) == target
    admin.power_off(vm_name)
    assert admin.read(vm, "runtime.powerState")["runtime.powerState"] == "poweredOff"
    admin.power_on(vm_name)
    admin.rename_vm(vm_name, "renamed-by-admin")
    assert "renamed-by-admin" in admin.vm_names()


def test_admin_creates_datastores_seen_by_chosen_hosts(admin):
    owner, *others = admin.host_names()
    admin.create_local_datastore(owner, "only-on-owner")
    admin.create_nfs_datastore("shared-nfs", [owner, others[0]])
    for host, expected in ((owner, {"only-on-owner", "shared-nfs"}), (others[0], {"shared-nfs"}), (others[1], set())):
        seen = admin.read(admin.find(vim.HostSystem, host), "datastore")["datastore"]
        names = {admin.read(ds, "name")["name"] for ds in seen}
        assert names & {"only-on-owner", "shared-nfs"} == expected, host
    assert admin.read(admin.find(vim.Datastore, "shared-nfs"), "summary.type")["summary.type"] == "NFS"


def test_retrievals_come_in_pages_of_max_objects_as_from_vcenter(admin):
    collector = admin.content.propertyCollector
    view = admin.content.viewManager.CreateContainerView(admin.content.rootFolder, [vim.VirtualMachine], True)
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[
            vmodl.query.PropertyCollector.TraversalSpec(name="view", path="view", type=vim.view.ContainerView)])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
    )
    page = collector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=1))
    names = [page.objects[0].propSet[0].val]
    assert len(page.objects) == 1 and page.token
    while page.token:
        page = collector.ContinueRetrievePropertiesEx(page.token)
        names += [item.propSet[0].val for item in page.objects]
    assert sorted(names) == admin.vm_names()
    whole = collector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
    assert whole.token is None and len(whole.objects) == len(names)  # no maxObjects: everything at once
    with pytest.raises(vmodl.fault.InvalidArgument):
        collector.ContinueRetrievePropertiesEx("no-such-token")
    view.DestroyView()
