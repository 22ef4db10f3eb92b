"""A read-only view over the Azure facts that answers what the checks ask: which items, which servers, which VM, how old."""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

from failback.checks.azure.stages import Stage, stage_of
from failback.checks.facts import Facts, FactsMissing
from failback.checks.model import Result, Status
from failback.checks.site import is_ip_address, normalise_host

# A failure about one named resource: a wrong name needs fixing in the site file, anything else Azure access.
NOT_FOUND_REMEDIATION = "azure-resource-names"
ACCESS_REMEDIATION = "azure-access"


class AzureView:
    """Built once per Facts (AzureView.of), so its indexes serve every check and every VM."""

    def __init__(self, facts: Facts):
        self.site = facts.site
        self.settings = facts.site.azure
        self.facts = facts.source("azure")
        self.collected_at = dt.datetime.fromisoformat(facts.collected_at)

    @classmethod
    def of(cls, facts: Facts) -> AzureView:
        return facts.derived(cls)

    @classmethod
    def of_vault(cls, facts: Facts) -> AzureView | None:
        """ASR's view for a check that only adds it to its own (mt.os_match, guest.ip_mode): None when the Azure facts
        or the vault could not be read."""
        if "azure" not in facts.sources or facts.site.azure is None:
            return None
        view = cls.of(facts)
        return None if view.facts.get("vault_failure") else view

    def _vault(self, part: str) -> Any:
        """A part of the facts read from the vault; a check reading it while the vault could not be read is not verified."""
        failure = self.facts.get("vault_failure")
        if failure:
            remediation = NOT_FOUND_REMEDIATION if failure["kind"] == "not_found" else ACCESS_REMEDIATION
            raise FactsMissing(failure["reason"], failure["kind"], "azure", "vault", remediation)
        return self.facts[part]

    @property
    def site_target(self) -> str:
        return f"site:{self.site.display_name}"

    # -- items -----------------------------------------------------------------------------------------------------------
    @property
    def items(self) -> list[dict[str, Any]]:
        """The protected items the failback is about, by name."""
        return self._vault("items")

    @property
    def reverse_items(self) -> list[dict[str, Any]]:
        """Every item of the vault replicating back, the failback's own or not (provider, location, servers, disk count)."""
        return self._vault("reverse_items")

    def item_named(self, name: str) -> dict[str, Any] | None:
        """The protected item of that friendly name (case-insensitive); with several, the first."""
        return self._items_by_name.get(name.lower())

    @cached_property
    def _items_by_name(self) -> dict[str, dict[str, Any]]:
        by_name: dict[str, dict[str, Any]] = {}
        for item in self.items:
            by_name.setdefault((item["friendly_name"] or "").lower(), item)
        return by_name

    def missing_vms(self) -> list[str]:
        """[[vms]] names no protected item of the vault carries."""
        found = {(item["friendly_name"] or "").lower() for item in self.items}
        return [vm.name for vm in self.site.vms if vm.name.lower() not in found]

    @property
    def plan(self) -> dict[str, Any] | None:
        return self._vault("recovery_plan")

    # -- servers ---------------------------------------------------------------------------------------------------------
    @property
    def fabrics(self) -> list[dict[str, Any]]:
        return self._vault("fabrics")

    @property
    def vcenters(self) -> list[dict[str, Any]]:
        """Classic: the vCenters the configuration server discovers, as the vault records them."""
        return self._vault("vcenters")

    def servers(self, kind: str) -> list[dict[str, Any]]:
        """Every fabric's process_servers, master_targets, appliances or reprotect_agents, each with its fabric's name."""
        return [{**server, "fabric": fabric["friendly_name"]} for fabric in self.fabrics for server in fabric.get(kind, [])]

    def config_servers(self) -> list[dict[str, Any]]:
        return [{**fabric["config_server"], "fabric": fabric["friendly_name"], "fabric_health_errors": fabric["health_errors"]}
                for fabric in self.fabrics if fabric.get("config_server")]

    @property
    def path_sources(self) -> list[str]:
        """The Azure VMs to test the path from: those [azure] path_from names, else one failed-over VM of the vault."""
        return self.facts["path_sources"] if self.settings.path_from else self._vault("path_sources")

    # -- Azure VMs and their network -------------------------------------------------------------------------------------
    def vm(self, vm_id: str | None) -> dict[str, Any] | None:
        return self.facts["azure_vms"].get(vm_id.lower()) if vm_id else None

    def item_vm(self, check_id: str, item: dict[str, Any], stages: set[Stage], skipped_because: str) -> dict[str, Any] | Result:
        """The facts of the item's Azure VM (an "error" in them when reading it failed) where its stage is one of `stages`;
        else the result saying why the check judges no VM of it: not at such a stage (skipped, `skipped_because`), the VM
        unnamed by ASR (a warning), the VM not read."""
        name = item["friendly_name"]
        target = f"vm:{name}"
        stage = stage_of(item)
        if stage not in stages:
            return Result(check_id, target, Status.SKIP, f"{name} is {stage.value}: {skipped_because}")
        if not item.get("azure_vm_id"):
            return Result(check_id, target, Status.WARN,
                          f"ASR does not name the Azure VM of {name} ({item['provider']}): set [azure] vm_resource_group to check it")
        vm = self.vm(item["azure_vm_id"])
        if vm is None:
            return Result(check_id, target, Status.ERROR, f"not verified: the Azure VM of {name} was not read")
        return vm

    def nic(self, nic_id: str) -> dict[str, Any] | None:
        return self.facts["nics"].get(nic_id.lower())

    def nic_failure(self, nic_id: str) -> dict[str, str] | None:
        """Why a NIC's facts are missing: the listing of its resource group failed."""
        parts = nic_id.strip("/").split("/")
        return self.facts["nic_group_errors"].get(f"{parts[1]}/{parts[3]}".lower()) if len(parts) > 3 else None

    def security(self, nic: dict[str, Any]) -> dict[str, Any] | None:
        return self.facts["security"].get(nic.get("security_key") or "")

    # -- time ------------------------------------------------------------------------------------------------------------
    def minutes_since(self, timestamp: str | None) -> float | None:
        if not timestamp:
            return None
        return (self.collected_at - dt.datetime.fromisoformat(timestamp)).total_seconds() / 60

    def ago(self, timestamp: str | None) -> str:
        age = self.minutes_since(timestamp)
        return "never" if age is None else f"{_duration(max(age, 0))} ago"

    def heartbeat_problem(self, timestamp: str | None, what: str) -> str | None:
        """Why a heartbeat is not recent enough, or None when it is."""
        age = self.minutes_since(timestamp)
        limit = self.site.policy.heartbeat_max_age_minutes
        if age is None:
            return f"{what} has never sent a heartbeat"
        if age > limit:
            return f"{what} last sent a heartbeat {_duration(age)} ago ({timestamp}; allowed {limit} min)"
        return None


def _duration(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def same_host(name: str | None, *candidates: str | None) -> bool:
    """A site-file host (name or address) names a server ASR lists by name, FQDN or address; names match on their first
    label too (cs01 is cs01.contoso.local)."""
    if not name:
        return False
    wanted = normalise_host(name)
    for candidate in filter(None, candidates):
        found = normalise_host(candidate)
        if found == wanted:
            return True
        if not is_ip_address(found) and not is_ip_address(wanted) and found.split(".")[0] == wanted.split(".")[0]:
            return True
    return False


def not_verified(check_id: str, target: str, failure: dict[str, str]) -> Result:
    """A resource the check needed could not be read: say why, and point at the names or at Azure access."""
    remediation = NOT_FOUND_REMEDIATION if failure["kind"] == "not_found" else ACCESS_REMEDIATION
    return Result(check_id, target, Status.ERROR, f"not verified: {failure['reason']}", {"failure": failure["kind"], "reason": failure["reason"]},
                  remediation_id=remediation)
