"""Shape the lab vCenter's inventory by name, for tests and the demo scenario.

SOAP through pyvmomi for what vCenter itself offers, the simulator's /lab API for the rest.
Objects are found and read through ContainerView + PropertyCollector only: reading an unset
property through pyvmomi's lazy attributes makes the simulator drop the connection.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterable

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from failback.lab.vcsim import VCSim

PropertyCollector = vmodl.query.PropertyCollector

# The licence labels the lab simulator reads in AddLicense.
EDITION_KEY_LABEL = "editionKey"
NAME_LABEL = "name"

# Types set_permission() can address by name.
PERMISSION_ENTITY_TYPES = [
    vim.Datacenter,
    vim.Folder,
    vim.ClusterComputeResource,
    vim.ComputeResource,
    vim.HostSystem,
    vim.ResourcePool,
    vim.Datastore,
    vim.VirtualMachine,
]


# The disk controllers add_controller() adds, by the short names a test uses.
CONTROLLER_TYPES = {
    "pvscsi": vim.vm.device.ParaVirtualSCSIController,
    "buslogic": vim.vm.device.VirtualBusLogicController,
    "lsilogic": vim.vm.device.VirtualLsiLogicController,
    "lsilogic-sas": vim.vm.device.VirtualLsiLogicSASController,
    "nvme": vim.vm.device.VirtualNVMEController,
    "ahci": vim.vm.device.VirtualAHCIController,
}


class VCenterAdminError(RuntimeError):
    """A vCenter task failed or did not finish in time."""


class VCenterAdmin:
    """An administrator's session on a lab vCenter. Use as a context manager or call close()."""

    def __init__(
        self,
        sim: VCSim,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.sim = sim
        self.timeout = timeout
        self.si = SmartConnect(
            host=sim.host,
            port=sim.port,
            user=username or sim.username,
            pwd=password or sim.password,
            sslContext=sim.ssl_context(),  # verifies against the lab CA; never unverified
            httpConnectionTimeout=timeout,
        )
        self.content = self.si.RetrieveContent()

    def close(self) -> None:
        Disconnect(self.si)

    def __enter__(self) -> VCenterAdmin:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- reading through the PropertyCollector

    def _collect(self, object_spec: Any, vim_type: type, paths: Iterable[str]) -> list[Any]:
        collector = self.content.propertyCollector
        filter_spec = PropertyCollector.FilterSpec(
            objectSet=[object_spec],
            propSet=[PropertyCollector.PropertySpec(type=vim_type, pathSet=list(paths))],
        )
        objects = []
        result = collector.RetrievePropertiesEx([filter_spec], PropertyCollector.RetrieveOptions())
        while result is not None:
            objects.extend(result.objects)
            # No maxObjects: the lab simulator answers at once; a real vCenter may page anyway.
            result = collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return objects

    def inventory(self, vim_types: type | list[type], *paths: str) -> list[tuple[Any, dict[str, Any]]]:
        """(object, {path: value}) for every object of the given types, with the given properties."""
        types = vim_types if isinstance(vim_types, list) else [vim_types]
        view = self.content.viewManager.CreateContainerView(self.content.rootFolder, types, True)
        try:
            traverse = PropertyCollector.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
            object_spec = PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[traverse])
            property_type = types[0] if len(types) == 1 else vim.ManagedEntity
            objects = self._collect(object_spec, property_type, paths)
        finally:
            view.DestroyView()
        return [(o.obj, {p.name: p.val for p in o.propSet}) for o in objects]

    def read(self, obj: Any, *paths: str) -> dict[str, Any]:
        """The given properties of one managed object; unset ones are absent."""
        objects = self._collect(PropertyCollector.ObjectSpec(obj=obj, skip=False), type(obj), paths)
        return {p.name: p.val for o in objects for p in o.propSet}

    def find(self, vim_types: type | list[type], name: str) -> Any:
        """The one object of the given types with this name."""
        matches = [obj for obj, props in self.inventory(vim_types, "name") if props.get("name") == name]
        if len(matches) != 1:
            kinds = vim_types if isinstance(vim_types, list) else [vim_types]
            what = "/".join(k.__name__.split(".")[-1] for k in kinds)
            raise LookupError(f"{len(matches)} {what} named {name!r}, expected exactly one")
        return matches[0]

    def _names(self, vim_type: type) -> list[str]:
        return sorted(props["name"] for _, props in self.inventory(vim_type, "name"))

    def _moref(self, vim_type: type, name: str) -> str:
        return self.find(vim_type, name)._moId

    def _wait(self, task: Any) -> Any:
        """Wait for a task, returning its result or raising VCenterAdminError."""
        deadline = time.monotonic() + self.timeout
        while True:
            info = self.read(task, "info")["info"]
            if info.state == vim.TaskInfo.State.success:
                return info.result
            if info.state == vim.TaskInfo.State.error:
                raise VCenterAdminError(f"{info.descriptionId or info.name} failed: {info.error.msg}")
            if time.monotonic() > deadline:
                raise VCenterAdminError(f"{info.descriptionId or info.name} did not finish in {self.timeout} s")
            time.sleep(0.02)

    # --- inventory

    def _first_datacenter(self) -> tuple[Any, str]:
        datacenters = sorted((props["name"], obj) for obj, props in self.inventory(vim.Datacenter, "name"))
        name, obj = datacenters[0]
        return obj, name

    def datacenter_name(self) -> str:
        """Name of the (first, by name) datacenter."""
        return self._first_datacenter()[1]

    def vm_names(self) -> list[str]:
        return self._names(vim.VirtualMachine)

    def host_names(self) -> list[str]:
        return self._names(vim.HostSystem)

    def datastore_names(self) -> list[str]:
        return self._names(vim.Datastore)

    def instance_uuid(self) -> str:
        """vCenter's own identity (ServiceContent.about.instanceUuid), by which ASR knows it."""
        return self.content.about.instanceUuid

    def vm_host(self, vm: str) -> str:
        """Name of the host the VM runs on."""
        host = self.read(self.find(vim.VirtualMachine, vm), "runtime.host")["runtime.host"]
        return self.read(host, "name")["name"]

    # --- virtual machines

    def _vm(self, name: str) -> Any:
        return self.find(vim.VirtualMachine, name)

    def _reconfigure(self, vm: str, spec: vim.vm.ConfigSpec) -> None:
        self._wait(self._vm(vm).ReconfigVM_Task(spec=spec))

    def rename_vm(self, old: str, new: str) -> None:
        self._wait(self._vm(old).Rename_Task(newName=new))

    def relocate_vm(self, vm: str, host: str) -> None:
        """Move the VM to the host and its root resource pool. The simulator updates the VM's
        runtime.host and resourcePool, not the hosts' vm lists."""
        target = self.find(vim.HostSystem, host)
        compute_resource = self.read(target, "parent")["parent"]
        pool = self.read(compute_resource, "resourcePool")["resourcePool"]
        self._wait(self._vm(vm).RelocateVM_Task(spec=vim.vm.RelocateSpec(host=target, pool=pool)))

    def power_state(self, vm: str) -> str:
        return str(self._vm(vm).runtime.powerState)

    def power_on(self, vm: str) -> None:
        self._wait(self._vm(vm).PowerOnVM_Task())

    def power_off(self, vm: str) -> None:
        self._wait(self._vm(vm).PowerOffVM_Task())

    def create_snapshot(self, vm: str, name: str) -> None:
        self._wait(self._vm(vm).CreateSnapshot_Task(name=name, description="", memory=False, quiesce=False))

    def remove_all_snapshots(self, vm: str) -> None:
        self._wait(self._vm(vm).RemoveAllSnapshots_Task())

    def set_extra_config(self, vm: str, key: str, value: str) -> None:
        """Add an extraConfig entry. The simulator appends rather than replaces: set a key once."""
        self._reconfigure(vm, vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key=key, value=value)]))

    def add_controller(self, vm: str, kind: str = "pvscsi") -> None:
        """Add a disk controller: a SCSI one ("pvscsi", "buslogic", "lsilogic", "lsilogic-sas") on the first free bus
        (0-3), or an "nvme" or "ahci" one."""
        devices = self.read(self._vm(vm), "config.hardware.device")["config.hardware.device"]
        controller_type = CONTROLLER_TYPES[kind]
        scsi = issubclass(controller_type, vim.vm.device.VirtualSCSIController)
        # SCSI controllers of every kind share the bus numbers 0-3; NVMe and SATA ones count their own.
        family = vim.vm.device.VirtualSCSIController if scsi else controller_type
        used = {d.busNumber for d in devices if isinstance(d, family)}
        free = [bus for bus in range(4) if bus not in used]
        if not free:
            raise VCenterAdminError(f"{vm} already has four controllers of that kind")
        controller = controller_type(key=-1, busNumber=free[0])
        if scsi:
            controller.sharedBus = vim.vm.device.VirtualSCSIController.Sharing.noSharing
        change = vim.vm.device.VirtualDeviceSpec(operation=vim.vm.device.VirtualDeviceSpec.Operation.add, device=controller)
        self._reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[change]))

    def use_lsi_logic(self, vm: str) -> None:
        """Replace the VM's Paravirtual SCSI controllers by LSI Logic ones on the same bus, disks and all."""
        devices = self.read(self._vm(vm), "config.hardware.device")["config.hardware.device"]
        Operation = vim.vm.device.VirtualDeviceSpec.Operation
        changes = []
        for number, old in enumerate(d for d in devices if isinstance(d, vim.vm.device.ParaVirtualSCSIController)):
            new = vim.vm.device.VirtualLsiLogicController(key=-100 - number, busNumber=old.busNumber, sharedBus=old.sharedBus)
            changes += [vim.vm.device.VirtualDeviceSpec(operation=Operation.remove, device=old),
                        vim.vm.device.VirtualDeviceSpec(operation=Operation.add, device=new)]
            for attached in (d for d in devices if getattr(d, "controllerKey", None) == old.key):
                attached.controllerKey = new.key
                changes.append(vim.vm.device.VirtualDeviceSpec(operation=Operation.edit, device=attached))
        if changes:
            self._reconfigure(vm, vim.vm.ConfigSpec(deviceChange=changes))

    def add_disk(self, vm: str, capacity_bytes: int, thin: bool = True, datastore: str | None = None, uuid: str | None = None) -> str:
        """Create a disk on the VM's first SCSI controller (in the VM's folder, or on that datastore; with that backing UUID,
        as ESXi gives every disk one); returns its label."""
        devices = self.read(self._vm(vm), "config.hardware.device")["config.hardware.device"]
        controller = next(d for d in devices if isinstance(d, vim.vm.device.VirtualSCSIController))
        used = {d.unitNumber for d in devices if getattr(d, "controllerKey", None) == controller.key}
        unit = next(number for number in range(16) if number not in used and number != 7)  # 7 is the controller's own
        backing = vim.vm.device.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent", thinProvisioned=thin,
                                                                 fileName=f"[{datastore}]" if datastore else "", uuid=uuid)
        disk = vim.vm.device.VirtualDisk(key=-1, controllerKey=controller.key, unitNumber=unit, backing=backing,
                                         capacityInKB=capacity_bytes // 1024)
        Operation = vim.vm.device.VirtualDeviceSpec
        change = Operation(operation=Operation.Operation.add, fileOperation=Operation.FileOperation.create, device=disk)
        self._reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[change]))
        devices = self.read(self._vm(vm), "config.hardware.device")["config.hardware.device"]
        added = next(d for d in devices if isinstance(d, vim.vm.device.VirtualDisk) and d.controllerKey == controller.key and d.unitNumber == unit)
        return added.deviceInfo.label

    def disk_labels(self, vm: str) -> list[str]:
        devices = self.read(self._vm(vm), "config.hardware.device")["config.hardware.device"]
        return [d.deviceInfo.label for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]

    def move_to_folder(self, vm: str, folder: str) -> None:
        """Move the VM into a VM folder of the datacenter, created if needed (vCenter names are unique per folder)."""
        datacenter = self.find(vim.Datacenter, self.datacenter_name())
        root = self.read(datacenter, "vmFolder")["vmFolder"]
        existing = [obj for obj, props in self.inventory(vim.Folder, "name") if props["name"] == folder]
        target = existing[0] if existing else root.CreateFolder(folder)
        self._wait(target.MoveIntoFolder_Task([self._vm(vm)]))

    def set_guest_id(self, vm: str, guest_id: str) -> None:
        self._reconfigure(vm, vim.vm.ConfigSpec(guestId=guest_id))

    def set_uuids(self, vm: str, bios_uuid: str | None = None, instance_uuid: str | None = None) -> None:
        """The VM's BIOS UUID (config.uuid) and vCenter instance UUID, as a copied or cloned-from-one-template VM has them."""
        self._reconfigure(vm, vim.vm.ConfigSpec(uuid=bios_uuid, instanceUuid=instance_uuid))

    def uuids(self, vm: str) -> tuple[str, str]:
        found = self.read(self._vm(vm), "config.uuid", "config.instanceUuid")
        return found["config.uuid"], found["config.instanceUuid"]

    def set_memory_mb(self, vm: str, mb: int) -> None:
        self._reconfigure(vm, vim.vm.ConfigSpec(memoryMB=mb))

    # --- roles and permissions

    def add_role(self, name: str, privileges: list[str]) -> int:
        """Create a role; returns its id. System.Anonymous/View/Read are always part of it."""
        return self.content.authorizationManager.AddAuthorizationRole(name=name, privIds=privileges)

    def _entity(self, entity: str) -> Any:
        if entity == "root":
            return self.content.rootFolder
        if entity == "datacenter":
            return self._first_datacenter()[0]
        return self.find(PERMISSION_ENTITY_TYPES, entity)

    def set_permission(self, entity: str, principal: str, role_id: int, propagate: bool = True, group: bool = False) -> None:
        """Give principal the role on entity: "root", "datacenter" (the first one) or any
        inventory name. Other principals' permissions on the entity stay."""
        permission = vim.AuthorizationManager.Permission(
            principal=principal, group=group, roleId=role_id, propagate=propagate
        )
        self.content.authorizationManager.SetEntityPermissions(entity=self._entity(entity), permission=[permission])

    # --- licences

    def add_license(self, key: str, edition_key: str, name: str) -> str:
        """Add a licence to vCenter's inventory; the lab simulator takes edition and name from labels."""
        labels = [vim.KeyValue(key=EDITION_KEY_LABEL, value=edition_key), vim.KeyValue(key=NAME_LABEL, value=name)]
        return self.content.licenseManager.AddLicense(licenseKey=key, labels=labels).licenseKey

    def assign_license(self, host: str, key: str) -> None:
        """Assign an added licence to a host (e.g. the free vSphere Hypervisor one); a standalone ESXi host (the
        simulator started with esx=True) takes it as its own, as ESXi does."""
        if self.content.about.apiType == "HostAgent":
            self.content.licenseManager.UpdateLicense(licenseKey=key)
            return
        manager = self.read(self.content.licenseManager, "licenseAssignmentManager")["licenseAssignmentManager"]
        manager.UpdateAssignedLicense(entity=self._moref(vim.HostSystem, host), licenseKey=key, entityDisplayName=host)

    # --- datastores

    def _host_datastore_system(self, host: str) -> Any:
        path = "configManager.datastoreSystem"
        return self.read(self.find(vim.HostSystem, host), path)[path]

    def _lab_directory(self, *parts: str) -> Path:
        """A directory in the simulator's work dir (its datastores are local directories)."""
        directory = self.sim.work_dir.joinpath(*parts)
        directory.mkdir(parents=True, exist_ok=True)
        return directory

    def create_local_datastore(self, host: str, name: str, path: str | None = None) -> str:
        """A datastore only this host sees, backed by a local directory; returns its moref value."""
        directory = path or str(self._lab_directory("local", name))
        return self._host_datastore_system(host).CreateLocalDatastore(name=name, path=directory)._moId

    def create_nfs_datastore(self, name: str, hosts: list[str]) -> str:
        """An NFS datastore mounted read-write on the given hosts; returns its moref value.

        The simulator creates it on the first host (it would make a separate object per host),
        the /lab API mounts it on the others.
        """
        spec = vim.host.NasVolume.Specification(
            remoteHost="127.0.0.1",
            remotePath=f"/exports/{name}",
            localPath=str(self._lab_directory("nfs", name)),  # the simulator names it after the last part
            accessMode=vim.host.MountInfo.AccessMode.readWrite,
            type="NFS",
        )
        moref = self._host_datastore_system(hosts[0]).CreateNasDatastore(spec=spec)._moId
        self.set_datastore(name, host_mounts=[{"host": host} for host in hosts])
        return moref

    # --- the /lab API, by name

    def _lab(self, route: str, **fields: Any) -> None:
        self.sim.lab_post(route, {key: value for key, value in fields.items() if value is not None})

    def set_about(self, version: str | None = None, build: str | None = None, api_version: str | None = None) -> None:
        """vCenter's ServiceContent.about."""
        self._lab("about", version=version, build=build, api_version=api_version)

    def set_host(
        self,
        host: str,
        *,
        version: str | None = None,
        build: str | None = None,
        memory_size_bytes: int | None = None,
        memory_usage_mb: int | None = None,
        time_offset_seconds: float | None = None,
        connection_state: str | None = None,
    ) -> None:
        """ESXi product version/build, memory size and usage, the host clock's offset, and its connection state as
        vCenter reports it ("connected", "disconnected", "notResponding")."""
        self._lab(
            "host",
            moref=self._moref(vim.HostSystem, host),
            version=version,
            build=build,
            memory_size_bytes=memory_size_bytes,
            memory_usage_mb=memory_usage_mb,
            time_offset_seconds=time_offset_seconds,
            connection_state=connection_state,
        )

    def enter_maintenance_mode(self, host: str) -> None:
        self._wait(self.find(vim.HostSystem, host).EnterMaintenanceMode_Task(timeout=0))

    def set_vm_guest(
        self,
        vm: str,
        *,
        tools_running_status: str | None = None,
        guest_family: str | None = None,
        guest_id: str | None = None,
        net: list[dict[str, Any]] | None = None,
        gateway: str | None = None,
        dns: list[str] | None = None,
        hostname: str | None = None,
    ) -> None:
        """Guest info as VMware Tools reports it. net items: {"mac", "network", "dhcp",
        "ips": [{"ip", "prefix", "origin"}]}; it replaces guest.net."""
        self._lab(
            "vm",
            moref=self._moref(vim.VirtualMachine, vm),
            tools_running_status=tools_running_status,
            guest_family=guest_family,
            guest_id=guest_id,
            net=net,
            gateway=gateway,
            dns=dns,
            hostname=hostname,
        )

    def set_datastore(
        self,
        datastore: str,
        *,
        capacity_bytes: int | None = None,
        free_bytes: int | None = None,
        accessible: bool | None = None,
        type: str | None = None,
        host_mounts: list[dict[str, Any]] | None = None,
    ) -> None:
        """Datastore summary and per-host mounts. host_mounts items: {"host": <host name>,
        "access_mode": "readWrite"|"readOnly", "mounted": bool, "accessible": bool}; they
        replace datastore.host."""
        mounts = None
        if host_mounts is not None:
            hosts = {props["name"]: obj._moId for obj, props in self.inventory(vim.HostSystem, "name")}
            unknown = sorted({mount["host"] for mount in host_mounts} - hosts.keys())
            if unknown:
                raise LookupError(f"no HostSystem named {', '.join(unknown)}")
            mounts = [{**mount, "host": hosts[mount["host"]]} for mount in host_mounts]
        self._lab(
            "datastore",
            moref=self._moref(vim.Datastore, datastore),
            capacity_bytes=capacity_bytes,
            free_bytes=free_bytes,
            accessible=accessible,
            type=type,
            host_mounts=mounts,
        )

    def set_disk_written(self, vm: str, label: str, written_bytes: int) -> None:
        """How much of a (thin) disk the guest has written: the size its extent takes on the datastore."""
        self._lab("disk", moref=self._moref(vim.VirtualMachine, vm), label=label, written_bytes=written_bytes)

    def set_clock(self, offset_seconds: float) -> None:
        """Move vCenter's clock (ServiceInstance.CurrentTime) by offset_seconds from real time."""
        self._lab("clock", offset_seconds=offset_seconds)

    # --- VMware Tools guest operations (the simulator's, see lab/vcsim/guest_ops.go)

    def set_guest_operations(self, vm: str, root: Path | None, username: str = "root", password: str = "guest-Secret-1") -> None:
        """Give the VM a simulated guest: `root` (a directory, e.g. one lab.guest.install_guest filled)
        stands for its file system, and only `username`/`password` may log in. None detaches it.

        Guest operations also need the VM powered on and VMware Tools running (set_vm_guest)."""
        if root is None:
            self._lab("guest", moref=self._moref(vim.VirtualMachine, vm), root="")
            return
        self._lab(
            "guest",
            moref=self._moref(vim.VirtualMachine, vm),
            root=str(Path(root).resolve()),
            username=username,
            password=password,
        )
