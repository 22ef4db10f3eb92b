"""azure.disk_resized: no disk of a VM failing back to its original location grew in Azure; and, for datastore.free_space,
how much each disk grew.

What is compared: ASR records each protected disk's size on-premises (InMageAzureV2 protectedDisks[].diskCapacityInBytes,
paired by diskId with protectedManagedDisks[].targetDiskName, the Azure disk's name; InMageRcm
protectedDisks[].capacityInBytes with targetManagedDiskId, the Azure disk's id); the Azure VM's storage profile gives each
managed disk's size now (osDisk and dataDisks: name, managedDisk.id, diskSizeGB). Failover creates Azure disks in whole
GiB, so a disk counts as resized only when it is larger than its on-premises size rounded up to the next GiB.

Failback to the original location writes each disk back into the on-premises disk it came from: a disk that grew no longer
fits, and only failback to an alternate location (a new VM with new disks) remains. Judged while the item runs in Azure
before reprotect, where that choice is made: once it replicates back, ASR's details no longer record the on-premises
sizes. A disk the Azure VM gained after failover is not replicated back and is not judged; a protected disk whose Azure
disk the VM does not show cannot be compared (a warning).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from failback.checks.azure.stages import Stage, stage_of
from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import GIB, Inventory

DISK_RESIZED = CheckMeta(
    id="azure.disk_resized",
    title="No disk of a VM failing back to its original location was resized in Azure",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="Failback to the original location writes each disk back into the on-premises disk it came from; a disk grown in "
        "Azure no longer fits it, and only failback to an alternate location (a new VM) works.",
    remediation="failback-to-alternate-location",
)
# Where ASR still records each disk's on-premises size and the reprotect that chooses the location is still to come.
BEFORE_REPROTECT = {Stage.IN_AZURE, Stage.FAILOVER_UNCOMMITTED}


@dataclass(frozen=True)
class DiskSizes:
    """A protected disk as ASR records it, and the Azure managed disk failover made of it (None: the VM does not show it)."""

    asr: dict[str, Any]
    azure: dict[str, Any] | None

    @property
    def on_prem_bytes(self) -> int:
        return self.asr.get("capacity_bytes") or 0

    @property
    def azure_bytes(self) -> int | None:
        size = (self.azure or {}).get("size_gb")
        return None if size is None else size * GIB

    @property
    def grown_bytes(self) -> int:
        """What the disk grew in Azure beyond its on-premises size (0 when it did not grow past the whole-GiB rounding)."""
        rounded_up = -(-self.on_prem_bytes // GIB) * GIB
        return self.azure_bytes - self.on_prem_bytes if self.azure_bytes is not None and self.azure_bytes > rounded_up else 0

    def describe(self) -> str:
        azure = f"{_gb(self.azure_bytes)} GB in Azure" if self.azure_bytes is not None else "not on the Azure VM"
        return f"{self.asr.get('name') or self.asr.get('id')}: {_gb(self.on_prem_bytes)} GB on-premises, {azure}"


def _gb(size: int) -> float:
    return round(size / GIB, 1)


def disk_sizes(item: dict[str, Any], vm: dict[str, Any]) -> list[DiskSizes]:
    """Each protected disk of the item with the Azure VM's disk it became, found by managed disk id or by name."""
    by_id = {disk["id"].lower(): disk for disk in vm.get("disks", []) if disk.get("id")}
    by_name = {disk["name"].lower(): disk for disk in vm.get("disks", []) if disk.get("name")}
    return [DiskSizes(disk, by_id.get((disk.get("azure_disk_id") or "").lower())
                      or by_name.get((disk.get("azure_disk_name") or "").lower())) for disk in item.get("protected_disks", [])]


def _recovery_location(view: AzureView, name: str) -> str:
    vm = next((vm for vm in view.site.vms if vm.name.lower() == name.lower()), None)
    return vm.recovery_location if vm else "original"


@register(DISK_RESIZED)
def azure_disk_resized(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    for item in view.items:
        yield _judge(view, item)


def _judge(view: AzureView, item: dict[str, Any]) -> Result:
    vm = view.item_vm(DISK_RESIZED.id, item, BEFORE_REPROTECT, "the disks are judged before reprotect")
    if isinstance(vm, Result):
        return vm
    name = item["friendly_name"]
    target = f"vm:{name}"
    if "error" in vm:
        return not_verified(DISK_RESIZED.id, target, vm["error"])
    location = _recovery_location(view, name)
    sizes = disk_sizes(item, vm)
    resized = [disk for disk in sizes if disk.grown_bytes]
    unpaired = [disk for disk in sizes if disk.azure_bytes is None]
    evidence = {"recovery_location": location, "azure_vm": vm["name"], "disks": [disk.describe() for disk in sizes],
                "resized": [disk.describe() for disk in resized], "not_compared": [disk.describe() for disk in unpaired]}
    grown = ", ".join(disk.describe() for disk in resized)
    if resized and location == "original":
        return Result(DISK_RESIZED.id, target, Status.FAIL,
                      f"{name} fails back to its original location, but disks grew in Azure ({grown}): they no longer fit the "
                      "on-premises disks; fail back to an alternate location", evidence)
    if resized:
        return Result(DISK_RESIZED.id, target, Status.PASS,
                      f"{name} fails back to an alternate location, where its new disks take the sizes they grew to in Azure ({grown})",
                      evidence)
    if not sizes or unpaired:
        what = "ASR records no protected disk" if not sizes else f"the Azure VM {vm['name']} does not show the disk of " + \
               ", ".join(disk.asr.get("name") or disk.asr.get("id") for disk in unpaired)
        return Result(DISK_RESIZED.id, target, Status.WARN, f"{name}: {what}; those sizes are not compared", evidence)
    return Result(DISK_RESIZED.id, target, Status.PASS, f"no disk of {name} was resized in Azure ({len(sizes)} disk(s) compared)", evidence)


# -- what datastore.free_space counts ----------------------------------------------------------------------------------------
def resized_in_azure(facts: Facts) -> dict[str, dict[str, int]]:
    """VM name -> {vCenter disk label -> bytes the disk grew in Azure}: datastore.free_space counts them where each lands.

    Which vCenter disk an ASR disk is, as far as the facts tell (a disk vCenter cannot be matched with keeps the key
    "ASR disk <name>", and placement counts it where the VM's first disk comes back):
    1. the vCenter disk whose backing UUID is ASR's disk id (modernized: the appliance discovers VMware disks by that
       UUID; compared without dashes and case);
    2. else the one vCenter disk, of those not matched yet, whose capacity is the on-premises size ASR recorded.
    Limits: classic disk ids are the guest's own (a disk signature, a device name) and match no vCenter UUID; two disks of
    one size cannot be told apart; a VM vCenter does not hold (a new VM at an alternate location) has no labels.
    """
    view = AzureView.of_vault(facts)
    if view is None:
        return {}
    inventory = Inventory.of(facts) if "vcenter" in facts.sources else None
    grown: dict[str, dict[str, int]] = {}
    for item in view.items:
        vm = view.vm(item.get("azure_vm_id"))
        if stage_of(item) not in BEFORE_REPROTECT or vm is None or "error" in vm:
            continue
        found = inventory.vm(item["friendly_name"]) if inventory is not None else None
        sizes = disk_sizes(item, vm)
        labels = _vcenter_labels([disk.asr for disk in sizes], found.detail.get("disks", []) if found else [])
        for disk, label in zip(sizes, labels, strict=True):
            if disk.grown_bytes:
                key = label or f"ASR disk {disk.asr.get('name') or disk.asr.get('id')}"
                grown.setdefault(item["friendly_name"], {})[key] = disk.grown_bytes
    return grown


def _bare_uuid(value: str | None) -> str:
    return "".join(char for char in (value or "").lower() if char.isalnum())


def _vcenter_labels(asr_disks: list[dict[str, Any]], vcenter_disks: list[dict[str, Any]]) -> list[str | None]:
    """The label of the vCenter disk each ASR disk is, in ASR's order; None where the rules of resized_in_azure find none."""
    by_uuid = {_bare_uuid(disk.get("uuid")): disk["label"] for disk in vcenter_disks if disk.get("uuid")}
    labels: list[str | None] = [by_uuid.get(_bare_uuid(disk.get("id"))) for disk in asr_disks]
    for index, disk in enumerate(asr_disks):
        if labels[index] is None:
            same_size = [found["label"] for found in vcenter_disks
                         if found["label"] not in labels and found.get("capacity_bytes") == disk.get("capacity_bytes")]
            labels[index] = same_size[0] if len(same_size) == 1 else None
    return labels
