"""The vCenter source: every fact the vCenter checks need, in a handful of bulk PropertyCollector retrievals.

Requests do not grow with the number of VMs: one retrieval for every VM's name and every host and datastore of the
datacenter, one for the detailed properties of only the VMs bearing a name the site names, one for the device lists
(and disk layouts) of those whose disks or controllers a check weighs, one bulk licence query, one privilege query. Certificate
verification is on unless the site file turns it off explicitly.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from failback.checks.site import Site
from failback.checks.sources import vcenter_bulk as bulk
from failback.checks.sources.errors import SourceError
from failback.checks.sources.vcenter_session import vcenter_session

_VM_DETAIL = [
    "name",
    "runtime.host",
    "runtime.powerState",
    "datastore",
    "snapshot",
    "config.extraConfig",
    "config.hardware.memoryMB",
    "config.guestId",
    "guest.guestFamily",
    "guest.toolsRunningStatus",
    "guest.net",
    "guest.ipStack",
    "config.uuid",
    "config.instanceUuid",
    "config.files.vmPathName",  # the home datastore, where the swap file of a VM powering on grows
    "config.memoryAllocation.reservation",
]
# A VM's device list is most of what vCenter sends about it (about ten devices, each with its backing), its disk layout
# (what thin disks hold) much of the rest: read only for the VMs whose disks or controllers a check weighs.
_VM_DEVICES = ["config.hardware.device", "layoutEx.file", "layoutEx.disk"]
# The checks that weigh every named VM's disks, in place too (thin disks filling, redo logs, disks resized in Azure);
# without them selected, only master targets and VMs coming back elsewhere have their device lists read.
EVERY_DISK_CHECKS = frozenset({"datastore.free_space", "azure.disk_resized"})
_HOST_PROPS = [
    "name",
    "summary.config.product",
    "summary.hardware.memorySize",
    "summary.quickStats.overallMemoryUsage",
    "runtime.connectionState",
    "runtime.inMaintenanceMode",
    "configManager.dateTimeSystem",
]
_DATASTORE_PROPS = ["name", "summary.type", "summary.capacity", "summary.freeSpace", "summary.accessible", "host"]
# The datacenter's child folders: privileges held on the datacenter must reach them to count as propagated.
_DATACENTER_FOLDERS = {"vmFolder": "vm folder", "hostFolder": "host folder", "datastoreFolder": "datastore folder", "networkFolder": "network folder"}
# ServiceContent.about.apiType of an ESXi host answering for itself (vCenter's is "VirtualCenter").
STANDALONE_HOST_API = "HostAgent"
# Only these extraConfig keys leave memory: guestinfo.* and others may hold secrets.
_EXTRA_CONFIG_KEPT = {"disk.enableuuid"}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat()


class VCenterSource:
    name = "vcenter"

    def __init__(self, site: Site, password: str | None, every_disk: bool = True):
        """every_disk: read every named VM's device list and disk layout (what `failback collect` keeps for any check);
        False when no selected check weighs in-place disks (EVERY_DISK_CHECKS), which spares most of vCenter's answer."""
        self._site = site
        self._settings = site.vcenter
        self._password = password or ""
        self._every_disk = every_disk

    # -- collection -----------------------------------------------------------------------------------------------
    def collect(self) -> dict[str, Any]:
        with vcenter_session(self._settings, self._password) as session:
            return self._gather(session.si, session.trust)

    def _gather(self, si: Any, trust: dict[str, Any]) -> dict[str, Any]:
        from pyVmomi import vim

        tool_before = utc_now()
        vcenter_time = si.CurrentTime()
        tool_after = utc_now()
        content = si.RetrieveContent()
        about = content.about
        facts: dict[str, Any] = {
            "host": self._settings.host,
            "port": self._settings.port,
            "certificate": trust,
            "about": {
                "full_name": about.fullName,
                "version": about.version,
                "build": about.build,
                "api_type": about.apiType,
                "api_version": about.apiVersion,
                "instance_uuid": about.instanceUuid,  # a rebuilt vCenter has a new one: ASR no longer finds its VMs
            },
            "clock": {"tool_before": _iso(tool_before), "vcenter": _iso(vcenter_time), "tool_after": _iso(tool_after)},
        }
        collector = content.propertyCollector
        datacenter, folders = self._find_datacenter(content, collector)
        facts["datacenter"] = self._settings.datacenter

        with _container_view(content, datacenter, [vim.VirtualMachine, vim.HostSystem, vim.Datastore]) as view:
            # Every VM's name and nothing more (names are all we match on), read lean; the few hosts and datastores typed.
            vm_names = [(moref, bulk.text(props.get("name"))) for moref, props in bulk.objects_in_view(collector, view, "VirtualMachine", ["name"])]
            inventory = list(_retrieve(collector, [_view_filter(view, {vim.HostSystem: _HOST_PROPS, vim.Datastore: _DATASTORE_PROPS})]))
        hosts = {obj._moId: _host(props) for obj, props in inventory if isinstance(obj, vim.HostSystem)}
        for obj, props in inventory:
            if isinstance(obj, vim.HostSystem) and hosts[obj._moId]["connection_state"] == "connected":
                hosts[obj._moId]["clock"] = _host_clock(props.get("configManager.dateTimeSystem"))
        datastores = {obj._moId: _datastore(props) for obj, props in inventory if isinstance(obj, vim.Datastore)}
        wanted, weighed_names = self._wanted_vm_names(), self._vm_names_whose_devices_count()
        # Every VM bearing a name the site cares about, namesakes included (they are what vm.name_clash looks for).
        named = [moref for moref, name in vm_names if name in wanted]
        weighed = [vim.VirtualMachine(moref, collector._stub) for moref, name in vm_names if name in weighed_names]
        facts["vm_count"] = len(vm_names)
        facts["vms"] = vms = {}
        if named:
            for moref, props in bulk.these_objects(collector, "VirtualMachine", named, _VM_DETAIL):
                vms[moref] = _vm(props)
        if weighed:
            for obj, props in _retrieve(collector, [_objects_filter(weighed, vim.VirtualMachine, _VM_DEVICES)]):
                if obj._moId in vms:  # not a VM removed since
                    vms[obj._moId].update(_devices(props))
        facts["hosts"], facts["datastores"] = hosts, datastores

        # A standalone ESXi host has no licence assignments: its own LicenseManager holds its one licence.
        standalone = about.apiType == STANDALONE_HOST_API
        licences = _standalone_host_licences(content, collector, hosts) if standalone else _assigned_licences(content)
        for moref, host in hosts.items():
            host["license"] = licences.get(moref)

        facts["privilege_ids"] = sorted(p.privId for p in content.authorizationManager.privilegeList)
        facts["privileges"] = self._discovery_privileges(content, datacenter, folders)
        return facts

    def _wanted_vm_names(self) -> set[str]:
        site = self._site
        names = {vm.name for vm in site.vms} | {mt.name for mt in site.master_targets}
        if site.config_server and site.config_server.vm_name:
            names.add(site.config_server.vm_name)
        return names

    def _vm_names_whose_devices_count(self) -> set[str]:
        """VMs whose disks or controllers a check weighs: every named one when a selected check weighs in-place disks;
        else master targets (their controllers, their retention disks) and VMs whose disks land where they are not today
        (alternate location, another datastore), whose sizes need the space."""
        site = self._site
        if self._every_disk:
            return self._wanted_vm_names()
        return {mt.name for mt in site.master_targets} | {
            vm.name for vm in site.vms if vm.recovery_location == "alternate" or vm.datastore is not None
        }

    def _find_datacenter(self, content: Any, collector: Any) -> tuple[Any, dict[str, Any]]:
        """The site's datacenter and its child folders, read in the same retrieval."""
        from pyVmomi import vim

        with _container_view(content, content.rootFolder, [vim.Datacenter]) as view:
            found = list(_retrieve(collector, [_view_filter(view, {vim.Datacenter: ["name", *_DATACENTER_FOLDERS]})]))
        for obj, props in found:
            if props.get("name") == self._settings.datacenter:
                return obj, {label: props[path] for path, label in _DATACENTER_FOLDERS.items()}
        names = ", ".join(sorted(str(props.get("name")) for _, props in found)) or "none"
        raise SourceError(
            "not_found",
            f"vCenter {self._settings.host} has no datacenter named {self._settings.datacenter!r} (it has: {names})",
        )

    def _discovery_privileges(self, content: Any, datacenter: Any, folders: dict[str, Any]) -> dict[str, Any]:
        """Effective privileges of the discovery account on the datacenter and on its child folders.

        vCenter resolves groups and inheritance itself; a privilege held on the datacenter but missing on a child
        folder means the permission does not propagate.
        """
        account = self._settings.discovery_account
        entities = {"datacenter": datacenter, **folders}
        answer = content.authorizationManager.FetchUserPrivilegeOnEntities(entities=list(entities.values()), userName=account)
        by_moref = {item.entity._moId: sorted(item.privileges or []) for item in answer or []}
        return {
            "account": account,
            "entities": {label: by_moref.get(entity._moId, []) for label, entity in entities.items()},
        }


# -- PropertyCollector plumbing ---------------------------------------------------------------------------------------
@contextmanager
def _container_view(content: Any, root: Any, kinds: list[type]) -> Iterator[Any]:
    """A ContainerView for one retrieval, destroyed after it succeeded but not after a fault: over a dead or hung
    connection DestroyView would wait out one more timeout, and a view ends with its session anyway."""
    view = content.viewManager.CreateContainerView(root, kinds, True)
    yield view
    view.DestroyView()


def _view_filter(view: Any, properties: dict[type, list[str]]) -> Any:
    from pyVmomi import vmodl

    traverse = vmodl.query.PropertyCollector.TraversalSpec(name="view", path="view", skip=False, type=type(view))
    return vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=kind, pathSet=paths) for kind, paths in properties.items()],
    )


def _objects_filter(objects: Iterable[Any], kind: type, paths: list[str]) -> Any:
    from pyVmomi import vmodl

    return vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj, skip=False) for obj in objects],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=kind, pathSet=paths)],
    )


def _retrieve(collector: Any, specs: list[Any]) -> Iterator[tuple[Any, dict[str, Any]]]:
    """RetrievePropertiesEx, following the continuation token until the server has given everything; one page at a time."""
    from pyVmomi import vmodl

    options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=1000)
    page = collector.RetrievePropertiesEx(specs, options)
    while page is not None:
        for item in page.objects or []:
            yield item.obj, {prop.name: prop.val for prop in item.propSet or []}
        page = collector.ContinueRetrievePropertiesEx(page.token) if page.token else None


# -- turning vSphere objects into plain facts ------------------------------------------------------------------------
def _ref(obj: Any) -> str | None:
    return obj._moId if obj is not None else None


def _host(props: dict[str, Any]) -> dict[str, Any]:
    product = props.get("summary.config.product")
    return {
        "name": props.get("name"),
        "version": getattr(product, "version", None),
        "build": getattr(product, "build", None),
        "full_name": getattr(product, "fullName", None),
        "memory_bytes": props.get("summary.hardware.memorySize"),
        "memory_used_mb": props.get("summary.quickStats.overallMemoryUsage"),
        "connection_state": str(props.get("runtime.connectionState") or "unknown"),
        "maintenance": bool(props.get("runtime.inMaintenanceMode")),
    }


def _host_clock(date_time_system: Any) -> dict[str, str]:
    """The host's own clock between two readings of ours, as for vCenter's; one call per connected host (there is no
    bulk way), each bounded by the session's timeout. A host that cannot say is recorded with vCenter's reason."""
    from pyVmomi import vmodl

    if date_time_system is None:
        return {"error": "the host has no date and time system"}
    tool_before = utc_now()
    try:
        host_time = date_time_system.QueryDateTime()
    except vmodl.MethodFault as fault:
        return {"error": fault.msg or type(fault).__name__}
    tool_after = utc_now()
    return {"tool_before": _iso(tool_before), "host": _iso(host_time), "tool_after": _iso(tool_after)}


def _datastore(props: dict[str, Any]) -> dict[str, Any]:
    mounts = {}
    for mount in props.get("host") or []:
        info = mount.mountInfo
        mounts[mount.key._moId] = {
            "mounted": info.mounted if info.mounted is not None else True,
            "accessible": info.accessible if info.accessible is not None else True,
            "access_mode": info.accessMode,
        }
    return {
        "name": props.get("name"),
        "type": props.get("summary.type"),
        "capacity_bytes": props.get("summary.capacity"),
        "free_bytes": props.get("summary.freeSpace"),
        "accessible": bool(props.get("summary.accessible")),
        "mounts": mounts,
    }


def _snapshot_names(snapshots: list[ET.Element]) -> Iterator[str]:
    for snapshot in snapshots:
        yield bulk.text(snapshot, "name") or ""
        yield from _snapshot_names(bulk.fields(snapshot, "childSnapshotList"))


def _vm(props: bulk.Properties) -> dict[str, Any]:
    """A VM's facts from its properties as vCenter's XML holds them (see vcenter_bulk)."""
    extra = {}
    for option in bulk.items(props.get("config.extraConfig")):
        key = bulk.text(option, "key") or ""
        if key.lower() in _EXTRA_CONFIG_KEPT:
            extra[key] = bulk.text(option, "value") or ""
    return {
        "name": bulk.text(props.get("name")),
        "host": bulk.text(props.get("runtime.host")),
        "power_state": bulk.text(props.get("runtime.powerState")) or "unknown",
        "datastores": [bulk.text(datastore) for datastore in bulk.items(props.get("datastore"))],  # its files' and disks'
        "snapshots": list(_snapshot_names(bulk.fields(props.get("snapshot"), "rootSnapshotList"))),
        "extra_config": extra,
        "memory_mb": bulk.number(props.get("config.hardware.memoryMB")),
        "memory_reservation_mb": bulk.number(props.get("config.memoryAllocation.reservation")),
        "files_datastore": _datastore_of_path(bulk.text(props.get("config.files.vmPathName"))),
        "bios_uuid": bulk.text(props.get("config.uuid")),
        "instance_uuid": bulk.text(props.get("config.instanceUuid")),
        "guest_id": bulk.text(props.get("config.guestId")),
        "guest_family": bulk.text(props.get("guest.guestFamily")),
        "tools_running_status": bulk.text(props.get("guest.toolsRunningStatus")),
        "nics": [_nic(nic) for nic in bulk.items(props.get("guest.net"))],
        **_ip_stack(bulk.items(props.get("guest.ipStack"))),
    }


def _disk_controller_types() -> tuple[type, ...]:
    """The controllers a disk can hang on besides IDE (the CD-ROM's): SCSI of every kind, NVMe, SATA (AHCI)."""
    from pyVmomi import vim

    return (vim.vm.device.VirtualSCSIController, vim.vm.device.VirtualNVMEController, vim.vm.device.VirtualSATAController)


def _devices(props: dict[str, Any]) -> dict[str, Any]:
    """The disk controllers and disks of a VM's device list, each disk with what its datastore allocated for it."""
    from pyVmomi import vim

    devices = props.get("config.hardware.device") or []
    allocated = _allocated_by_disk(props.get("layoutEx.file") or [], props.get("layoutEx.disk") or [])
    return {
        "controllers": [type(device).__name__.split(".")[-1] for device in devices if isinstance(device, _disk_controller_types())],
        "disks": [
            {
                "label": device.deviceInfo.label if device.deviceInfo else str(device.key),
                "capacity_bytes": device.capacityInBytes or (device.capacityInKB or 0) * 1024,
                "datastore": _ref(getattr(device.backing, "datastore", None)),
                "thin": getattr(device.backing, "thinProvisioned", None),
                "allocated_bytes": allocated.get(device.key),
                "uuid": getattr(device.backing, "uuid", None),  # the disk's own UUID, by which the modernized appliance knows it
            }
            for device in devices
            if isinstance(device, vim.vm.device.VirtualDisk)
        ],
    }


def _allocated_by_disk(files: list[Any], disks: list[Any]) -> dict[int, int]:
    """Bytes each disk (by device key) holds on its datastores: the files of its chain, as the datastore allocated them
    (a thin disk's extent is as large as what was written to it)."""
    size = {file.key: file.size or 0 for file in files}
    return {disk.key: sum(size.get(key, 0) for unit in disk.chain or [] for key in unit.fileKey or []) for disk in disks}


def _datastore_of_path(path: str | None) -> str | None:
    """The datastore name of a datastore path, "[ds1] app01/app01.vmx" -> "ds1"."""
    if not path or not path.startswith("["):
        return None
    return path[1:].partition("]")[0] or None


def _nic(nic: ET.Element) -> dict[str, Any]:
    config = bulk.field(nic, "ipConfig")
    dhcp = bulk.text(bulk.field(bulk.field(config, "dhcp"), "ipv4"), "enable")
    return {
        "mac": bulk.text(nic, "macAddress"),
        "network": bulk.text(nic, "network"),
        "dhcp": dhcp == "true" if dhcp is not None else None,
        "addresses": [
            {"ip": bulk.text(address, "ipAddress"), "prefix": bulk.number(address, "prefixLength"), "origin": bulk.text(address, "origin")}
            for address in bulk.fields(config, "ipAddress")
        ],
    }


def _ip_stack(stacks: list[ET.Element]) -> dict[str, Any]:
    gateway, dns = None, []
    for stack in stacks:
        servers = [bulk.text(server) for server in bulk.fields(bulk.field(stack, "dnsConfig"), "ipAddress")]
        dns = servers or dns
        for route in bulk.fields(bulk.field(stack, "ipRouteConfig"), "ipRoute"):
            default = bulk.text(route, "network") in ("0.0.0.0", "::") and bulk.number(route, "prefixLength") == 0
            if default and (address := bulk.text(bulk.field(route, "gateway"), "ipAddress")):
                gateway = gateway or address
    return {"gateway": gateway, "dns": dns}


def _standalone_host_licences(content: Any, collector: Any, hosts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The licence of a standalone ESXi host (read through the PropertyCollector: the host answers no licence
    assignment query), the key itself left in memory."""
    from pyVmomi import vim

    found = _retrieve(collector, [_objects_filter([content.licenseManager], vim.LicenseManager, ["licenses"])])
    licences = [licence for _, props in found for licence in props.get("licenses") or []]
    if not licences:
        return {}
    held = {"edition_key": licences[0].editionKey, "name": licences[0].name, "told_by": "the host's own licence manager"}
    return {moref: held for moref in hosts}


def _assigned_licences(content: Any) -> dict[str, dict[str, Any]]:
    """Every entity's licence edition in one call; the licence key itself never leaves memory."""
    manager = content.licenseManager.licenseAssignmentManager
    if manager is None:
        return {}
    licences = {}
    for assignment in manager.QueryAssignedLicenses() or []:
        licence = assignment.assignedLicense
        licences[assignment.entityId] = {"edition_key": licence.editionKey, "name": licence.name}
    return licences
