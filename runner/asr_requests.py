"""The requests `failback run` sends to ASR, each id in them chosen from a fact the preflight verified.

For each ASR step this builds the REST body ASR takes (api-version 2025-08-01, the one azure-mgmt-recoveryservices-
siterecovery 2.0.0 speaks) and, beside every id in it, what it stands for and why it is the right one: the fact, and
the check that judged it. Nothing is "the first" of a list: where the facts leave no single verified choice, the
request is Unresolved, naming the missing fact and its remediation, and `run --apply` refuses before any write.

The reprotect input follows the item's current provider (FAILBACK.md's table, as Azure PowerShell's
Update-AzRecoveryServicesAsrProtectionDirection chooses it); failover is unplanned on classic sites and planned on
modernized ones; a commit takes no body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from failback.checks.azure.servers import reprotect_agent_healthy
from failback.checks.azure.view import same_host
from failback.checks.facts import Facts
from failback.checks.model import Experience
from failback.checks.site import Site, Vm
from failback.checks.vcenter.inventory import Inventory, guest_family
from failback.runner.plan import FORWARD_PROVIDER, REVERSE_PROVIDER, Step, StepKind

RECOVERY_POINT = {
    # the site's choice -> (classic unplanned failover's type, modernized planned failover's type)
    "latest": ("LatestTime", "CrashConsistent"),
    "app-consistent": ("LatestTag", "ApplicationConsistent"),
    "crash-consistent": ("LatestTime", "CrashConsistent"),
}
# The policy each reprotect names, by the provider of the item now: the failback policy toward on-premises, or the
# replication policy toward Azure again. ASR's portal creates both and associates them with the same container.
POLICY_PROVIDER = {"InMageAzureV2": "InMage", "InMage": "InMageAzureV2", "InMageRcm": "InMageRcmFailback",
                   "InMageRcmFailback": "InMageRcm"}
# Where a Linux or Windows master target keeps retention logs by ASR's own setup (mt.retention checks the same).
RETENTION_BY_OS = {"linux": "/mnt/retention", "windows": "R:"}


@dataclass(frozen=True)
class Choice:
    """One id of a request: its value, what it stands for, and the verified fact that makes it the right one."""

    field: str  # the property in the body, e.g. masterTargetId
    value: str
    name: str  # what the operator knows it as (mt01, policy-asr-failback)
    reason: str  # the fact, and the check that judged it
    verified_by: str | None = None  # the check id whose pass the choice rests on


@dataclass(frozen=True)
class AsrRequest:
    """A write to ASR, exactly as it will be sent."""

    step: str
    operation: str  # reProtect | unplannedFailover | plannedFailover | failoverCommit
    target: str  # item:<name> or plan:<name>
    path: str  # below the vault: replicationFabrics/.../replicationProtectedItems/<item>/reProtect
    body: dict[str, Any] | None
    choices: tuple[Choice, ...] = ()
    item: str | None = None  # the protected item's ARM name (for item operations)
    fabric: str | None = None
    container: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {"step": self.step, "operation": self.operation, "target": self.target, "method": "POST", "path": self.path,
                "body": self.body, "choices": [vars(choice) for choice in self.choices]}


class Unresolved(Exception):
    """No verified choice exists for an id of a request: what is missing, and what to do."""

    def __init__(self, step: str, missing: str, remediation_id: str):
        super().__init__(missing)
        self.step, self.missing, self.remediation_id = step, missing, remediation_id

    def to_document(self) -> dict[str, Any]:
        return {"step": self.step, "unresolved": self.missing, "remediation": self.remediation_id}


@dataclass
class RequestPlanner:
    """Builds the requests of a run's ASR steps from one collection of facts (a gate's, or the plan's)."""

    facts: Facts
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)  # item name -> ASR's settings before failback

    def __post_init__(self) -> None:
        self.site: Site = self.facts.site
        self.azure = self.facts.sources.get("azure") or {}
        self.inventory = Inventory(self.facts) if "vcenter" in self.facts.sources else None

    # -- the request of a step -------------------------------------------------------------------------------------------
    def request(self, step: Step, preview: bool = False) -> AsrRequest:
        """The step's request. A preview (`run --plan` showing a later phase) builds it as if the item had reached the
        provider the step starts from; the run itself never sends a preview."""
        if step.kind not in StepKind.ASR:
            raise ValueError(f"{step.id} is not an ASR step")
        if step.recovery_plan:
            return self._plan_request(step)
        item = self._item(step, step.items[0])
        if step.kind in (StepKind.REPROTECT, StepKind.REPROTECT_BACK):
            if preview:
                item = {**item, "provider": self._starting_provider(step)}
            return self._reprotect(step, item)
        if step.kind == StepKind.FAILOVER:
            return self._item_request(step, item, *self._failover_body())
        return self._item_request(step, item, "failoverCommit", None)

    def _item_request(self, step: Step, item: dict[str, Any], operation: str, body: dict[str, Any] | None,
                      choices: tuple[Choice, ...] = ()) -> AsrRequest:
        path = (f"replicationFabrics/{item['fabric']}/replicationProtectionContainers/{item['container']}/"
                f"replicationProtectedItems/{item['name']}/{operation}")
        return AsrRequest(step.id, operation, f"item:{item['friendly_name']}", path, body, choices, item["name"], item["fabric"],
                          item["container"])

    def _plan_request(self, step: Step) -> AsrRequest:
        name = step.recovery_plan
        path = f"replicationRecoveryPlans/{name}"
        if step.kind == StepKind.COMMIT:
            return AsrRequest(step.id, "failoverCommit", f"plan:{name}", f"{path}/failoverCommit", None)
        if step.kind != StepKind.FAILOVER:
            raise Unresolved(step.id, f"recovery plan {name}: ASR does not reprotect a plan of these providers; reprotect its items",
                             "review-asr-request")
        classic_type, modernized_type = RECOVERY_POINT[self._recovery_point()]
        if self.site.experience is Experience.MODERNIZED:
            body = {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": [
                {"instanceType": "InMageRcmFailback", "recoveryPointType": modernized_type, "useMultiVmSyncPoint": "Enable"}]}}
            return AsrRequest(step.id, "plannedFailover", f"plan:{name}", f"{path}/plannedFailover", body)
        body = {"properties": {"failoverDirection": "RecoveryToPrimary", "sourceSiteOperations": SOURCE_SITE_OPERATIONS,
                               "providerSpecificDetails": [{"instanceType": "InMage", "recoveryPointType": classic_type}]}}
        return AsrRequest(step.id, "unplannedFailover", f"plan:{name}", f"{path}/unplannedFailover", body)

    def _recovery_point(self) -> str:
        return self.site.azure.recovery_point if self.site.azure else "latest"

    def _failover_body(self) -> tuple[str, dict[str, Any]]:
        classic_type, modernized_type = RECOVERY_POINT[self._recovery_point()]
        if self.site.experience is Experience.MODERNIZED:
            return "plannedFailover", {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
                "instanceType": "InMageRcmFailback", "recoveryPointType": modernized_type}}}
        return "unplannedFailover", {"properties": {"failoverDirection": "RecoveryToPrimary", "sourceSiteOperations": SOURCE_SITE_OPERATIONS,
                                                    "providerSpecificDetails": {"instanceType": "InMage", "recoveryPointType": classic_type}}}

    # -- what ASR says ---------------------------------------------------------------------------------------------------
    def _item(self, step: Step, name: str) -> dict[str, Any]:
        if self.azure.get("vault_failure"):
            raise Unresolved(step.id, self.azure["vault_failure"]["reason"], "azure-resource-names")
        found = [item for item in self.azure.get("items", []) if (item.get("friendly_name") or "").lower() == name.lower()]
        if len(found) != 1:
            what = "no protected item" if not found else f"{len(found)} protected items"
            raise Unresolved(step.id, f"the vault has {what} named {name}", "find-protected-item")
        return found[0]

    def _fabric(self, step: Step, item: dict[str, Any]) -> dict[str, Any]:
        fabric = next((fabric for fabric in self.azure.get("fabrics", []) if fabric["name"] == item["fabric"]), None)
        if fabric is None:
            raise Unresolved(step.id, f"the vault does not list fabric {item['fabric']} of {item['friendly_name']}", "review-asr-request")
        return fabric

    def _vm(self, name: str) -> Vm | None:
        return next((vm for vm in self.site.vms if vm.name.lower() == name.lower()), None)

    # -- reprotect ---------------------------------------------------------------------------------------------------------
    def _starting_provider(self, step: Step) -> str:
        experience = self.site.experience
        return FORWARD_PROVIDER[experience] if step.kind == StepKind.REPROTECT else REVERSE_PROVIDER[experience]

    def _reprotect(self, step: Step, item: dict[str, Any]) -> AsrRequest:
        provider = item["provider"]
        experience = self.site.experience
        expected = self._starting_provider(step)
        if provider != expected:
            direction = "toward on-premises" if step.kind == StepKind.REPROTECT else "to Azure again"
            raise Unresolved(step.id, f"{item['friendly_name']} is replicated by {provider or 'no provider'}; a reprotect {direction} on a "
                                      f"{experience.value} site starts from {expected} (see asr.item_state)", "prepare-protected-item")
        builder = {"InMageAzureV2": self._classic_failback, "InMage": self._classic_to_azure, "InMageRcm": self._modernized_failback,
                   "InMageRcmFailback": self._modernized_to_azure}[provider]
        direction, details, choices = builder(step, item)
        body = {"properties": {"failoverDirection": direction, "providerSpecificDetails": details}}
        return self._item_request(step, item, "reProtect", body, tuple(choices))

    def _classic_failback(self, step: Step, item: dict[str, Any]) -> tuple[str, dict[str, Any], list[Choice]]:
        fabric = self._fabric(step, item)
        name = item["friendly_name"]
        process_server = self._azure_process_server(step, fabric)
        master_target = self._master_target(step, fabric, item)
        datastore = self._datastore(step, name)
        if datastore.lower() not in {store["name"].lower() for store in master_target["server"].get("datastores", [])}:
            raise Unresolved(step.id, f"{master_target['server']['name']}'s host does not see datastore {datastore}, where {name} comes "
                                      f"back (ASR lists: {', '.join(s['name'] for s in master_target['server'].get('datastores', [])) or 'none'}; "
                                      "error 8061 at reprotect)", "mount-datastore")
        retention = self._retention_volume(step, master_target["server"], master_target["family"])
        policy = self._policy(step, item, self.site.azure.failback_policy_id, "failback_policy_id")
        details = {"instanceType": "InMage", "processServerId": process_server.value, "masterTargetId": master_target["choice"].value,
                   "retentionDrive": retention.value, "datastoreName": datastore, "profileId": policy.value}
        choices = [process_server, master_target["choice"], retention,
                   Choice("datastoreName", datastore, datastore, self._datastore_reason(name, datastore, master_target["server"]["name"]),
                          "datastore.access"),
                   policy]
        run_as = self._run_as_account(step, fabric)
        if run_as is not None:
            details["runAsAccountId"] = run_as.value
            choices.append(run_as)
        return "RecoveryToPrimary", details, choices

    def _classic_to_azure(self, step: Step, item: dict[str, Any]) -> tuple[str, dict[str, Any], list[Choice]]:
        fabric = self._fabric(step, item)
        name = item["friendly_name"]
        before = self.recorded.get(name.lower(), {})
        process_server = self._registered(step, fabric, "process_servers", before.get("process_server_id"), "processServerId",
                                          f"the process server {name} replicated to Azure through before failback (ASR's "
                                          "InMageAzureV2 processServerId, recorded in the run's plan)", "cs.health")
        master_target = self._registered(step, fabric, "master_targets", before.get("master_target_id"), "masterTargetId",
                                         f"the master target {name} replicated to Azure through before failback (ASR's "
                                         "InMageAzureV2 masterTargetId, recorded in the run's plan)", "cs.health")
        policy = self._policy(step, item, self.site.azure.reprotect_policy_id, "reprotect_policy_id")
        details: dict[str, Any] = {"instanceType": "InMageAzureV2", "processServerId": process_server.value,
                                   "masterTargetId": master_target.value, "policyId": policy.value}
        choices = [process_server, master_target, policy]
        for key, field_name, label in (("storage_account_id", "storageAccountId", "storage account"),
                                       ("log_storage_account_id", "logStorageAccountId", "log storage account")):
            chosen = self._account(step, name, getattr(self.site.azure, key), before.get(key), key, field_name, label)
            if chosen is not None:
                details[field_name] = chosen.value
                choices.append(chosen)
        run_as = self._run_as_account(step, fabric)
        if run_as is not None:
            details["runAsAccountId"] = run_as.value
            choices.append(run_as)
        return "RecoveryToPrimary", details, choices

    def _modernized_failback(self, step: Step, item: dict[str, Any]) -> tuple[str, dict[str, Any], list[Choice]]:
        fabric = self._fabric(step, item)
        name = item["friendly_name"]
        datastore = self._datastore(step, name)
        agent = self._reprotect_agent(step, fabric, datastore, name)
        logs = self._log_storage(step, item)
        policy = self._policy(step, item, self.site.azure.failback_policy_id, "failback_policy_id")
        details = {"instanceType": "InMageRcm", "reprotectAgentId": agent.value, "datastoreName": datastore,
                   "logStorageAccountId": logs.value, "policyId": policy.value}
        choices = [agent, Choice("datastoreName", datastore, datastore, self._datastore_reason(name, datastore, agent.name),
                                 "appliance.health"), logs, policy]
        return "RecoveryToPrimary", details, choices

    def _modernized_to_azure(self, step: Step, item: dict[str, Any]) -> tuple[str, dict[str, Any], list[Choice]]:
        fabric = self._fabric(step, item)
        name = item["friendly_name"]
        process_server = self._appliance_process_server(step, fabric)
        policy = self._policy(step, item, self.site.azure.reprotect_policy_id, "reprotect_policy_id")
        details: dict[str, Any] = {"instanceType": "InMageRcmFailback", "processServerId": process_server.value, "policyId": policy.value}
        choices = [process_server, policy]
        before = self.recorded.get(name.lower(), {})
        run_as = self.site.azure.run_as_account_id or before.get("run_as_account_id")
        if run_as:
            told = "[azure] run_as_account_id" if self.site.azure.run_as_account_id else \
                f"the account {name}'s replication to Azure used before failback (ASR's InMageRcm runAsAccountId, recorded in the run's plan)"
            details["runAsAccountId"] = run_as
            choices.append(Choice("runAsAccountId", run_as, run_as, told))
        # ASR's table (FAILBACK.md): the reverse modernized provider reprotects from the primary side.
        return "PrimaryToRecovery", details, choices

    # -- the ids ---------------------------------------------------------------------------------------------------------
    def _azure_process_server(self, step: Step, fabric: dict[str, Any]) -> Choice:
        """Classic failback: the process server in Azure the site names, not the on-prem one of replication to Azure."""
        wanted = self.site.process_server
        if wanted is None:
            raise Unresolved(step.id, "the site file names no [process_server]: classic failback replicates through the process "
                                      "server in Azure, in the failed-over VMs' network; name it (host = its address)", "set-azure-process-server")
        found = [server for server in fabric["process_servers"] if same_host(wanted.host, server["name"], *server["ip_addresses"])]
        if len(found) != 1:
            what = "no process server" if not found else f"{len(found)} process servers"
            raise Unresolved(step.id, f"{what} at {wanted.host} ([process_server] host) registered with the configuration server",
                             "set-azure-process-server")
        server = found[0]
        config_server = self.site.config_server
        if config_server is not None and same_host(config_server.ip or config_server.host, server["name"], *server["ip_addresses"]):
            raise Unresolved(step.id, f"[process_server] names {server['name']}, the configuration server's own process server "
                                      "on-premises: failback needs the process server in Azure", "set-azure-process-server")
        return Choice("processServerId", server["id"], server["name"],
                      f"the process server in Azure the site names ([process_server] host = {wanted.host})", "ps.health")

    def _appliance_process_server(self, step: Step, fabric: dict[str, Any]) -> Choice:
        """Modernized reprotect to Azure: the process server of the appliance the site names ([config_server])."""
        appliance = self.site.config_server
        if appliance is None:
            raise Unresolved(step.id, "the site file names no [config_server] (the replication appliance): its process server "
                                      "replicates the VMs to Azure again", "set-azure-process-server")
        found = [server for server in fabric["process_servers"]
                 if same_host(appliance.host, server["name"], *server["ip_addresses"]) or same_host(appliance.ip, *server["ip_addresses"])]
        if len(found) != 1:
            what = "no process server" if not found else f"{len(found)} process servers"
            raise Unresolved(step.id, f"{what} of the appliance {appliance.host} ([config_server]) registered in the vault",
                             "set-azure-process-server")
        return Choice("processServerId", found[0]["id"], found[0]["name"],
                      f"the process server of the replication appliance the site names ([config_server] host = {appliance.host})",
                      "cs.health")

    def _vm_family(self, name: str, item: dict[str, Any]) -> tuple[str | None, str]:
        if self.inventory is not None and (found := self.inventory.vm(name)) is not None and (family := guest_family(found.detail)):
            return family, "vCenter"
        return ((item.get("os_type") or "").lower() or None), "ASR"

    def _master_target(self, step: Step, fabric: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
        """The on-prem master target of the VM's OS family: the one the site assigns, else the only registered one of
        that family among the site's master targets (all registered ones when the site lists none)."""
        name = item["friendly_name"]
        family, told_by = self._vm_family(name, item)
        if family is None:
            raise Unresolved(step.id, f"the OS family of {name} is unknown to vCenter and ASR: the master target cannot be matched",
                             "match-master-target-os")
        registered = fabric["master_targets"]
        vm = self._vm(name)
        wanted = self.site.master_target_for(vm) if vm is not None and vm.master_target else None
        if wanted is not None:
            candidates = [server for server in registered if same_host(wanted.name, server["name"]) or same_host(wanted.host, server["ip_address"])]
            how = f"the master target the site assigns to {name} ([[vms]] master_target = {wanted.name})"
        elif self.site.master_targets:
            candidates = [server for server in registered if any(same_host(mt.name, server["name"]) or same_host(mt.host, server["ip_address"])
                                                                 for mt in self.site.master_targets)]
            how = "the site's master target"
        else:
            candidates = list(registered)
            how = "the registered master target"
        matching = [server for server in candidates if (server.get("os_type") or "").lower() == family]
        if wanted is not None and candidates and not matching:
            raise Unresolved(step.id, f"{wanted.name} runs {candidates[0].get('os_type')}, {name} runs {family} ({told_by}): a master "
                                      "target receives only its own OS family", "match-master-target-os")
        if len(matching) != 1:
            listed = ", ".join(f"{s['name']} ({s.get('os_type')})" for s in candidates) or "none"
            problem = (f"no master target of {name}'s OS family ({family}, told by {told_by}) is registered among {listed}" if not matching
                       else f"{len(matching)} master targets run {name}'s OS family ({family}): name one in [[vms]] master_target")
            raise Unresolved(step.id, problem, "match-master-target-os")
        server = matching[0]
        reason = f"{how}; it runs {family} as {name} does ({told_by})"
        return {"server": server, "family": family,
                "choice": Choice("masterTargetId", server["id"], server["name"], reason, "mt.os_match")}

    def _datastore(self, step: Step, name: str) -> str:
        """Where the VM comes back: the site's [[vms]] datastore, else the one datastore its disks are on in vCenter."""
        vm = self._vm(name) or Vm(name=name)
        if vm.datastore:
            return vm.datastore
        stores = self.inventory.target_datastores(vm) if self.inventory is not None else []
        if len(stores) != 1:
            found = self.inventory.vm(name) if self.inventory is not None else None
            why = (f"{name} is not in vCenter" if found is None else f"{name}'s disks are on {', '.join(stores)}" if stores
                   else f"vCenter shows no disk of {name}")
            raise Unresolved(step.id, f"{why}: name the datastore it comes back to in [[vms]] datastore", "set-target-datastore")
        return stores[0]

    def _datastore_reason(self, name: str, datastore: str, seen_by: str) -> str:
        vm = self._vm(name)
        where = "[[vms]] datastore in the site file" if vm is not None and vm.datastore else f"where {name}'s disks are in vCenter"
        return f"{where}; {seen_by} sees it"

    def _retention_volume(self, step: Step, server: dict[str, Any], family: str) -> Choice:
        volumes = [volume["name"] for volume in server.get("retention_volumes", [])]
        configured = self.site.azure.retention_drive
        if configured:
            if configured.lower() not in {volume.lower() for volume in volumes}:
                raise Unresolved(step.id, f"[azure] retention_drive = {configured} is not a retention volume of {server['name']} "
                                          f"(ASR lists: {', '.join(volumes) or 'none'})", "prepare-retention-volume")
            return Choice("retentionDrive", configured, configured, f"[azure] retention_drive, a retention volume {server['name']} reports", "mt.retention")
        conventional = RETENTION_BY_OS.get(family)
        if len(volumes) == 1:
            return Choice("retentionDrive", volumes[0], volumes[0], f"the retention volume {server['name']} reports to ASR", "mt.retention")
        if conventional and conventional.lower() in {volume.lower() for volume in volumes}:
            return Choice("retentionDrive", conventional, conventional,
                          f"the {family} retention volume ({conventional}) among those {server['name']} reports", "mt.retention")
        if not volumes:
            raise Unresolved(step.id, f"{server['name']} reports no retention volume to ASR", "prepare-retention-volume")
        raise Unresolved(step.id, f"{server['name']} reports retention volumes {', '.join(volumes)}: set [azure] retention_drive",
                         "prepare-retention-volume")

    def _reprotect_agent(self, step: Step, fabric: dict[str, Any], datastore: str, name: str) -> Choice:
        """A healthy reprotect agent that sees the datastore (appliance.health); of several, the least loaded."""
        seeing = [agent for agent in fabric["reprotect_agents"]
                  if datastore.lower() in {store.lower() for store in agent.get("accessible_datastores", [])}]
        healthy = [agent for agent in seeing if reprotect_agent_healthy(self.facts, agent)]
        if not healthy:
            why = (f"only unhealthy reprotect agent {', '.join(a['name'] for a in seeing)} sees it" if seeing
                   else "no reprotect agent sees it (error 8061 at reprotect)")
            raise Unresolved(step.id, f"{datastore}, where {name} comes back: {why}", "restore-reprotect-agent")
        chosen = min(healthy, key=lambda agent: (agent.get("protected_item_count") or 0, agent["name"]))
        reason = f"a healthy reprotect agent that sees {datastore}"
        if len(healthy) > 1:
            reason += f", the least loaded of {', '.join(a['name'] for a in healthy)} ({chosen.get('protected_item_count') or 0} items)"
        return Choice("reprotectAgentId", chosen["id"], chosen["name"], reason, "appliance.health")

    def _log_storage(self, step: Step, item: dict[str, Any]) -> Choice:
        name = item["friendly_name"]
        configured = self.site.azure.log_storage_account_id
        if configured:
            return Choice("logStorageAccountId", configured, configured.rsplit("/", 1)[-1], "[azure] log_storage_account_id")
        accounts = item.get("log_storage_account_ids") or []
        if len(accounts) != 1:
            problem = (f"ASR reports no cache storage account for {name}'s disks" if not accounts
                       else f"{name}'s disks log to {len(accounts)} storage accounts ({', '.join(a.rsplit('/', 1)[-1] for a in accounts)})")
            raise Unresolved(step.id, f"{problem}: set [azure] log_storage_account_id", "set-log-storage-account")
        return Choice("logStorageAccountId", accounts[0], accounts[0].rsplit("/", 1)[-1],
                      f"the cache storage account {name}'s disks log to in ASR (InMageRcm protectedDisks.logStorageAccountId)")

    def _account(self, step: Step, name: str, configured: str | None, recorded: str | None, key: str, field_name: str,
                 label: str) -> Choice | None:
        if configured:
            return Choice(field_name, configured, configured.rsplit("/", 1)[-1], f"[azure] {key}")
        if recorded:
            return Choice(field_name, recorded, recorded.rsplit("/", 1)[-1],
                          f"the {label} {name} replicated to Azure with before failback (ASR's InMageAzureV2 details, recorded in the run's plan)")
        return None

    def _registered(self, step: Step, fabric: dict[str, Any], kind: str, wanted_id: str | None, field_name: str, reason: str,
                    check: str) -> Choice:
        role = "process server" if kind == "process_servers" else "master target"
        found = next((server for server in fabric[kind] if wanted_id and server["id"] == wanted_id), None)
        if found is None:
            problem = (f"ASR did not tell which {role} served replication to Azure before failback" if not wanted_id
                       else f"the {role} that served replication to Azure before failback ({wanted_id}) is no longer registered")
            raise Unresolved(step.id, problem, "set-azure-process-server")
        return Choice(field_name, found["id"], found["name"], reason, check)

    def _run_as_account(self, step: Step, fabric: dict[str, Any]) -> Choice | None:
        """Classic: the account the site names, if it names one; it must be one the configuration server holds."""
        configured = self.site.azure.run_as_account_id
        if not configured:
            return None
        accounts = fabric.get("run_as_accounts", [])
        found = next((account for account in accounts if configured in (account["id"], account["name"])), None)
        if found is None:
            raise Unresolved(step.id, f"[azure] run_as_account_id = {configured} is not an account of the configuration server "
                                      f"(it holds: {', '.join(a['name'] for a in accounts) or 'none'})", "review-asr-request")
        return Choice("runAsAccountId", found["id"], found["name"], "[azure] run_as_account_id, an account the configuration server holds")

    def _policy(self, step: Step, item: dict[str, Any], configured: str | None, key: str) -> Choice:
        """The policy of the reprotect's direction associated with the item's container; the site file may pick one of
        several, never one the vault does not hold."""
        if self.azure.get("policies_error"):
            raise Unresolved(step.id, self.azure["policies_error"]["reason"], "azure-access")
        wanted_provider = POLICY_PROVIDER[item["provider"]]
        policies = {policy["id"].lower(): policy for policy in self.azure.get("policies", [])}
        mapped = [policies[mapping["policy_id"].lower()] for mapping in self.azure.get("container_mappings", [])
                  if mapping.get("policy_id") and mapping["policy_id"].lower() in policies
                  and (mapping.get("fabric") or "").lower() == (item["fabric"] or "").lower()
                  and (mapping.get("container") or "").lower() == (item["container"] or "").lower()]
        candidates = [policy for policy in mapped if policy["provider"] == wanted_provider]
        direction = "failback" if wanted_provider in ("InMage", "InMageRcmFailback") else "replication to Azure"
        if configured:
            chosen = [policy for policy in candidates if configured.lower() in (policy["id"].lower(), policy["name"].lower())]
            if not chosen:
                held = next((policy for policy in policies.values() if configured.lower() in (policy["id"].lower(), policy["name"].lower())), None)
                why = ("the vault holds no such policy" if held is None
                       else f"it is a {held['provider']} policy" if held["provider"] != wanted_provider
                       else f"it is not associated with {item['friendly_name']}'s container {item['container']}")
                raise Unresolved(step.id, f"[azure] {key} = {configured}: {why}; a {direction} reprotect needs a {wanted_provider} "
                                          f"policy associated with that container", "associate-failback-policy")
            return Choice("profileId" if wanted_provider == "InMage" else "policyId", chosen[0]["id"], chosen[0]["name"],
                          f"[azure] {key}, a {wanted_provider} policy the vault associates with container {item['container']}")
        if len(candidates) != 1:
            problem = (f"the vault associates no {wanted_provider} policy with {item['friendly_name']}'s container {item['container']}"
                       if not candidates else
                       f"{len(candidates)} {wanted_provider} policies are associated with container {item['container']} "
                       f"({', '.join(p['name'] for p in candidates)}): name one in [azure] {key}")
            raise Unresolved(step.id, problem, "associate-failback-policy")
        policy = candidates[0]
        return Choice("profileId" if wanted_provider == "InMage" else "policyId", policy["id"], policy["name"],
                      f"the {wanted_provider} policy ({direction}) the vault associates with container {item['container']}")


# Classic failback's unplanned failover asks ASR to shut the Azure VMs (the source side of a failback) down first, so
# their last writes replicate before the on-prem VMs take over: sourceSiteOperations "Required" is the portal's "Shut
# down machines before beginning failover" (Azure PowerShell's -PerformSourceSideAction). ASR goes on with the
# failover if the shutdown fails; "NotRequired" would leave the Azure VMs writing data the failover loses.
SOURCE_SITE_OPERATIONS = "Required"


def recorded_settings(facts: Facts) -> dict[str, dict[str, Any]]:
    """What ASR holds of each item's replication to Azure before failback, for the reprotect back to Azure: the item's
    forward provider details no longer show it once it replicates back. Recorded in the run's plan."""
    recorded = {}
    for item in (facts.sources.get("azure") or {}).get("items", []):
        if item.get("provider") in ("InMageAzureV2", "InMageRcm"):
            recorded[(item.get("friendly_name") or "").lower()] = {
                key: item.get(key) for key in ("process_server_id", "master_target_id", "storage_account_id", "run_as_account_id")
                if item.get(key)} | ({"log_storage_account_id": item["log_storage_account_ids"][0]}
                                     if len(item.get("log_storage_account_ids") or []) == 1 else {})
    return recorded
