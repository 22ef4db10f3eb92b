"""What failback's requests to ASR name, chosen from the facts: the process server, the master target, the datastore,
the retention volume, the reprotect agent, the policy, the storage account of each item's reprotect.

One place for each rule, so that the checks judging a choice (asr.failback_policy, mt.replication_group...) and
`failback run`'s requests (runner/asr_requests.py) agree on what it is. Nothing is "the first" of a list: where the
facts leave no single choice, NoChoice says which fact is missing and the remediation to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from failback.checks.azure.servers import process_server_problem, reprotect_agent_healthy
from failback.checks.azure.view import same_host
from failback.checks.facts import Facts
from failback.checks.site import Vm
from failback.checks.vcenter.inventory import Inventory, guest_family

# The policy a reprotect names, by the item's provider now: the failback policy toward on-premises, or the replication
# policy toward Azure again. ASR's portal creates both and associates them with the same protection container.
POLICY_PROVIDER = {"InMageAzureV2": "InMage", "InMage": "InMageAzureV2", "InMageRcm": "InMageRcmFailback",
                   "InMageRcmFailback": "InMageRcm"}
FAILBACK_POLICY_PROVIDERS = ("InMage", "InMageRcmFailback")
# Where a Linux or Windows master target keeps retention logs by ASR's own setup (mt.retention checks the same).
RETENTION_BY_OS = {"linux": "/mnt/retention", "windows": "R:"}


@dataclass(frozen=True)
class Chosen:
    """An id and why it is the one: the fact, and the check that judges it."""

    value: str
    name: str  # what the operator knows it as (mt01, policy-asr-failback)
    reason: str
    verified_by: str | None = None


class NoChoice(Exception):
    """The facts leave no single choice: what is missing, and the remediation to follow."""

    def __init__(self, missing: str, remediation_id: str):
        super().__init__(missing)
        self.missing, self.remediation_id = missing, remediation_id


class Choices:
    def __init__(self, facts: Facts):
        self.facts = facts
        self.site = facts.site
        self.azure = facts.sources.get("azure") or {}
        self.inventory = Inventory.of(facts) if "vcenter" in facts.sources else None

    # -- what ASR says -------------------------------------------------------------------------------------------------
    def item(self, name: str) -> dict[str, Any]:
        if self.azure.get("vault_failure"):
            raise NoChoice(self.azure["vault_failure"]["reason"], "azure-resource-names")
        found = [item for item in self.azure.get("items", []) if (item.get("friendly_name") or "").lower() == name.lower()]
        if len(found) != 1:
            what = "no protected item" if not found else f"{len(found)} protected items"
            raise NoChoice(f"the vault has {what} named {name}", "find-protected-item")
        return found[0]

    def fabric(self, item: dict[str, Any]) -> dict[str, Any]:
        fabric = next((fabric for fabric in self.azure.get("fabrics", []) if fabric["name"] == item["fabric"]), None)
        if fabric is None:
            raise NoChoice(f"the vault does not list fabric {item['fabric']} of {item['friendly_name']}", "review-asr-request")
        return fabric

    def vm(self, name: str) -> Vm:
        return next((vm for vm in self.site.vms if vm.name.lower() == name.lower()), None) or Vm(name=name)

    # -- process servers -------------------------------------------------------------------------------------------------
    def azure_process_server(self, fabric: dict[str, Any]) -> Chosen:
        """Classic failback: the process server in Azure the site names, not the on-prem one of replication to Azure."""
        wanted = self.site.process_server
        if wanted is None:
            raise NoChoice("the site file names no [process_server]: classic failback replicates through the process server in "
                           "Azure, in the failed-over VMs' network; name it (host = its address)", "set-azure-process-server")
        found = [server for server in fabric["process_servers"] if same_host(wanted.host, server["name"], *server["ip_addresses"])]
        if len(found) != 1:
            what = "no process server" if not found else f"{len(found)} process servers"
            raise NoChoice(f"{what} at {wanted.host} ([process_server] host) registered with the configuration server",
                           "set-azure-process-server")
        server = found[0]
        config_server = self.site.config_server
        if config_server is not None and same_host(config_server.ip or config_server.host, server["name"], *server["ip_addresses"]):
            raise NoChoice(f"[process_server] names {server['name']}, the configuration server's own process server on-premises: "
                           "failback needs the process server in Azure", "set-azure-process-server")
        self._healthy(server)
        return Chosen(server["id"], server["name"], f"the process server in Azure the site names ([process_server] host = {wanted.host})",
                      "ps.health")

    def appliance_process_server(self, fabric: dict[str, Any]) -> Chosen:
        """Modernized reprotect to Azure: the process server of the appliance the site names ([config_server])."""
        appliance = self.site.config_server
        if appliance is None:
            raise NoChoice("the site file names no [config_server] (the replication appliance): its process server replicates "
                           "the VMs to Azure again", "set-azure-process-server")
        found = [server for server in fabric["process_servers"]
                 if same_host(appliance.host, server["name"], *server["ip_addresses"]) or same_host(appliance.ip, *server["ip_addresses"])]
        if len(found) != 1:
            what = "no process server" if not found else f"{len(found)} process servers"
            raise NoChoice(f"{what} of the appliance {appliance.host} ([config_server]) registered in the vault", "set-azure-process-server")
        self._healthy(found[0])
        return Chosen(found[0]["id"], found[0]["name"],
                      f"the process server of the replication appliance the site names ([config_server] host = {appliance.host})",
                      "cs.health")

    def registered_process_server(self, fabric: dict[str, Any], wanted_id: str | None, reason: str) -> Chosen:
        """A process server by the id ASR recorded (replication to Azure before failback), still registered and healthy."""
        server = self._registered(fabric, "process_servers", wanted_id)
        self._healthy(server)
        return Chosen(server["id"], server["name"], reason, "cs.health")

    def registered_master_target(self, fabric: dict[str, Any], wanted_id: str | None, reason: str) -> Chosen:
        server = self._registered(fabric, "master_targets", wanted_id)
        return Chosen(server["id"], server["name"], reason, "cs.health")

    def _registered(self, fabric: dict[str, Any], kind: str, wanted_id: str | None) -> dict[str, Any]:
        role = "process server" if kind == "process_servers" else "master target"
        found = next((server for server in fabric[kind] if wanted_id and server["id"] == wanted_id), None)
        if found is None:
            problem = (f"ASR did not tell which {role} served replication to Azure before failback" if not wanted_id
                       else f"the {role} that served replication to Azure before failback ({wanted_id}) is no longer registered")
            raise NoChoice(problem, "set-azure-process-server")
        return found

    def _healthy(self, server: dict[str, Any]) -> None:
        problem = process_server_problem(self.facts, server)
        if problem:
            raise NoChoice(f"process server {server['name']}: {problem}", "restore-process-server-health")

    # -- master targets -----------------------------------------------------------------------------------------------------
    def vm_family(self, item: dict[str, Any]) -> tuple[str | None, str]:
        """The OS family of an item's VM ("windows" | "linux") and who told it: vCenter first, else ASR."""
        name = item["friendly_name"]
        if self.inventory is not None and (found := self.inventory.vm(name)) is not None and (family := guest_family(found.detail)):
            return family, "vCenter"
        return ((item.get("os_type") or "").lower() or None), "ASR"

    def master_target(self, fabric: dict[str, Any], item: dict[str, Any]) -> tuple[dict[str, Any], str, Chosen]:
        """The on-prem master target of the VM's OS family: the one the site assigns, else the only registered one of that
        family among the site's master targets (all registered ones when the site lists none). Returns the server as ASR
        lists it, the family, and the choice."""
        name = item["friendly_name"]
        family, told_by = self.vm_family(item)
        if family is None:
            raise NoChoice(f"the OS family of {name} is unknown to vCenter and ASR: the master target cannot be matched",
                           "match-master-target-os")
        registered = fabric["master_targets"]
        vm = self.vm(name)
        wanted = self.site.master_target_for(vm) if vm.master_target else None

        def registered_as(master_target) -> list[dict[str, Any]]:
            return [server for server in registered if same_host(master_target.name, server["name"])
                    or same_host(master_target.host, server["ip_address"])]

        if wanted is not None:
            candidates = registered_as(wanted)
            how = f"the master target the site assigns to {name} ([[vms]] master_target = {wanted.name})"
        elif self.site.master_targets:
            candidates = [server for mt in self.site.master_targets for server in registered_as(mt)]
            how = "the site's master target"
        else:
            candidates = list(registered)
            how = "the registered master target"
        matching = [server for server in candidates if (server.get("os_type") or "").lower() == family]
        if wanted is not None and candidates and not matching:
            raise NoChoice(f"{wanted.name} runs {candidates[0].get('os_type')}, {name} runs {family} ({told_by}): a master target "
                           "receives only its own OS family", "match-master-target-os")
        if len(matching) != 1:
            listed = ", ".join(f"{s['name']} ({s.get('os_type')})" for s in candidates) or "none"
            problem = (f"no master target of {name}'s OS family ({family}, told by {told_by}) is registered among {listed}" if not matching
                       else f"{len(matching)} master targets run {name}'s OS family ({family}): name one in [[vms]] master_target")
            raise NoChoice(problem, "match-master-target-os")
        server = matching[0]
        return server, family, Chosen(server["id"], server["name"], f"{how}; it runs {family} as {name} does ({told_by})", "mt.os_match")

    def retention_volume(self, server: dict[str, Any], family: str) -> Chosen:
        volumes = [volume["name"] for volume in server.get("retention_volumes", [])]
        configured = self.site.azure.retention_drive if self.site.azure else None
        if configured:
            if configured.lower() not in {volume.lower() for volume in volumes}:
                raise NoChoice(f"[azure] retention_drive = {configured} is not a retention volume of {server['name']} "
                               f"(ASR lists: {', '.join(volumes) or 'none'})", "prepare-retention-volume")
            return Chosen(configured, configured, f"[azure] retention_drive, a retention volume {server['name']} reports", "mt.retention")
        if len(volumes) == 1:
            return Chosen(volumes[0], volumes[0], f"the retention volume {server['name']} reports to ASR", "mt.retention")
        conventional = RETENTION_BY_OS.get(family)
        if conventional and conventional.lower() in {volume.lower() for volume in volumes}:
            return Chosen(conventional, conventional, f"the {family} retention volume ({conventional}) among those {server['name']} "
                                                      "reports", "mt.retention")
        if not volumes:
            raise NoChoice(f"{server['name']} reports no retention volume to ASR", "prepare-retention-volume")
        raise NoChoice(f"{server['name']} reports retention volumes {', '.join(volumes)}: set [azure] retention_drive", "prepare-retention-volume")

    # -- datastores and reprotect agents ------------------------------------------------------------------------------------
    def datastore(self, name: str) -> Chosen:
        """Where the VM comes back: the site's [[vms]] datastore, else the one datastore its disks are on in vCenter."""
        vm = self.vm(name)
        if vm.datastore:
            return Chosen(vm.datastore, vm.datastore, "[[vms]] datastore in the site file", "datastore.access")
        stores = self.inventory.target_datastores(vm) if self.inventory is not None else []
        if len(stores) != 1:
            found = self.inventory.vm(name) if self.inventory is not None else None
            why = (f"{name} is not in vCenter" if found is None else f"{name}'s disks are on {', '.join(stores)}" if stores
                   else f"vCenter shows no disk of {name}")
            raise NoChoice(f"{why}: name the datastore it comes back to in [[vms]] datastore", "set-target-datastore")
        return Chosen(stores[0], stores[0], f"where {name}'s disks are in vCenter", "datastore.access")

    def reprotect_agent(self, fabric: dict[str, Any], datastore: str, name: str) -> Chosen:
        """A healthy reprotect agent that sees the datastore (appliance.health); of several, the least loaded."""
        seeing = [agent for agent in fabric["reprotect_agents"]
                  if datastore.lower() in {store.lower() for store in agent.get("accessible_datastores", [])}]
        healthy = [agent for agent in seeing if reprotect_agent_healthy(self.facts, agent)]
        if not healthy:
            why = (f"only unhealthy reprotect agent {', '.join(a['name'] for a in seeing)} sees it" if seeing
                   else "no reprotect agent sees it (error 8061 at reprotect)")
            raise NoChoice(f"{datastore}, where {name} comes back: {why}", "restore-reprotect-agent")
        chosen = min(healthy, key=lambda agent: (agent.get("protected_item_count") or 0, agent["name"]))
        reason = f"a healthy reprotect agent that sees {datastore}"
        if len(healthy) > 1:
            reason += f", the least loaded of {', '.join(a['name'] for a in healthy)} ({chosen.get('protected_item_count') or 0} items)"
        return Chosen(chosen["id"], chosen["name"], reason, "appliance.health")

    # -- accounts -------------------------------------------------------------------------------------------------------------
    def log_storage(self, item: dict[str, Any]) -> Chosen:
        """Modernized reprotect toward on-premises: the cache storage account the item's disks log to."""
        name = item["friendly_name"]
        configured = self.site.azure.log_storage_account_id if self.site.azure else None
        if configured:
            return Chosen(configured, configured.rsplit("/", 1)[-1], "[azure] log_storage_account_id")
        accounts = item.get("log_storage_account_ids") or []
        if len(accounts) != 1:
            problem = (f"ASR reports no cache storage account for {name}'s disks" if not accounts
                       else f"{name}'s disks log to {len(accounts)} storage accounts ({', '.join(a.rsplit('/', 1)[-1] for a in accounts)})")
            raise NoChoice(f"{problem}: set [azure] log_storage_account_id", "set-log-storage-account")
        return Chosen(accounts[0], accounts[0].rsplit("/", 1)[-1],
                      f"the cache storage account {name}'s disks log to in ASR (InMageRcm protectedDisks.logStorageAccountId)")

    def run_as_account(self, fabric: dict[str, Any]) -> Chosen | None:
        """Classic: the account the site names, if it names one; it must be one the configuration server holds."""
        configured = self.site.azure.run_as_account_id if self.site.azure else None
        if not configured:
            return None
        accounts = fabric.get("run_as_accounts", [])
        found = next((account for account in accounts if configured in (account["id"], account["name"])), None)
        if found is None:
            raise NoChoice(f"[azure] run_as_account_id = {configured} is not an account of the configuration server (it holds: "
                           f"{', '.join(a['name'] for a in accounts) or 'none'})", "review-asr-request")
        return Chosen(found["id"], found["name"], "[azure] run_as_account_id, an account the configuration server holds")

    # -- policies ---------------------------------------------------------------------------------------------------------------
    def policy(self, item: dict[str, Any], wanted_provider: str, configured: str | None, key: str) -> Chosen:
        """The policy of a provider associated with the item's container; the site file may pick one of several, never one
        the vault does not hold or does not associate with the container."""
        if self.azure.get("policies_error"):
            raise NoChoice(self.azure["policies_error"]["reason"], "azure-access")
        policies = {policy["id"].lower(): policy for policy in self.azure.get("policies", [])}
        candidates = [policy for policy in self.associated_policies(item) if policy["provider"] == wanted_provider]
        direction = "failback" if wanted_provider in FAILBACK_POLICY_PROVIDERS else "replication to Azure"
        if configured:
            chosen = [policy for policy in candidates if configured.lower() in (policy["id"].lower(), policy["name"].lower())]
            if not chosen:
                held = next((policy for policy in policies.values() if configured.lower() in (policy["id"].lower(), policy["name"].lower())), None)
                why = ("the vault holds no such policy" if held is None
                       else f"it is a {held['provider']} policy" if held["provider"] != wanted_provider
                       else f"it is not associated with {item['friendly_name']}'s container {item['container']}")
                raise NoChoice(f"[azure] {key} = {configured}: {why}; a {direction} reprotect needs a {wanted_provider} policy "
                               "associated with that container", "associate-failback-policy")
            return Chosen(chosen[0]["id"], chosen[0]["name"],
                          f"[azure] {key}, a {wanted_provider} policy the vault associates with container {item['container']}")
        if len(candidates) != 1:
            problem = (f"the vault associates no {wanted_provider} policy with {item['friendly_name']}'s container {item['container']}"
                       if not candidates else
                       f"{len(candidates)} {wanted_provider} policies are associated with container {item['container']} "
                       f"({', '.join(p['name'] for p in candidates)}): name one in [azure] {key}")
            raise NoChoice(problem, "associate-failback-policy")
        policy = candidates[0]
        return Chosen(policy["id"], policy["name"], f"the {wanted_provider} policy ({direction}) the vault associates with container "
                                                    f"{item['container']}", "asr.failback_policy")

    def associated_policies(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The policies the vault associates with the item's protection container (its container mappings)."""
        policies = {policy["id"].lower(): policy for policy in self.azure.get("policies", [])}
        return [policies[mapping["policy_id"].lower()] for mapping in self.azure.get("container_mappings", [])
                if mapping.get("policy_id") and mapping["policy_id"].lower() in policies
                and (mapping.get("fabric") or "").lower() == (item["fabric"] or "").lower()
                and (mapping.get("container") or "").lower() == (item["container"] or "").lower()]
