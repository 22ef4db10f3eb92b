"""The guests as ASR and Azure see them: guest.network_manager, and the Azure half guest.ip_mode can add.

guest.ip_mode is registered by its vCenter half (checks/vcenter/guest_ip.py); `azure_addressing` gives what Azure and
ASR know for it: how the on-prem NIC got its address (ASR discovered it), and the Azure NIC's allocation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.view import AzureView
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

NETWORK_MANAGER = CheckMeta(
    id="guest.network_manager",
    title="Linux VMs that lost NetworkManager in Azure have it reinstalled after failback",
    severity=Severity.MEDIUM,
    gates=(Gate.AFTER_FAILBACK,),
    experiences=BOTH,
    sources=("azure",),
    why="Failover to Azure removes NetworkManager from Linux guests; back on-premises, a VM whose network it configured "
        "stays unreachable until it is reinstalled, a step no recovery plan can script.",
    remediation="reinstall-network-manager",
)


@register(NETWORK_MANAGER)
def guest_network_manager(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    for item in view.items:
        name = item["friendly_name"]
        os_type = (item.get("os_type") or "").lower()
        evidence = {"os_type": item.get("os_type"), "distro": item.get("distro")}
        if os_type == "windows":
            yield Result(NETWORK_MANAGER.id, f"vm:{name}", Status.PASS, f"{name} runs Windows: nothing to reinstall", evidence)
        elif os_type == "linux":
            distro = f" ({item['distro']})" if item.get("distro") else ""
            yield Result(NETWORK_MANAGER.id, f"vm:{name}", Status.WARN,
                         f"{name} runs Linux{distro}: once it is back on-premises, reinstall NetworkManager and check its network", evidence)
        else:
            yield Result(NETWORK_MANAGER.id, f"vm:{name}", Status.WARN,
                         f"ASR does not tell the OS of {name}: if it is Linux, reinstall NetworkManager after failback", evidence)


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
