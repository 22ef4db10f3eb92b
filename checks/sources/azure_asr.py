"""Site Recovery objects as facts: fabrics with their servers, protected items, recovery points, jobs, recovery plans.

Both experiences' shapes land in one vocabulary: a process server has `version`, `last_heartbeat`, `ip_addresses`
whether the VMware (classic) or the InMageRcm (modernized) fabric described it; an item has `provider`, `os_type`,
`azure_vm_id`, `disk_count` and `agent` whichever of the four providers replicates it.
"""

from __future__ import annotations

from typing import Any

from failback.checks.sources.azure_values import moment, text, when, wire

CLASSIC_PROVIDERS = {"InMageAzureV2", "InMage"}
MODERNIZED_PROVIDERS = {"InMageRcm", "InMageRcmFailback"}
REVERSE_PROVIDERS = {"InMage", "InMageRcmFailback"}  # replicating Azure -> on-prem: they have recovery points to fail over to


# ASR's error payloads are read defensively: the SDK's models take whatever JSON comes and hand it out as is, and one
# malformed entry must not cost the facts of a whole vault. Entries that are not objects (null, bare values) describe
# nothing and are left out; a field of the wrong type is read as its text, a missing one as None.
_BARE_VALUES = (str, bytes, int, float, bool, type(None))


def _objects(values: Any) -> list[Any]:
    if not isinstance(values, list):
        return []
    return [value for value in values if not isinstance(value, _BARE_VALUES)]


def _field(obj: Any, name: str) -> Any:
    return None if isinstance(obj, _BARE_VALUES) else getattr(obj, name, None)


def _text_field(obj: Any, name: str) -> str | None:
    return text(_field(obj, name))


def health_errors(errors: Any) -> list[dict[str, Any]]:
    return [{
        "code": text(wire(error, "errorCode")),
        "message": text(wire(error, "errorMessage") or wire(error, "summaryMessage")),
        "possible_causes": text(wire(error, "possibleCauses")),
        "recommended_action": text(wire(error, "recommendedAction")),
        "level": text(wire(error, "errorLevel")),
        "created": when(moment(wire(error, "creationTimeUtc"))),
    } for error in _objects(errors)]


# -- fabrics and their servers --------------------------------------------------------------------------------------------
def _classic_process_server(server: Any) -> dict[str, Any]:
    return {
        "id": server.id,
        "name": server.friendly_name,
        "ip_addresses": [server.ip_address] if server.ip_address else [],
        "version": server.agent_version,
        "last_heartbeat": when(server.last_heartbeat),
        "service_status": server.ps_service_status,
        "health": text(server.health),
        "total_space_bytes": server.total_space_in_bytes,
        "available_space_bytes": server.available_space_in_bytes,
        "health_errors": health_errors(server.health_errors),
        "cpu_load_percent": _number(server.cpu_load),
        "memory_total_bytes": server.total_memory_in_bytes,
        "memory_available_bytes": server.available_memory_in_bytes,
    }


def _modernized_process_server(server: Any) -> dict[str, Any]:
    return {
        "id": server.id,
        "name": server.name,
        "ip_addresses": list(server.ip_addresses or []),
        "version": server.version,
        "last_heartbeat": when(server.last_heartbeat_utc),
        "service_status": None,
        "health": text(server.health),
        "total_space_bytes": server.total_space_in_bytes,
        "available_space_bytes": server.available_space_in_bytes,
        "health_errors": health_errors(server.health_errors),
    }


def _appliance_component(component: Any) -> dict[str, Any]:
    """A modernized appliance (its RCM proxy) or reprotect agent: both report version, heartbeat and health."""
    facts = {
        "id": component.id,
        "name": component.name,
        "fqdn": component.fqdn,
        "version": component.version,
        "last_heartbeat": when(component.last_heartbeat_utc),
        "health": text(component.health),
        "health_errors": health_errors(component.health_errors),
    }
    if hasattr(component, "accessible_datastores"):  # a reprotect agent
        facts["accessible_datastores"] = list(component.accessible_datastores or [])
        facts["protected_item_count"] = component.protected_item_count
    return facts


def fabric_facts(fabric: Any) -> dict[str, Any]:
    properties = fabric.properties
    details = properties.custom_details if properties else None
    kind = text(details.instance_type) if details else None
    facts: dict[str, Any] = {
        "name": fabric.name,
        "friendly_name": properties.friendly_name if properties else fabric.name,
        "kind": kind,
        "health": text(properties.health) if properties else None,
        "health_errors": health_errors(properties.health_error_details if properties else None),
        "config_server": None,
        "process_servers": [],
        "master_targets": [],
        "appliances": [],
        "reprotect_agents": [],
        "run_as_accounts": [],
    }
    if kind == "VMware":
        facts["config_server"] = {
            "host_name": details.host_name,
            "ip_address": details.ip_address,
            "version": details.agent_version,
            "last_heartbeat": when(details.last_heartbeat),
            "service_status": details.cs_service_status,
            "certificate_expiry": when(details.ssl_cert_expiry_date),
        }
        facts["process_servers"] = [_classic_process_server(server) for server in details.process_servers or []]
        facts["master_targets"] = [{
            "id": server.id,
            "name": server.name,
            "ip_address": server.ip_address,
            "os_type": server.os_type,
            "version": server.agent_version,
            "last_heartbeat": when(server.last_heartbeat),
            "disk_count": server.disk_count,
            "health_errors": health_errors(server.health_errors),
            # What the master target's host sees and where it can keep retention logs: failback's reprotect picks from these.
            "datastores": [{"name": store.symbolic_name, "type": store.type, "free_gb": _number(store.free_space),
                            "capacity_gb": _number(store.capacity)} for store in _objects(server.data_stores)],
            "retention_volumes": [{"name": volume.volume_name, "free_bytes": volume.free_space_in_bytes,
                                   "capacity_bytes": volume.capacity_in_bytes} for volume in _objects(server.retention_volumes)],
        } for server in details.master_target_servers or []]
        facts["run_as_accounts"] = [{"id": account.account_id, "name": account.account_name}
                                    for account in _objects(details.run_as_accounts)]
    elif kind == "InMageRcm":
        facts["process_servers"] = [_modernized_process_server(server) for server in details.process_servers or []]
        facts["appliances"] = [_appliance_component(proxy) for proxy in details.rcm_proxies or []]
        facts["reprotect_agents"] = [_appliance_component(agent) for agent in details.reprotect_agents or []]
    return facts


def vcenter_facts(vcenter: Any) -> dict[str, Any]:
    """Classic: a vCenter the configuration server discovers, as the vault records it (VCenterProperties)."""
    properties = _field(vcenter, "properties")
    return {
        "name": _text_field(vcenter, "name"),
        "friendly_name": _text_field(properties, "friendly_name"),
        "ip_address": _text_field(properties, "ip_address"),  # the address or FQDN it was added with
        "internal_id": _text_field(properties, "internal_id"),
        "infrastructure_id": _text_field(properties, "infrastructure_id"),
        "port": _text_field(properties, "port"),
        "discovery_status": _text_field(properties, "discovery_status"),
        "last_heartbeat": when(_field(properties, "last_heartbeat")),
    }


# -- protected items ----------------------------------------------------------------------------------------------------------
def _vm_id(resource_group_id: str | None, vm_name: str | None) -> str | None:
    if not resource_group_id or not vm_name:
        return None
    return f"{resource_group_id.rstrip('/')}/providers/Microsoft.Compute/virtualMachines/{vm_name}"


def _number(value: Any) -> float | None:
    """ASR reports some sizes as strings ("4096"): a number, or None when it is not one."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _disk_bytes(disks: Any, size: str) -> int:
    return sum(wire(disk, size) or 0 for disk in _objects(disks))


def _protected_disks(provider: str | None, details: Any) -> list[dict[str, Any]]:
    """Each disk replicated to Azure: its id and name as ASR reports them, its size on-premises, and the Azure managed disk
    failover made of it (InMageAzureV2 names it in protectedManagedDisks by the same diskId, InMageRcm by its ARM id)."""
    disks = _objects(wire(details, "protectedDisks"))
    if provider == "InMageAzureV2":
        azure_names = {wire(disk, "diskId"): wire(disk, "targetDiskName") for disk in _objects(wire(details, "protectedManagedDisks"))}
        os_disk = wire(details, "osDiskId")
        return [{"id": wire(disk, "diskId"), "name": wire(disk, "diskName"), "capacity_bytes": wire(disk, "diskCapacityInBytes"),
                 "os_disk": bool(os_disk) and wire(disk, "diskId") == os_disk,
                 "azure_disk_name": azure_names.get(wire(disk, "diskId")), "azure_disk_id": None} for disk in disks]
    if provider == "InMageRcm":
        return [{"id": wire(disk, "diskId"), "name": wire(disk, "diskName"), "capacity_bytes": wire(disk, "capacityInBytes"),
                 "os_disk": str(wire(disk, "isOSDisk") or "").lower() == "true", "azure_disk_name": None,
                 "azure_disk_id": wire(disk, "targetManagedDiskId")} for disk in disks]
    return []


def _vcenter_of(provider: str | None, details: Any) -> dict[str, Any]:
    """What ASR records of the vCenter it discovered the VM through: classic vCenterInfrastructureId; modernized the
    discovered VM details' vCenterFqdn and vCenterId, and InMageRcmFailback's targetvCenterId."""
    if provider in CLASSIC_PROVIDERS:
        return {"fqdn": None, "id": text(wire(details, "vCenterInfrastructureId")), "target_id": None}
    return {"fqdn": text(wire(details, "discoveredVmDetails", "vCenterFqdn")), "id": text(wire(details, "discoveredVmDetails", "vCenterId")),
            "target_id": text(wire(details, "targetvCenterId"))}


def _provider_facts(provider: str | None, details: Any) -> dict[str, Any]:
    """What each provider tells about the VM: OS, its Azure VM, disks, servers it uses, its mobility agent."""
    def field(*path: str) -> Any:
        return wire(details, *path)

    disks = _list(field("protectedDisks"))
    if provider == "InMageAzureV2":
        log_account = field("recoveryAzureLogStorageAccountId")
        return {
            "os_type": field("osType"),
            "distro": field("osName") or field("osVersion"),
            "azure_vm_id": field("targetVmId") or _vm_id(field("recoveryAzureResourceGroupId"), field("recoveryAzureVMName")),
            "process_server_id": field("processServerId"),
            "master_target_id": field("masterTargetId"),
            "disk_count": len(disks),
            "disk_bytes": _disk_bytes(disks, "diskCapacityInBytes"),
            "agent": {"version": field("agentVersion"), "last_heartbeat": when(moment(field("lastHeartbeat"))),
                      "registered_after_failover": None},
            "source_nics": [{"ip": wire(config, "staticIPAddress"), "ip_type": wire(config, "ipAddressType")}
                            for nic in _objects(field("vmNics")) for config in _objects(wire(nic, "ipConfigs"))],
            # Where replication to Azure keeps its data and logs: the reprotect back to Azure uses them again.
            "storage_account_id": field("recoveryAzureStorageAccount"),
            "replication_group": field("multiVmGroupName"),
            "log_storage_account_ids": [log_account] if log_account else [],
        }
    if provider == "InMage":
        return {
            "os_type": field("osDetails", "osType"),
            "distro": field("osVersion"),
            "azure_vm_id": None,  # the reverse classic provider does not name the Azure VM
            "process_server_id": field("processServerId"),
            "master_target_id": field("masterTargetId"),
            "disk_count": len(disks),
            "disk_bytes": _disk_bytes(disks, "diskCapacityInBytes"),
            "agent": {"version": field("agentDetails", "agentVersion"), "last_heartbeat": when(moment(field("lastHeartbeat"))),
                      "registered_after_failover": None},
            "datastores": list(_list(field("datastores"))),
        }
    if provider in MODERNIZED_PROVIDERS:
        facts = {
            "os_type": field("osType"),
            "distro": field("mobilityAgentDetails", "distroName"),
            "disk_count": len(disks),
            "disk_bytes": _disk_bytes(disks, "capacityInBytes"),
            "agent": {"version": field("mobilityAgentDetails", "version"),
                      "last_heartbeat": when(moment(field("mobilityAgentDetails", "lastHeartbeatUtc"))),
                      "registered_after_failover": field("isAgentRegistrationSuccessfulAfterFailover")},
            # ASR's own words: resyncRequired is the string "true" or "false", resyncState an extensible enum.
            "resync": {"required": text(field("resyncRequired")), "state": text(field("resyncState")),
                       "progress_percent": field("resyncProgressPercentage")},
        }
        if provider == "InMageRcm":
            facts.update({
                "azure_vm_id": _vm_id(field("targetResourceGroupId"), field("targetVmName")),
                "process_server_id": field("processServerId"),
                "run_as_account_id": field("runAsAccountId"),
                # The cache storage account of each protected disk: failback's reprotect logs there again.
                "log_storage_account_ids": sorted({wire(disk, "logStorageAccountId") for disk in _objects(disks)
                                                   if wire(disk, "logStorageAccountId")}),
                "source_nics": [{"ip": wire(nic, "sourceIPAddress"), "ip_type": wire(nic, "sourceIPAddressType"),
                                 "target_ip_type": wire(nic, "targetIPAddressType")} for nic in _objects(field("vmNics"))],
            })
        else:
            facts.update({
                "azure_vm_id": field("azureVirtualMachineId"),
                "reprotect_agent_id": field("reprotectAgentId"),
                "target_datastore": field("targetDataStoreName"),
                "last_planned_failover": {"status": text(field("lastPlannedFailoverStatus")),
                                          "started": when(moment(field("lastPlannedFailoverStartTime")))},
            })
        return facts
    return {}


def job_name(reference: str | None) -> str | None:
    """A job's name (the GUID replication_jobs.get takes) from its name or its full ARM id, which is how an item's
    currentScenario names its running job."""
    return reference.split("?")[0].rstrip("/").rsplit("/", 1)[-1] if reference else None


def _scenario(scenario: Any) -> dict[str, Any] | None:
    """The operation running on the item, if any (ASR says "None" when idle)."""
    name = wire(scenario, "scenarioName")
    if not name or name == "None":
        return None
    return {"name": name, "job_id": job_name(wire(scenario, "jobId")), "started": when(moment(wire(scenario, "startTime")))}


def item_facts(item: Any) -> dict[str, Any]:
    """A protected item, read by its wire names: an SDK model (a mapping over ARM's JSON) or the JSON itself."""
    properties = wire(item, "properties")
    details = wire(properties, "providerSpecificDetails")
    provider = text(wire(details, "instanceType"))
    item_id = wire(item, "id")
    parts = item_id.split("/")
    return {
        "id": item_id,
        "name": wire(item, "name"),
        "friendly_name": wire(properties, "friendlyName"),
        "fabric": parts[parts.index("replicationFabrics") + 1] if "replicationFabrics" in parts else None,
        "container": parts[parts.index("replicationProtectionContainers") + 1] if "replicationProtectionContainers" in parts else None,
        "provider": provider,
        "protection_state": wire(properties, "protectionState"),
        "protection_state_description": wire(properties, "protectionStateDescription"),
        "active_location": wire(properties, "activeLocation"),
        "allowed_operations": [text(operation) for operation in _list(wire(properties, "allowedOperations"))],
        "replication_health": wire(properties, "replicationHealth"),
        "health_errors": health_errors(wire(properties, "healthErrors")),
        "current_scenario": _scenario(wire(properties, "currentScenario")),
        **_provider_facts(provider, details),
        "protected_disks": _protected_disks(provider, details),
        "vcenter": _vcenter_of(provider, details) if provider in CLASSIC_PROVIDERS | MODERNIZED_PROVIDERS else None,
    }


def recovery_point_summary(points: list[Any]) -> dict[str, Any]:
    """How many points an item has, and its newest (and newest application-consistent) one. Read by wire names: one
    call per protected item, a thousand on a large vault."""
    dated = [(moment(wire(point, "properties", "recoveryPointTime")), wire(point, "properties", "recoveryPointType"))
             for point in _objects(points)]
    ordered = sorted(((time, text(kind)) for time, kind in dated if time is not None), key=lambda point: point[0], reverse=True)
    app_consistent = [time for time, kind in ordered if kind == "ApplicationConsistent"]
    return {
        "count": len(ordered),
        "latest": when(ordered[0][0]) if ordered else None,
        "latest_type": ordered[0][1] if ordered else None,
        "latest_app_consistent": when(app_consistent[0]) if app_consistent else None,
    }


# -- jobs and plans -------------------------------------------------------------------------------------------------------------
def job_facts(job: Any) -> dict[str, Any]:
    properties = _field(job, "properties")
    errors = []
    for error in _objects(_field(properties, "errors")):
        service, provider = _field(error, "service_error_details"), _field(error, "provider_error_details")
        errors.append({
            "code": _text_field(service, "code"),
            "message": _text_field(service, "message"),
            "possible_causes": _text_field(service, "possible_causes"),
            "recommended_action": _text_field(service, "recommended_action"),
            "provider_code": _field(provider, "error_code"),
            "provider_message": _text_field(provider, "error_message"),
        })
    return {
        "id": _text_field(job, "id"),
        "name": _text_field(job, "name"),
        "scenario": _text_field(properties, "scenario_name"),
        "friendly_name": _text_field(properties, "friendly_name"),
        "state": _text_field(properties, "state"),
        "started": when(_field(properties, "start_time")),
        "ended": when(_field(properties, "end_time")),
        "target_id": _text_field(properties, "target_object_id"),
        "target_name": _text_field(properties, "target_object_name"),
        "errors": errors,
    }


def plan_facts(plan: Any) -> dict[str, Any]:
    properties = plan.properties
    return {
        "name": plan.name,
        "friendly_name": properties.friendly_name,
        "providers": list(properties.replication_providers or []),
        "allowed_operations": [text(operation) for operation in properties.allowed_operations or []],
        "item_ids": [member.id for group in properties.groups or [] for member in group.replication_protected_items or [] if member.id],
    }


# -- replication policies and their associations ----------------------------------------------------------------------------
def policy_facts(policy: Any) -> dict[str, Any]:
    properties = _field(policy, "properties")
    details = _field(properties, "provider_specific_details")
    return {"id": _text_field(policy, "id"), "name": _text_field(policy, "name"),
            "friendly_name": _text_field(properties, "friendly_name"), "provider": _text_field(details, "instance_type")}


def container_mapping_facts(mapping: Any) -> dict[str, Any]:
    """A policy associated with a protection container; the container's fabric and name come from the mapping's id."""
    properties = _field(mapping, "properties")
    parts = (_text_field(mapping, "id") or "").split("/")

    def after(segment: str) -> str | None:
        lowered = [part.lower() for part in parts]
        return parts[lowered.index(segment.lower()) + 1] if segment.lower() in lowered[:-1] else None

    return {"id": _text_field(mapping, "id"), "name": _text_field(mapping, "name"), "policy_id": _text_field(properties, "policy_id"),
            "fabric": after("replicationFabrics"), "container": after("replicationProtectionContainers"),
            "target_container_id": _text_field(properties, "target_protection_container_id"),
            "state": _text_field(properties, "state")}
