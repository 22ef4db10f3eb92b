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

from failback.checks.azure.choices import POLICY_PROVIDER, Choices, Chosen, NoChoice
from failback.checks.facts import Facts
from failback.checks.model import Experience
from failback.checks.site import Site
from failback.runner.plan import FORWARD_PROVIDER, REVERSE_PROVIDER, Step, StepKind

RECOVERY_POINT = {
    # the site's choice -> (classic unplanned failover's type, modernized planned failover's type)
    "latest": ("LatestTime", "CrashConsistent"),
    "app-consistent": ("LatestTag", "ApplicationConsistent"),
    "crash-consistent": ("LatestTime", "CrashConsistent"),
}
# The reprotect input's instanceType, by the item's provider now (FAILBACK.md's table).
REPROTECT_INPUT = {"InMageAzureV2": "InMage", "InMage": "InMageAzureV2", "InMageRcm": "InMageRcm", "InMageRcmFailback": "InMageRcmFailback"}


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
        self.settings = self.site.azure
        self.choices = Choices(self.facts)

    # -- the request of a step -------------------------------------------------------------------------------------------
    def request(self, step: Step, preview: bool = False) -> AsrRequest:
        """The step's request. A preview (`run --plan` showing a later phase) builds it as if the item had reached the
        provider the step starts from; the run itself never sends a preview. Raises Unresolved."""
        if step.kind not in StepKind.ASR:
            raise ValueError(f"{step.id} is not an ASR step")
        try:
            return self._request(step, preview)
        except NoChoice as missing:
            raise Unresolved(step.id, missing.missing, missing.remediation_id) from None

    def _request(self, step: Step, preview: bool) -> AsrRequest:
        if step.recovery_plan:
            return self._plan_request(step)
        item = self.choices.item(step.items[0])
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
            raise NoChoice(f"recovery plan {name}: ASR does not reprotect a plan of these providers; reprotect its items",
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

    # -- reprotect ---------------------------------------------------------------------------------------------------------
    def _starting_provider(self, step: Step) -> str:
        experience = self.site.experience
        return FORWARD_PROVIDER[experience] if step.kind == StepKind.REPROTECT else REVERSE_PROVIDER[experience]

    def _reprotect(self, step: Step, item: dict[str, Any]) -> AsrRequest:
        provider = item["provider"]
        expected = self._starting_provider(step)
        if provider != expected:
            direction = "toward on-premises" if step.kind == StepKind.REPROTECT else "to Azure again"
            raise NoChoice(f"{item['friendly_name']} is replicated by {provider or 'no provider'}; a reprotect {direction} on a "
                           f"{self.site.experience.value} site starts from {expected} (see asr.item_state)", "prepare-protected-item")
        builder = {"InMageAzureV2": self._classic_failback, "InMage": self._classic_to_azure, "InMageRcm": self._modernized_failback,
                   "InMageRcmFailback": self._modernized_to_azure}[provider]
        direction, fields = builder(item)
        details = {"instanceType": REPROTECT_INPUT[provider], **{field: chosen.value for field, chosen in fields.items()}}
        choices = tuple(Choice(field, chosen.value, chosen.name, chosen.reason, chosen.verified_by) for field, chosen in fields.items())
        body = {"properties": {"failoverDirection": direction, "providerSpecificDetails": details}}
        return self._item_request(step, item, "reProtect", body, choices)

    def _classic_failback(self, item: dict[str, Any]) -> tuple[str, dict[str, Chosen]]:
        choices = self.choices
        fabric = choices.fabric(item)
        name = item["friendly_name"]
        process_server = choices.azure_process_server(fabric)
        server, family, master_target = choices.master_target(fabric, item)
        datastore = choices.datastore(name)
        if datastore.value.lower() not in {store["name"].lower() for store in server.get("datastores", [])}:
            raise NoChoice(f"{server['name']}'s host does not see datastore {datastore.value}, where {name} comes back (ASR lists: "
                           f"{', '.join(s['name'] for s in server.get('datastores', [])) or 'none'}; error 8061 at reprotect)",
                           "mount-datastore")
        fields = {"processServerId": process_server, "masterTargetId": master_target,
                  "retentionDrive": choices.retention_volume(server, family),
                  "datastoreName": Chosen(datastore.value, datastore.name, f"{datastore.reason}; {server['name']} sees it", datastore.verified_by),
                  "profileId": choices.policy(item, POLICY_PROVIDER[item["provider"]], self.settings.failback_policy_id, "failback_policy_id")}
        if (run_as := choices.run_as_account(fabric)) is not None:
            fields["runAsAccountId"] = run_as
        return "RecoveryToPrimary", fields

    def _classic_to_azure(self, item: dict[str, Any]) -> tuple[str, dict[str, Chosen]]:
        choices = self.choices
        fabric = choices.fabric(item)
        name = item["friendly_name"]
        before = self.recorded.get(name.lower(), {})
        fields = {
            "processServerId": choices.registered_process_server(
                fabric, before.get("process_server_id"), f"the process server {name} replicated to Azure through before failback "
                                                         "(ASR's InMageAzureV2 processServerId, recorded in the run's plan)"),
            "masterTargetId": choices.registered_master_target(
                fabric, before.get("master_target_id"), f"the master target {name} replicated to Azure through before failback "
                                                        "(ASR's InMageAzureV2 masterTargetId, recorded in the run's plan)"),
            "policyId": choices.policy(item, POLICY_PROVIDER[item["provider"]], self.settings.reprotect_policy_id, "reprotect_policy_id"),
        }
        for key, field_name, label in (("storage_account_id", "storageAccountId", "storage account"),
                                       ("log_storage_account_id", "logStorageAccountId", "log storage account")):
            if configured := getattr(self.settings, key):
                fields[field_name] = Chosen(configured, configured.rsplit("/", 1)[-1], f"[azure] {key}")
            elif recorded := before.get(key):
                fields[field_name] = Chosen(recorded, recorded.rsplit("/", 1)[-1], f"the {label} {name} replicated to Azure with before "
                                                                                   "failback (ASR's InMageAzureV2 details, recorded in the run's plan)")
        if (run_as := choices.run_as_account(fabric)) is not None:
            fields["runAsAccountId"] = run_as
        return "RecoveryToPrimary", fields

    def _modernized_failback(self, item: dict[str, Any]) -> tuple[str, dict[str, Chosen]]:
        choices = self.choices
        fabric = choices.fabric(item)
        name = item["friendly_name"]
        datastore = choices.datastore(name)
        agent = choices.reprotect_agent(fabric, datastore.value, name)
        return "RecoveryToPrimary", {
            "reprotectAgentId": agent,
            "datastoreName": Chosen(datastore.value, datastore.name, f"{datastore.reason}; {agent.name} sees it", "appliance.health"),
            "logStorageAccountId": choices.log_storage(item),
            "policyId": choices.policy(item, POLICY_PROVIDER[item["provider"]], self.settings.failback_policy_id, "failback_policy_id"),
        }

    def _modernized_to_azure(self, item: dict[str, Any]) -> tuple[str, dict[str, Chosen]]:
        choices = self.choices
        fabric = choices.fabric(item)
        name = item["friendly_name"]
        fields = {"processServerId": choices.appliance_process_server(fabric),
                  "policyId": choices.policy(item, POLICY_PROVIDER[item["provider"]], self.settings.reprotect_policy_id, "reprotect_policy_id")}
        if self.settings.run_as_account_id:
            fields["runAsAccountId"] = Chosen(self.settings.run_as_account_id, self.settings.run_as_account_id, "[azure] run_as_account_id")
        elif recorded := self.recorded.get(name.lower(), {}).get("run_as_account_id"):
            fields["runAsAccountId"] = Chosen(recorded, recorded, f"the account {name}'s replication to Azure used before failback "
                                                                  "(ASR's InMageRcm runAsAccountId, recorded in the run's plan)")
        # ASR's table (FAILBACK.md): the reverse modernized provider reprotects from the primary side.
        return "PrimaryToRecovery", fields


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
