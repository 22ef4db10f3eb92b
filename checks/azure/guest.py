"""The guests as ASR and Azure see them: the Azure half guest.ip_mode can add.

guest.ip_mode is registered by its vCenter half (checks/vcenter/guest_ip.py); `azure_addressing` gives what Azure and
ASR know for it: how the on-prem NIC got its address (ASR discovered it), and the Azure NIC's allocation.
(guest.network_manager looks inside the guest: checks/vcenter/network_manager.py.)
"""

from __future__ import annotations

from typing import Any

from failback.checks.azure.view import AzureView
from failback.checks.facts import Facts


def azure_addressing(facts: Facts, vm_name: str) -> dict[str, Any] | None:
    """For guest.ip_mode: the on-prem NIC's address type as ASR discovered it, the Azure NIC's private IP allocation, and
    the OS family ASR replicates ("windows" | "linux" | None)."""
    view = AzureView.of_vault(facts)
    if view is None:
        return None
    item = view.item_named(vm_name)
    if item is None:
        return None
    azure_nics = []
    vm = view.vm(item.get("azure_vm_id"))
    for nic_id in (vm or {}).get("nic_ids", []):
        nic = view.nic(nic_id)
        for config in (nic or {}).get("ip_configurations", []):
            azure_nics.append({"nic": nic["name"], "private_ip": config["private_ip"], "allocation": config["allocation"]})
    return {"source_nics": item.get("source_nics", []), "azure_nics": azure_nics, "os_family": (item.get("os_type") or "").lower() or None}
