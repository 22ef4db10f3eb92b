"""What ASR accepts in a write, so the fake refuses what the real service refuses.

Source of truth: the Site Recovery REST specification for api-version 2025-08-01 (the version
azure-mgmt-recoveryservicessiterecovery 2.0.0 speaks), Azure/azure-rest-api-specs,
specification/recoveryservicessiterecovery/resource-manager/Microsoft.RecoveryServices/SiteRecovery/stable/2025-08-01/
service.json at commit 61e03f55a6c981dfd8edb4a23e7e9b0053542e39. asr_contract.json holds, verbatim, the paths of the
writes the fake serves and every definition their bodies reach (with each subtype of a polymorphic input).

Two layers, as the service has them:
1. The body against the operation's definition (jsonschema over the specification's definitions): required
   properties, types, enum values, and an `instanceType` the specification declares for the polymorphic input.
   Properties the specification does not know are ignored, as ASR's deserialiser ignores them.
2. The vault: the `instanceType` and failover direction the item's current provider allows (FAILBACK.md's reprotect
   table, the one Azure PowerShell's Update-AzRecoveryServicesAsrProtectionDirection follows), and ids that exist in
   the vault (process server, master target, reprotect agent, datastore, retention volume, policy associated with
   the item's container, run-as account).
Either failure answers 400 in the shape ASR's errors take: {"error": {"code", "message", "details": [{"code",
"message", "possibleCauses", "recommendedAction"}]}} (the specification declares no error model for these
operations; the shape is the one ASR returns, e.g. Azure/azure-powershell#4893). The codes are ours where ASR's own
are not documented.

A request whose ids exist but do not fit the VM (a master target of the other OS family, a reprotect agent that does
not see the datastore, a process server on-premises for a failback) is accepted, as ASR accepts it, and its job
fails the way ASR's does: `job_failure` says how.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from failback.lab.fake_arm.routes import ArmError
from failback.lab.fake_arm.state import Fabric, JobError, MasterTarget, ProtectedItem, ReprotectAgent, Vault

CONTRACT = Path(__file__).with_name("asr_contract.json")
# The body definition of each write, by the fake's operation name.
BODIES = {
    "reProtect": "ReverseReplicationInput",
    "unplannedFailover": "UnplannedFailoverInput",
    "plannedFailover": "PlannedFailoverInput",
    "plan:unplannedFailover": "RecoveryPlanUnplannedFailoverInput",
    "plan:plannedFailover": "RecoveryPlanPlannedFailoverInput",
}
# By the item's provider now: the reprotect input's instanceType and the failover direction FAILBACK.md's table gives.
REPROTECT = {
    "InMageAzureV2": ("InMage", "RecoveryToPrimary"),
    "InMage": ("InMageAzureV2", "RecoveryToPrimary"),
    "InMageRcm": ("InMageRcm", "RecoveryToPrimary"),
    "InMageRcmFailback": ("InMageRcmFailback", "PrimaryToRecovery"),
}
# Failover back on-premises, by the provider of an item replicating back: classic is unplanned, modernized planned.
FAILOVER = {("unplannedFailover", "InMage"): "InMage", ("plannedFailover", "InMageRcmFailback"): "InMageRcmFailback"}
# The policy a reprotect names, by the item's provider now: the failback policy, or the replication policy to Azure.
POLICY = {"InMageAzureV2": "InMage", "InMage": "InMageAzureV2", "InMageRcm": "InMageRcmFailback", "InMageRcmFailback": "InMageRcm"}
_STORAGE_ACCOUNT = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Storage/storageAccounts/[^/]+$",
                              re.IGNORECASE)


def bad_request(code: str, message: str, recommended_action: str = "") -> ArmError:
    return ArmError(400, code, message, details=[{"code": code, "message": message, "possibleCauses": "",
                                                  "recommendedAction": recommended_action}])


# -- 1. the REST contract ----------------------------------------------------------------------------------------------------
@cache
def _validator(definition: str):
    """A jsonschema validator for one body definition: the specification's definitions as JSON Schema, a polymorphic
    input dispatched on `instanceType` to the subtype declaring that value."""
    from jsonschema import Draft7Validator

    spec = json.loads(CONTRACT.read_text())
    definitions = spec["definitions"]
    subtypes: dict[str, dict[str, str]] = {}  # base -> {instanceType value: subtype}
    for name, schema in definitions.items():
        for parent in schema.get("allOf", []):
            base = parent["$ref"].rsplit("/", 1)[-1]
            if "discriminator" in definitions.get(base, {}):
                subtypes.setdefault(base, {})[schema.get("x-ms-discriminator-value", name)] = name
    converted: dict[str, Any] = {}
    for name, schema in definitions.items():
        own = copy.deepcopy(schema)
        own["title"] = name
        for parent in own.get("allOf", []):  # a subtype includes its base's own schema, not the dispatch again
            base = parent["$ref"].rsplit("/", 1)[-1]
            if base in subtypes:
                parent["$ref"] = f"#/definitions/{base}.own"
        if name in subtypes:
            discriminator = schema["discriminator"]
            converted[f"{name}.own"] = own
            converted[name] = {"allOf": [
                {"$ref": f"#/definitions/{name}.own"},
                {"properties": {discriminator: {"enum": sorted(subtypes[name])}}},
                *({"if": {"properties": {discriminator: {"const": value}}, "required": [discriminator]},
                   "then": {"$ref": f"#/definitions/{subtype}"}} for value, subtype in sorted(subtypes[name].items())),
            ]}
        else:
            converted[name] = own
    return Draft7Validator({"definitions": converted, "$ref": f"#/definitions/{definition}"})


def check_body(operation: str, body: Any) -> None:
    """Raise ASR's 400 for a body that breaks the specification; the first error by its place in the body."""
    definition = BODIES[operation]
    if body is None:
        raise bad_request("InvalidRequestContent", f"The request body is missing: {operation} takes a {definition}.")
    errors = sorted(_validator(definition).iter_errors(body), key=lambda error: (len(error.path), list(map(str, error.path))))
    if not errors:
        return
    error = errors[0]
    where = ".".join(str(part) for part in error.path)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        owner = error.schema.get("title") or definition
        message = f"{owner}.{missing} is required."
    elif error.validator == "enum":
        message = f"The value {json.dumps(error.instance)} of {where or definition} is not one of {', '.join(map(str, error.validator_value))}."
    elif error.validator == "type":
        message = f"{where or definition} must be of type {error.validator_value}, not {json.dumps(error.instance)}."
    else:
        message = f"{where or definition}: {error.message}"
    raise bad_request("InvalidRequestContent", message, "Correct the request body as the Site Recovery REST API defines it.")


# -- 2. the vault ---------------------------------------------------------------------------------------------------------------
def check_reprotect(vault: Vault, vault_id: str, fabric: Fabric, item: ProtectedItem, body: dict[str, Any]) -> None:
    properties = body.get("properties") or {}
    details = properties.get("providerSpecificDetails") or {}
    expected_type, expected_direction = REPROTECT[item.provider]
    if details.get("instanceType") != expected_type:
        raise bad_request("ReplicationProviderMismatch", f"{item.friendly_name} is replicated by {item.provider}: its reprotect takes "
                                                         f"{expected_type} provider input, not {details.get('instanceType')}.")
    if properties.get("failoverDirection") != expected_direction:
        raise bad_request("InvalidFailoverDirection", f"The reprotect of {item.friendly_name} ({item.provider}) goes "
                                                      f"{expected_direction}, not {properties.get('failoverDirection')}.")
    _exists(_process_server_ids(fabric), details.get("processServerId"), "ProcessServerNotFound", "process server")
    _exists({mt.id for mt in fabric.master_targets}, details.get("masterTargetId"), "MasterTargetNotFound", "master target")
    _exists({agent.id for agent in fabric.reprotect_agents}, details.get("reprotectAgentId"), "ReprotectAgentNotFound", "reprotect agent")
    _exists({account.id for account in fabric.run_as_accounts} if fabric.kind == "VMware" else None, details.get("runAsAccountId"),
            "RunAsAccountNotFound", "run-as account")
    if "datastoreName" in details:
        known = {store.symbolic_name.lower() for mt in fabric.master_targets for store in mt.data_stores}
        known |= {name.lower() for agent in fabric.reprotect_agents for name in agent.accessible_datastores}
        if details["datastoreName"].lower() not in known:
            raise bad_request("DatastoreNotFound", f"No server of fabric {fabric.friendly_name} reports a datastore named "
                                                   f"{details['datastoreName']}.")
    if "retentionDrive" in details:
        master_target = next((mt for mt in fabric.master_targets if mt.id == details.get("masterTargetId")), None)
        volumes = {volume.volume_name.lower() for volume in master_target.retention_volumes} if master_target else set()
        if details["retentionDrive"].lower() not in volumes:
            raise bad_request("RetentionVolumeNotFound", f"{details['retentionDrive']} is not a retention volume of the master target.")
    for key in ("policyId", "profileId"):
        if key in details:
            _policy(vault, vault_id, item, details[key], POLICY[item.provider])
    for key in ("logStorageAccountId", "storageAccountId"):
        if key in details and not _STORAGE_ACCOUNT.match(details[key] or ""):
            raise bad_request("InvalidStorageAccountId", f"{key} {details[key]!r} is not the ARM id of a storage account.")


def check_failover(operation: str, item: ProtectedItem, body: dict[str, Any]) -> None:
    properties = body.get("properties") or {}
    details = properties.get("providerSpecificDetails") or {}
    expected = FAILOVER.get((operation, item.provider))
    if expected is None:
        raise bad_request("OperationNotSupportedForProvider", f"{operation} back to on-premises is not offered for {item.provider} "
                                                              "items (classic fails back unplanned, modernized planned).")
    if details.get("instanceType") != expected:
        raise bad_request("ReplicationProviderMismatch", f"{item.friendly_name} is replicated by {item.provider}: {operation} takes "
                                                         f"{expected} provider input, not {details.get('instanceType')}.")
    if properties.get("failoverDirection") != "RecoveryToPrimary":
        raise bad_request("InvalidFailoverDirection", f"Failing {item.friendly_name} back goes RecoveryToPrimary, not "
                                                      f"{properties.get('failoverDirection')}.")


def check_plan_failover(operation: str, items: list[ProtectedItem], body: dict[str, Any]) -> None:
    """A plan's failover carries one provider input per provider of its items."""
    properties = body.get("properties") or {}
    given = {entry.get("instanceType") for entry in properties.get("providerSpecificDetails") or []}
    for item in items:
        expected = FAILOVER.get((operation, item.provider))
        if expected is None or expected not in given:
            raise bad_request("ReplicationProviderMismatch", f"The recovery plan's {operation} has no provider input for "
                                                             f"{item.friendly_name} ({item.provider}).")
    if properties.get("failoverDirection") != "RecoveryToPrimary":
        raise bad_request("InvalidFailoverDirection", f"Failing back goes RecoveryToPrimary, not {properties.get('failoverDirection')}.")


def _process_server_ids(fabric: Fabric) -> set[str]:
    return {server.id for server in fabric.process_servers}


def _exists(known: set[str] | None, value: str | None, code: str, what: str) -> None:
    if value is not None and known is not None and value not in known:
        raise bad_request(code, f"The {what} {value} is not registered in this fabric.")


def _policy(vault: Vault, vault_id: str, item: ProtectedItem, policy_id: str, provider: str) -> None:
    name = policy_id.rstrip("/").rsplit("/", 1)[-1]
    policy = vault.policies.get(name)
    if policy is None or policy_id.lower() != f"{vault_id}/replicationPolicies/{policy.name}".lower():
        raise bad_request("PolicyNotFound", f"The policy {policy_id} does not exist in vault {vault.name}.")
    if policy.provider != provider:
        raise bad_request("InvalidPolicyForProvider", f"Policy {policy.name} is a {policy.provider} policy; this reprotect needs {provider}.")
    if not any(mapping.policy_name.lower() == policy.name.lower() and mapping.fabric_name.lower() == item.fabric_name.lower()
               and mapping.container_name.lower() == item.container_name.lower() for mapping in vault.mappings):
        raise bad_request("ProtectionContainerMappingNotFound", f"Policy {policy.name} is not associated with the protection "
                                                                f"container {item.container_name}.")


# -- what ASR accepts, then fails ---------------------------------------------------------------------------------------------
def job_failure(fabric: Fabric, item: ProtectedItem, body: dict[str, Any] | None) -> JobError | None:
    """How the reprotect job of an accepted body fails, as ASR's would: ids that exist but do not fit this VM."""
    details = ((body or {}).get("properties") or {}).get("providerSpecificDetails") or {}
    instance = details.get("instanceType")
    if instance == "InMage":
        server = next(server for server in fabric.process_servers if server.id == details["processServerId"])
        if not server.in_azure:
            return JobError("78186", f"The process server {server.name} cannot be reached from the Azure VM {item.friendly_name}.",
                            "Failback from Azure replicates through a process server in Azure, in the virtual network of the VM.",
                            "Reprotect with the process server deployed in Azure.")
        master_target: MasterTarget = next(mt for mt in fabric.master_targets if mt.id == details["masterTargetId"])
        if master_target.os_type.lower() != item.os_type.lower():
            return JobError("78044", f"The master target {master_target.name} runs {master_target.os_type}; {item.friendly_name} "
                                     f"runs {item.os_type}.", "A master target receives only VMs of its own OS family.",
                            "Reprotect with a master target of the VM's OS family.")
        if details.get("datastoreName", "").lower() not in {store.symbolic_name.lower() for store in master_target.data_stores}:
            return _datastore_unreachable(details.get("datastoreName", ""), master_target.name)
    if instance == "InMageRcm":
        agent: ReprotectAgent = next(agent for agent in fabric.reprotect_agents if agent.id == details["reprotectAgentId"])
        if details["datastoreName"].lower() not in {name.lower() for name in agent.accessible_datastores}:
            return _datastore_unreachable(details["datastoreName"], agent.name)
    return None


def _datastore_unreachable(datastore: str, server: str) -> JobError:
    return JobError("8061", f"The datastore {datastore} is not accessible from the host of {server}.",
                    "The datastore is not mounted on the ESXi host the server writes through.",
                    "Choose a datastore the server sees, or mount it on that host.")
