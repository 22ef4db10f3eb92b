"""Azure VMs as facts: their model (where, which OS and size, which NICs, their disks' sizes) and their run-time status
(power state, the guest agent, when they last started), which ARM serves apart: a resource group's VMs are listed with
their models, while the run-time status comes from each VM's instance view."""

from __future__ import annotations

from typing import Any

from failback.checks.sources.azure_values import ref, text, when


def _status(statuses: Any, prefix: str) -> Any:
    return next((status for status in statuses or [] if (status.code or "").startswith(prefix)), None)


def vm_model_facts(vm: Any) -> dict[str, Any]:
    storage = vm.storage_profile
    return {
        "id": vm.id,
        "name": vm.name,
        "location": vm.location,
        "os_type": text(storage.os_disk.os_type) if storage and storage.os_disk else None,
        "size": text(vm.hardware_profile.vm_size) if vm.hardware_profile else None,
        "provisioning_state": text(vm.provisioning_state),
        "nic_ids": [nic.id for nic in (vm.network_profile.network_interfaces if vm.network_profile else None) or []],
        "disks": _disks(storage),
    }


def _disks(storage: Any) -> list[dict[str, Any]]:
    """The OS disk (lun None) and the data disks, with the managed disk each is and its size now."""
    if storage is None:
        return []
    attached = ([(None, storage.os_disk)] if storage.os_disk else []) + [(disk.lun, disk) for disk in storage.data_disks or []]
    return [{"name": disk.name, "id": ref(disk.managed_disk), "lun": lun, "size_gb": disk.disk_size_gb} for lun, disk in attached]


def vm_status_facts(view: Any) -> dict[str, Any]:
    """From a VirtualMachineInstanceView (None: ARM gave none)."""
    power = _status(view.statuses if view else None, "PowerState/")
    provisioned = _status(view.statuses if view else None, "ProvisioningState/")
    agent = view.vm_agent if view else None
    agent_status = (agent.statuses or [None])[0] if agent else None
    return {
        "power_state": power.code.split("/", 1)[1] if power else None,
        "started": when(provisioned.time) if provisioned else None,
        "agent": {
            "status": agent_status.display_status if agent_status else None,
            "version": agent.vm_agent_version if agent else None,
            "message": agent_status.message if agent_status else None,
        },
    }


def vm_facts(vm: Any) -> dict[str, Any]:
    """A VM read with its instance view (GET ...?$expand=instanceView)."""
    return {**vm_model_facts(vm), **vm_status_facts(vm.instance_view)}
