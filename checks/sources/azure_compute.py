"""Azure VMs as facts: their model (where, which OS and size, which NICs, their disks' sizes) and their run-time status
(power state, the guest agent, when they last started), which ARM serves apart: a resource group's VMs are listed with
their models, while the run-time status comes from each VM's instance view."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from failback.checks.sources.azure_values import moment, ref, text, when, wire


def _status(statuses: Any, prefix: str) -> Any:
    return next((status for status in statuses if str(wire(status, "code") or "").startswith(prefix)), None)


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
    """From a VirtualMachineInstanceView (None: ARM gave none), read by wire names: one call per VM, a thousand on a
    large site."""
    statuses = [status for status in wire(view, "statuses") or [] if isinstance(status, Mapping)]
    power = _status(statuses, "PowerState/")
    provisioned = _status(statuses, "ProvisioningState/")
    agent = wire(view, "vmAgent")
    agent_status = next((status for status in wire(agent, "statuses") or [] if isinstance(status, Mapping)), None)
    return {
        "power_state": str(power["code"]).split("/", 1)[1] if power else None,
        "started": when(moment(wire(provisioned, "time"))),
        "agent": {
            "status": text(wire(agent_status, "displayStatus")),
            "version": text(wire(agent, "vmAgentVersion")),
            "message": text(wire(agent_status, "message")),
        },
    }


def vm_facts(vm: Any) -> dict[str, Any]:
    """A VM read with its instance view (GET ...?$expand=instanceView)."""
    return {**vm_model_facts(vm), **vm_status_facts(vm.instance_view)}
