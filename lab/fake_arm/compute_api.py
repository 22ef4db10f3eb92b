"""Azure VMs with their instance view (power state, guest agent), as azure-mgmt-compute deserialises them: one VM (with
or without $expand=instanceView), its instance view alone, and a resource group's VMs listed in pages."""

from __future__ import annotations

from typing import Any

from failback.lab.fake_arm.routes import GROUP, SUBSCRIPTION, ArmError, Request, Response, iso, member, paged, resource_group, route
from failback.lab.fake_arm.state import ManagedDisk, VirtualMachine, managed_disk_id, utc_now

_VMS = "Microsoft.Compute/virtualMachines"
_POWER_DISPLAY = {"running": "VM running", "stopped": "VM stopped", "deallocated": "VM deallocated", "starting": "VM starting",
                  "stopping": "VM stopping", "deallocating": "VM deallocating"}


def render_instance_view(vm: VirtualMachine) -> dict[str, Any]:
    ready = vm.agent_status == "Ready"
    return {
        "computerName": vm.name,
        "osName": vm.os_type,
        "vmAgent": {
            "vmAgentVersion": vm.agent_version if ready else "Unknown",
            "statuses": [{"code": "ProvisioningState/succeeded" if ready else "ProvisioningState/Unavailable",
                          "level": "Info" if ready else "Warning", "displayStatus": vm.agent_status,
                          "message": "Guest Agent is running" if ready else "VM status blob is found but not yet populated.",
                          "time": iso(vm.started_at)}],
        },
        "statuses": [
            {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "time": iso(vm.started_at)},
            {"code": f"PowerState/{vm.power_state}", "level": "Info", "displayStatus": _POWER_DISPLAY.get(vm.power_state, vm.power_state)},
        ],
    }


def _storage_profile(vm: VirtualMachine) -> dict[str, Any]:
    """The OS disk and data disks with their managed disks and sizes, as Compute's GET of a VM shows them."""
    def disk(managed: ManagedDisk) -> dict[str, Any]:
        return {"name": managed.name, "createOption": "Attach", "diskSizeGB": managed.size_gb,
                "managedDisk": {"id": managed_disk_id(vm.id, managed.name), "storageAccountType": "Standard_LRS"}}

    os_disk = next((managed for managed in vm.disks if managed.lun is None), None)
    return {
        "osDisk": {"osType": vm.os_type, **(disk(os_disk) if os_disk else {"name": f"{vm.name}-osdisk", "createOption": "Attach"})},
        "dataDisks": [{"lun": managed.lun, **disk(managed)} for managed in vm.disks if managed.lun is not None],
    }


def render_vm(vm: VirtualMachine, with_instance_view: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "vmId": vm.id.rsplit("/", 1)[-1],
        "provisioningState": "Succeeded",
        "hardwareProfile": {"vmSize": vm.size},
        "storageProfile": _storage_profile(vm),
        "networkProfile": {"networkInterfaces": [{"id": nic_id, "properties": {"primary": index == 0}}
                                                 for index, nic_id in enumerate(vm.nic_ids)]},
    }
    if with_instance_view:
        properties["instanceView"] = render_instance_view(vm)
    return {"id": vm.id, "name": vm.name, "type": _VMS, "location": vm.location, "properties": properties}


@route("GET", GROUP + r"/providers/Microsoft\.Compute/virtualMachines")
def _list_vms(arm, request: Request) -> Response:
    """A resource group's VMs, their models only, in pages. As ARM documents, $expand=instanceView is honoured only with
    a $filter on a scale set (virtualMachineScaleSet/id eq ...), which no standalone VM matches: refused without one."""
    group = resource_group(arm, request)
    if request.query.get("$expand") and not request.query.get("$filter"):
        raise ArmError(400, "InvalidParameter", "The value of parameter '$expand' is not allowed without a valid '$filter' "
                                                "on 'virtualMachineScaleSet/id'.")
    return paged(request, [render_vm(vm, with_instance_view=False) for vm in group.vms.values()], arm.page_size)


@route("GET", GROUP + r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)")
def _get_vm(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    vm = member(group.vms, request.params["name"], _VMS, group)
    return Response(200, render_vm(vm, "instanceview" in request.query.get("$expand", "").lower()))


@route("GET", GROUP + r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)/instanceView")
def _get_instance_view(arm, request: Request) -> Response:
    group = resource_group(arm, request)
    return Response(200, render_instance_view(member(group.vms, request.params["name"], _VMS, group)))


@route("DELETE", GROUP + r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)")
def _delete_vm(arm, request: Request) -> Response:
    """Deleting a VM: done at once here (ARM answers 200 when the deletion is complete)."""
    group = resource_group(arm, request)
    vm = member(group.vms, request.params["name"], _VMS, group)
    group.vms.pop(vm.name)
    return Response(200, None)


@route("POST", GROUP + r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)/start")
def _start_vm(arm, request: Request) -> Response:
    """Starting a VM: it runs at once here, its guest agent ready (Azure answers 202, then 200 on the Location)."""
    group = resource_group(arm, request)
    vm = member(group.vms, request.params["name"], _VMS, group)
    vm.power_state, vm.agent_status, vm.started_at = "running", "Ready", utc_now()
    return Response(200, None)


# Real sizes' shapes (name, cores, memory), as Microsoft.Compute lists them per region.
VM_SIZES = (("Standard_D2s_v3", 2, 8192), ("Standard_D4s_v3", 4, 16384), ("Standard_D8s_v3", 8, 32768),
            ("Standard_D16s_v3", 16, 65536), ("Standard_F8s_v2", 8, 16384), ("Standard_A4_v2", 4, 8192))


@route("GET", SUBSCRIPTION + r"/providers/Microsoft\.Compute/locations/(?P<location>[^/]+)/vmSizes")
def _list_vm_sizes(arm, request: Request) -> Response:
    return Response(200, {"value": [{"name": name, "numberOfCores": cores, "memoryInMB": memory, "maxDataDiskCount": 2 * cores,
                                     "osDiskSizeInMB": 1047552, "resourceDiskSizeInMB": 16384 * cores // 2}
                                    for name, cores, memory in VM_SIZES]})
