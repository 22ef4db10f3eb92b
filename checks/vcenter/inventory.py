"""A read-only view over the vCenter facts that answers the questions checks ask: where a VM is, where it comes back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from failback.checks.facts import Facts
from failback.checks.site import MasterTarget, Vm

GIB = 1024**3


@dataclass(frozen=True)
class FoundVm:
    moref: str
    name: str
    host: str | None  # host moref
    power_state: str
    detail: dict[str, Any]  # everything the source gathered about the VM


class Inventory:
    """Built once per Facts (Inventory.of): its indexes answer each per-VM question in constant time at any VM count."""

    def __init__(self, facts: Facts):
        self.site = facts.site
        self.facts = facts.source("vcenter")
        self._vms_by_name: dict[str, list[FoundVm]] = {}
        for moref, vm in self.facts.get("vms", {}).items():
            self._vms_by_name.setdefault(vm["name"], []).append(FoundVm(moref, vm["name"], vm["host"], vm["power_state"], vm))
        self._host_morefs = _morefs_by_name(self.facts.get("hosts", {}))
        self._datastore_morefs = _morefs_by_name(self.facts.get("datastores", {}))

    @classmethod
    def of(cls, facts: Facts) -> Inventory:
        return facts.derived(cls)

    @property
    def vcenter_target(self) -> str:
        return f"vcenter:{self.facts['host']}"

    @property
    def standalone_host(self) -> bool:
        """The site's [vcenter] host is an ESXi host registered without vCenter (its API answers as a host agent)."""
        return self.facts["about"].get("api_type") == "HostAgent"

    @property
    def endpoint_kind(self) -> str:
        return "standalone ESXi host" if self.standalone_host else "vCenter"

    def vms_named(self, name: str) -> list[FoundVm]:
        return self._vms_by_name.get(name, [])

    def vm(self, name: str) -> FoundVm | None:
        """The VM of that name; with several, the first (name clashes are their own check)."""
        found = self.vms_named(name)
        return found[0] if found else None

    def host_name(self, moref: str | None) -> str | None:
        host = self.facts.get("hosts", {}).get(moref or "")
        return host["name"] if host else None

    def host_moref(self, name: str) -> str | None:
        return self._host_morefs.get(name)

    def datastore_moref(self, name: str) -> str | None:
        return self._datastore_morefs.get(name)

    def datastore_name(self, moref: str | None) -> str | None:
        ds = self.facts.get("datastores", {}).get(moref or "")
        return ds["name"] if ds else None

    def target_host(self, vm: Vm) -> str | None:
        """The moref of the host the VM comes back to: the site's choice, else the host it runs on today."""
        if vm.target_host:
            return self.host_moref(vm.target_host)
        found = self.vm(vm.name)
        return found.host if found else None

    def target_datastores(self, vm: Vm) -> list[str]:
        """Where the VM's disks come back: the site's [[vms]] datastore, else the datastores its disks are on today."""
        if vm.datastore:
            return [vm.datastore]
        found = self.vm(vm.name)
        if found is None:
            return []
        if "disks" in found.detail:
            return sorted({self.datastore_name(disk["datastore"]) for disk in found.detail["disks"]} - {None})
        # Its disk list was not read (no selected check weighs it): the datastores it uses, disks and home.
        return sorted({self.datastore_name(moref) for moref in found.detail.get("datastores", [])} - {None})

    def master_target_vm(self, master_target: MasterTarget) -> FoundVm | None:
        return self.vm(master_target.name)

    def involved_hosts(self) -> list[str]:
        """Hosts a failback touches: where site VMs and master targets run or come back, and the listed target hosts.

        With none of those known, every host of the datacenter, since any of them may receive a VM.
        """
        morefs: set[str] = set()
        for vm in self.site.vms:
            if (moref := self.target_host(vm)) is not None:
                morefs.add(moref)
        for mt in self.site.master_targets:
            found = self.master_target_vm(mt)
            if found and found.host:
                morefs.add(found.host)
        for name in self.site.vcenter.target_hosts:
            if (moref := self.host_moref(name)) is not None:
                morefs.add(moref)
        if not morefs:
            morefs = set(self.facts.get("hosts", {}))
        return sorted(morefs, key=lambda moref: self.host_name(moref) or moref)

    def host(self, moref: str) -> dict[str, Any]:
        return self.facts["hosts"][moref]

    def datastore(self, moref: str) -> dict[str, Any]:
        return self.facts["datastores"][moref]


def _morefs_by_name(objects: dict[str, dict[str, Any]]) -> dict[str, str]:
    """name -> moref; of namesakes the first, as a search in moref order finds it."""
    morefs: dict[str, str] = {}
    for moref, obj in objects.items():
        morefs.setdefault(obj["name"], moref)
    return morefs


# vSphere's "Other (32-bit)" and "Other (64-bit)" guest ids: they name no OS at all.
GENERIC_GUEST_IDS = {"otherguest", "otherguest64"}


def guest_family(detail: dict[str, Any]) -> str | None:
    """'windows' or 'linux' from what Tools reports, else from the configured guest id; None when neither tells."""
    family = (detail.get("guest_family") or "").lower()
    if family.startswith("windows"):
        return "windows"
    if family.startswith("linux"):
        return "linux"
    guest_id = (detail.get("guest_id") or "").lower()
    if not guest_id or guest_id in GENERIC_GUEST_IDS:
        return None
    return "windows" if guest_id.startswith("win") else "linux"
