"""Site Recovery's read API over the world's vaults, in the shapes azure-mgmt-recoveryservicessiterecovery deserialises.

Fabrics carry their provider-specific details (VMware: configuration server, process servers, master targets;
InMageRcm: appliances, process servers, reprotect agents), protected items the details of their current provider
(InMageAzureV2 / InMage for classic, InMageRcm / InMageRcmFailback for modernized).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from failback.lab.fake_arm.routes import ITEM, VAULT, ArmError, Request, Response, iso, member, paged, resource_group, route
from failback.lab.fake_arm.state import (
    Container,
    ContainerMapping,
    DiscoveredVCenter,
    Fabric,
    HealthIssue,
    Job,
    Policy,
    ProtectedItem,
    RecoveryPlan,
    Vault,
    managed_disk_id,
    utc_now,
)

VAULTS = "Microsoft.RecoveryServices/vaults"
_TYPE = "Microsoft.RecoveryServices/vaults/"


def vault_of(arm, request: Request) -> tuple[Any, Vault]:
    group = resource_group(arm, request)
    return group, member(group.vaults, request.params["vault"], VAULTS, group)


def vault_id(group, vault: Vault) -> str:
    return f"{group.id}/providers/{VAULTS}/{vault.name}"


def fabric_id(group, vault: Vault, fabric: Fabric) -> str:
    return f"{vault_id(group, vault)}/replicationFabrics/{fabric.name}"


def item_id(group, vault: Vault, item: ProtectedItem) -> str:
    return (f"{vault_id(group, vault)}/replicationFabrics/{item.fabric_name}/replicationProtectionContainers/"
            f"{item.container_name}/replicationProtectedItems/{item.name}")


# -- rendering ---------------------------------------------------------------------------------------------------------------
def health_error(issue: HealthIssue, entity_id: str = "") -> dict[str, Any]:
    return {
        "errorCode": issue.code,
        "errorMessage": issue.message,
        "summaryMessage": issue.message,
        "possibleCauses": issue.possible_causes,
        "recommendedAction": issue.recommended_action,
        "errorLevel": issue.level,
        "errorSource": "ServiceResource",
        "entityId": entity_id,
        "creationTimeUtc": iso(utc_now()),
    }


def _health_errors(issues: list[HealthIssue], entity_id: str = "") -> list[dict[str, Any]]:
    return [health_error(issue, entity_id) for issue in issues]


def _vmware_details(fabric: Fabric) -> dict[str, Any]:
    cs = fabric.config_server
    details: dict[str, Any] = {"instanceType": "VMware"}
    if cs is not None:
        details.update({
            "hostName": cs.host_name,
            "ipAddress": cs.ip_address,
            "agentVersion": cs.agent_version,
            "lastHeartbeat": iso(cs.last_heartbeat),
            "csServiceStatus": cs.service_status,
            "sslCertExpiryDate": iso(cs.certificate_expiry),
            "sslCertExpiryRemainingDays": max(0, (cs.certificate_expiry - utc_now()).days),
            "processServerCount": str(len(fabric.process_servers)),
        })
    details["processServers"] = [{
        "friendlyName": ps.name,
        "id": ps.id,
        "ipAddress": ps.ip_address,
        "osType": "Windows",
        "agentVersion": ps.agent_version,
        "lastHeartbeat": iso(ps.last_heartbeat),
        "totalSpaceInBytes": ps.total_space_bytes,
        "availableSpaceInBytes": ps.available_space_bytes,
        "psServiceStatus": ps.service_status,
        "cpuLoad": str(ps.cpu_load_percent),
        "cpuLoadStatus": "Healthy" if ps.cpu_load_percent < 80 else "Warning",
        "totalMemoryInBytes": ps.total_memory_bytes,
        "availableMemoryInBytes": ps.available_memory_bytes,
        "memoryUsageStatus": "Healthy" if ps.available_memory_bytes > ps.total_memory_bytes * 0.2 else "Warning",
        "health": ps.health,
        "healthErrors": _health_errors(ps.health_errors, ps.id),
    } for ps in fabric.process_servers]
    details["masterTargetServers"] = [{
        "id": mt.id,
        "name": mt.name,
        "ipAddress": mt.ip_address,
        "osType": mt.os_type,
        "agentVersion": mt.agent_version,
        "lastHeartbeat": iso(mt.last_heartbeat),
        "diskCount": mt.disk_count,
        "healthErrors": _health_errors(mt.health_errors, mt.id),
        "dataStores": [{"symbolicName": store.symbolic_name, "uuid": store.uuid, "capacity": str(store.capacity_gb),
                        "freeSpace": str(store.free_space_gb), "type": store.type} for store in mt.data_stores],
        "retentionVolumes": [{"volumeName": volume.volume_name, "capacityInBytes": volume.capacity_bytes,
                              "freeSpaceInBytes": volume.free_space_bytes, "thresholdPercentage": volume.threshold_percentage}
                             for volume in mt.retention_volumes],
    } for mt in fabric.master_targets]
    details["runAsAccounts"] = [{"accountId": account.id, "accountName": account.name} for account in fabric.run_as_accounts]
    return details


def _rcm_details(fabric: Fabric) -> dict[str, Any]:
    return {
        "instanceType": "InMageRcm",
        "processServers": [{
            "id": ps.id,
            "name": ps.name,
            "fqdn": ps.name,
            "ipAddresses": [ps.ip_address],
            "version": ps.agent_version,
            "lastHeartbeatUtc": iso(ps.last_heartbeat),
            "totalSpaceInBytes": ps.total_space_bytes,
            "availableSpaceInBytes": ps.available_space_bytes,
            "freeSpacePercentage": round(100 * ps.available_space_bytes / ps.total_space_bytes, 1) if ps.total_space_bytes else None,
            "health": ps.health,
            "healthErrors": _health_errors(ps.health_errors, ps.id),
        } for ps in fabric.process_servers],
        "rcmProxies": [{
            "id": appliance.id,
            "name": appliance.name,
            "fqdn": appliance.fqdn,
            "version": appliance.version,
            "lastHeartbeatUtc": iso(appliance.last_heartbeat),
            "health": appliance.health,
            "healthErrors": _health_errors(appliance.health_errors, appliance.id),
        } for appliance in fabric.appliances],
        "reprotectAgents": [{
            "id": agent.id,
            "name": agent.name,
            "fqdn": agent.fqdn,
            "version": agent.version,
            "lastHeartbeatUtc": iso(agent.last_heartbeat),
            "health": agent.health,
            "healthErrors": _health_errors(agent.health_errors, agent.id),
            "accessibleDatastores": list(agent.accessible_datastores),
            "protectedItemCount": agent.protected_item_count,
        } for agent in fabric.reprotect_agents],
    }


def render_fabric(group, vault: Vault, fabric: Fabric) -> dict[str, Any]:
    return {
        "id": fabric_id(group, vault, fabric),
        "name": fabric.name,
        "type": _TYPE + "replicationFabrics",
        "location": vault.location,
        "properties": {
            "friendlyName": fabric.friendly_name,
            "bcdrState": "Valid",
            "health": "Critical" if any(issue.level == "Error" for issue in fabric.health_errors) else "Normal",
            "healthErrorDetails": _health_errors(fabric.health_errors),
            "customDetails": _vmware_details(fabric) if fabric.kind == "VMware" else _rcm_details(fabric),
        },
    }


def _fabric_child(group, vault: Vault, fabric: Fabric, collection: str, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A resource under a fabric (a protection container, a vCenter): ARM's envelope around its properties."""
    return {"id": f"{fabric_id(group, vault, fabric)}/{collection}/{name}", "name": name,
            "type": _TYPE + f"replicationFabrics/{collection}", "location": vault.location, "properties": properties}


def render_vcenter(group, vault: Vault, fabric: Fabric, vcenter: DiscoveredVCenter) -> dict[str, Any]:
    return _fabric_child(group, vault, fabric, "replicationvCenters", vcenter.name, {
        "friendlyName": vcenter.friendly_name,
        "internalId": vcenter.internal_id,
        "lastHeartbeat": iso(vcenter.last_heartbeat),
        "discoveryStatus": vcenter.discovery_status,
        "processServerId": fabric.process_servers[0].id if fabric.process_servers else None,
        "ipAddress": vcenter.ip_address,
        "infrastructureId": vcenter.infrastructure_id,
        "port": str(vcenter.port),
        "runAsAccountId": fabric.run_as_accounts[0].id if fabric.run_as_accounts else None,
        "fabricArmResourceName": fabric.name,
        "healthErrors": [],
    })


def render_container(group, vault: Vault, fabric: Fabric, container: Container) -> dict[str, Any]:
    return _fabric_child(group, vault, fabric, "replicationProtectionContainers", container.name, {
        "friendlyName": container.friendly_name, "fabricFriendlyName": fabric.friendly_name, "fabricType": fabric.kind,
        "protectedItemCount": len(container.items), "pairingStatus": "Paired", "role": "Primary"})


def _disks(item: ProtectedItem, capacity_key: str) -> list[dict[str, Any]]:
    return [{"diskId": item.source_disk_id(index), "diskName": f"{item.friendly_name}-disk{index}", capacity_key: size * 1024**3}
            for index, size in enumerate(item.disk_sizes_gb)]


def _managed_disks(item: ProtectedItem) -> list[dict[str, Any]]:
    """InMageAzureV2's protectedManagedDisks: the Azure disk failover created for each protected disk, by its name."""
    return [{"diskId": item.source_disk_id(index), "targetDiskName": item.azure_disk_name(index), "replicaDiskType": "Standard_LRS"}
            for index in range(len(item.disk_sizes_gb))]


def _rcm_disks(item: ProtectedItem) -> list[dict[str, Any]]:
    """InMageRcm's protectedDisks: each names its Azure disk by id (once failed over) and its cache storage account."""
    return [{**disk, "isOSDisk": "true" if index == 0 else "false", "logStorageAccountId": item.log_storage_account_id,
             "targetManagedDiskId": managed_disk_id(item.azure_vm_id, item.azure_disk_name(index)) if item.azure_vm_id else None}
            for index, disk in enumerate(_disks(item, "capacityInBytes"))]


def _provider_details(item: ProtectedItem) -> dict[str, Any]:
    """providerSpecificDetails of the item's current provider."""
    heartbeat = iso(item.agent_last_heartbeat)
    vm_group, vm_name = _vm_location(item.azure_vm_id)
    if item.provider == "InMageAzureV2":
        return {
            "instanceType": "InMageAzureV2",
            "osType": item.os_type,
            "osName": item.distro,
            "agentVersion": item.agent_version,
            "lastHeartbeat": heartbeat,
            "processServerId": item.process_server_id,
            "masterTargetId": item.master_target_id,
            "recoveryAzureVMName": vm_name,
            "recoveryAzureResourceGroupId": vm_group,
            "targetVmId": item.azure_vm_id,
            "recoveryAzureStorageAccount": item.storage_account_id,
            "multiVmGroupName": item.multi_vm_group,
            "multiVmGroupId": item.multi_vm_group,
            "recoveryAzureLogStorageAccountId": item.log_storage_account_id,
            "protectedDisks": _disks(item, "diskCapacityInBytes"),
            "protectedManagedDisks": _managed_disks(item),
            "vCenterInfrastructureId": item.vcenter_id,
            "osDiskId": item.source_disk_id(0),
            "vmNics": [{"nicId": "nic-0", "ipConfigs": [{"name": "ipconfig1", "isPrimary": True, "staticIPAddress": item.source_ip_address,
                                                          "ipAddressType": item.source_ip_type}]}],
            "ipAddress": item.source_ip_address,
        }
    if item.provider == "InMage":
        return {
            "instanceType": "InMage",
            "osDetails": {"osType": item.os_type},
            "osVersion": item.distro,
            "agentDetails": {"agentVersion": item.agent_version},
            "lastHeartbeat": heartbeat,
            "processServerId": item.process_server_id,
            "masterTargetId": item.master_target_id,
            "protectedDisks": _disks(item, "diskCapacityInBytes"),
            "datastores": [item.target_datastore] if item.target_datastore else [],
            "ipAddress": item.source_ip_address,
            "vCenterInfrastructureId": item.vcenter_id,
        }
    agent = {"version": item.agent_version, "lastHeartbeatUtc": heartbeat, "distroName": item.distro, "osFamilyName": item.os_type}
    if item.provider == "InMageRcm":
        return {
            **_resync(item),
            "instanceType": "InMageRcm",
            "osType": item.os_type,
            "processServerId": item.process_server_id,
            "targetVmName": vm_name,
            "targetResourceGroupId": vm_group,
            "runAsAccountId": item.run_as_account_id,
            "protectedDisks": _rcm_disks(item),
            "vmNics": [{"nicId": "nic-0", "isPrimaryNic": "true", "sourceIPAddress": item.source_ip_address,
                        "sourceIPAddressType": item.source_ip_type, "targetIPAddressType": "Dynamic"}],
            "mobilityAgentDetails": agent,
            "isAgentRegistrationSuccessfulAfterFailover": item.agent_registered_after_failover,
            "discoveredVmDetails": _discovered_vm(item),
        }
    return {
        **_resync(item),
        "instanceType": "InMageRcmFailback",
        "osType": item.os_type,
        "targetvCenterId": item.vcenter_id,
        "discoveredVmDetails": _discovered_vm(item),
        "lastPlannedFailoverStatus": item.last_planned_failover_status,
        "lastPlannedFailoverStartTime": iso(item.last_planned_failover_start),
        "azureVirtualMachineId": item.azure_vm_id,
        "reprotectAgentId": item.reprotect_agent_id,
        "targetDataStoreName": item.target_datastore,
        "targetVmName": item.friendly_name,
        "protectedDisks": _disks(item, "capacityInBytes"),
        "vmNics": [{"macAddress": "00:50:56:00:00:01", "networkName": "VM Network", "sourceIpAddress": item.source_ip_address}],
        "mobilityAgentDetails": {key: value for key, value in agent.items() if key in ("version", "lastHeartbeatUtc")},
        "isAgentRegistrationSuccessfulAfterFailover": item.agent_registered_after_failover,
    }


def _discovered_vm(item: ProtectedItem) -> dict[str, Any]:
    """Modernized: the VM as the appliance discovered it in vCenter."""
    return {"vCenterId": item.vcenter_id, "vCenterFqdn": item.vcenter_fqdn, "osName": item.distro,
            "datastores": [item.target_datastore] if item.target_datastore else [], "ipAddresses": [item.source_ip_address],
            "isDeleted": False}


def _resync(item: ProtectedItem) -> dict[str, Any]:
    """Modernized details' resynchronisation fields: ASR sends the flag as the string "true" or "false"."""
    return {"resyncRequired": "true" if item.resync_required else "false", "resyncState": item.resync_state,
            "resyncProgressPercentage": item.resync_progress_percent}


def _vm_location(vm_id: str | None) -> tuple[str | None, str | None]:
    """(resource group id, VM name) of an Azure VM id."""
    if not vm_id:
        return None, None
    group_id, _, name = vm_id.partition("/providers/")
    return group_id, name.rsplit("/", 1)[-1]


def job_id(group, vault: Vault, job: Job) -> str:
    return f"{vault_id(group, vault)}/replicationJobs/{job.name}"


def render_item(group, vault: Vault, item: ProtectedItem) -> dict[str, Any]:
    job = vault.jobs.get(item.current_job) if item.current_job else None
    fabric = vault.fabrics[item.fabric_name]
    return {
        "id": item_id(group, vault, item),
        "name": item.name,
        "type": _TYPE + "replicationFabrics/replicationProtectionContainers/replicationProtectedItems",
        "location": vault.location,
        "properties": {
            "friendlyName": item.friendly_name,
            "protectedItemType": "VMwareVirtualMachine",
            "primaryFabricFriendlyName": fabric.friendly_name,
            "primaryFabricProvider": fabric.kind,
            "recoveryFabricFriendlyName": "Microsoft Azure",
            "protectionState": item.protection_state,
            "protectionStateDescription": item.protection_state_description,
            "activeLocation": item.active_location,
            "allowedOperations": list(item.allowed_operations),
            "replicationHealth": item.replication_health,
            "healthErrors": _health_errors(item.health_errors),
            # ASR names the running job by its full ARM id here (jobs' own `name` is the bare GUID).
            "currentScenario": ({"scenarioName": job.scenario_name, "jobId": job_id(group, vault, job), "startTime": iso(job.start_time)}
                                if job else {"scenarioName": "None", "jobId": "None"}),
            "providerSpecificDetails": _provider_details(item),
        },
    }


def render_job(group, vault: Vault, job: Job) -> dict[str, Any]:
    return {
        "id": job_id(group, vault, job),
        "name": job.name,
        "type": _TYPE + "replicationJobs",
        "properties": {
            "activityId": job.name,
            "scenarioName": job.scenario_name,
            "friendlyName": job.friendly_name,
            "state": job.state,
            "stateDescription": job.state,
            "startTime": iso(job.start_time),
            "endTime": iso(job.end_time),
            "targetObjectId": job.target_object_id,
            "targetObjectName": job.target_object_name,
            "targetInstanceType": "ProtectionEntity",
            "allowedActions": ["Restart"] if job.state == "Failed" else [],
            "tasks": [],
            "errors": [{
                "serviceErrorDetails": {"code": error.code, "message": error.message, "possibleCauses": error.possible_causes,
                                        "recommendedAction": error.recommended_action, "activityId": job.name},
                "providerErrorDetails": ({"errorCode": error.provider_code, "errorMessage": error.provider_message or ""}
                                         if error.provider_code is not None else None),
                "errorLevel": "Error",
                "creationTime": iso(job.end_time or job.start_time),
            } for error in job.errors],
        },
    }


def render_plan(group, vault: Vault, plan: RecoveryPlan) -> dict[str, Any]:
    by_name = {item.name.lower(): item for _, _, item in vault.protected_items()}
    members = [by_name[name.lower()] for name in plan.item_names if name.lower() in by_name]
    return {
        "id": f"{vault_id(group, vault)}/replicationRecoveryPlans/{plan.name}",
        "name": plan.name,
        "type": _TYPE + "replicationRecoveryPlans",
        "properties": {
            "friendlyName": plan.friendly_name,
            "replicationProviders": sorted({item.provider for item in members}),
            "allowedOperations": list(plan.allowed_operations),
            "currentScenario": {"scenarioName": "None", "jobId": "None"},
            "groups": [
                {"groupType": "Shutdown", "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []},
                {"groupType": "Failover", "replicationProtectedItems": [], "startGroupActions": [], "endGroupActions": []},
                {"groupType": "Boot", "replicationProtectedItems": [{"id": item_id(group, vault, item), "virtualMachineId": item.name}
                                                                  for item in members],
                 "startGroupActions": [], "endGroupActions": []},
            ],
        },
    }


# -- routes ---------------------------------------------------------------------------------------------------------------
@route("GET", VAULT + r"/replicationFabrics")
def _list_fabrics(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return paged(request, [render_fabric(group, vault, fabric) for fabric in vault.fabrics.values()], arm.page_size)


@route("GET", VAULT + r"/replicationFabrics/(?P<fabric>[^/]+)")
def _get_fabric(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return Response(200, render_fabric(group, vault, _fabric(vault, request)))


def plan_named(vault: Vault, name: str) -> RecoveryPlan:
    plan = vault.plans.get(name)
    if plan is None:
        raise ArmError(404, "RecoveryPlanNotFound", f"Recovery plan {name} was not found in vault {vault.name}.")
    return plan


def job_named(vault: Vault, name: str) -> Job:
    job = vault.jobs.get(name)
    if job is None:
        raise ArmError(404, "JobNotFound", f"Job {name} not found.")
    return job


def _fabric(vault: Vault, request: Request) -> Fabric:
    fabric = vault.fabrics.get(request.params["fabric"])
    if fabric is None:
        raise ArmError(404, "FabricNotFound", f"Fabric {request.params['fabric']} not found in vault {vault.name}.")
    return fabric


@route("GET", VAULT + r"/replicationvCenters")
def _list_vcenters(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return paged(request, [render_vcenter(group, vault, fabric, vcenter) for fabric in vault.fabrics.values() for vcenter in fabric.vcenters],
                 arm.page_size)


@route("GET", VAULT + r"/replicationFabrics/(?P<fabric>[^/]+)/replicationvCenters")
def _list_fabric_vcenters(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    fabric = _fabric(vault, request)
    return paged(request, [render_vcenter(group, vault, fabric, vcenter) for vcenter in fabric.vcenters], arm.page_size)


@route("GET", VAULT + r"/replicationFabrics/(?P<fabric>[^/]+)/replicationvCenters/(?P<vcenter>[^/]+)")
def _get_vcenter(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    fabric = _fabric(vault, request)
    vcenter = next((found for found in fabric.vcenters if found.name.lower() == request.params["vcenter"].lower()), None)
    if vcenter is None:
        raise ArmError(404, "VCenterNotFound", f"vCenter {request.params['vcenter']} not found in fabric {fabric.name}.")
    return Response(200, render_vcenter(group, vault, fabric, vcenter))


@route("GET", VAULT + r"/replicationProtectionContainers")
def _list_containers(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    values = [render_container(group, vault, fabric, container) for fabric in vault.fabrics.values()
              for container in fabric.containers.values()]
    return paged(request, values, arm.page_size)


@route("GET", VAULT + r"/replicationFabrics/(?P<fabric>[^/]+)/replicationProtectionContainers")
def _list_fabric_containers(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    fabric = _fabric(vault, request)
    return paged(request, [render_container(group, vault, fabric, c) for c in fabric.containers.values()], arm.page_size)


@route("GET", VAULT + r"/replicationProtectedItems")
def _list_items(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return paged(request, [render_item(group, vault, item) for _, _, item in vault.protected_items()], arm.page_size)


def _item(vault: Vault, request: Request) -> ProtectedItem:
    fabric = _fabric(vault, request)
    container = fabric.containers.get(request.params["container"])
    item = container.items.get(request.params["item"]) if container else None
    if item is None:
        raise ArmError(404, "ReplicationProtectedItemNotFound",
                       f"Protected item {request.params['item']} not found in container {request.params['container']}.")
    return item


@route("GET", ITEM)
def _get_item(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return Response(200, render_item(group, vault, _item(vault, request)))


@route("GET", ITEM + r"/recoveryPoints")
def _list_recovery_points(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    item = _item(vault, request)
    base = item_id(group, vault, item)
    points = sorted(item.recovery_points, key=lambda point: point.time, reverse=True)
    values = [{"id": f"{base}/recoveryPoints/{point.name}", "name": point.name,
               "type": _TYPE + "replicationFabrics/replicationProtectionContainers/replicationProtectedItems/recoveryPoints",
               "properties": {"recoveryPointTime": iso(point.time), "recoveryPointType": point.type}} for point in points]
    return paged(request, values, arm.page_size)


_START_TIME = re.compile(r"startTime\s+(?:eq|ge|gt)\s+'([^']+)'", re.IGNORECASE)


@route("GET", VAULT + r"/replicationJobs")
def _list_jobs(arm, request: Request) -> Response:
    """Jobs, newest first; a `startTime eq '...'` filter keeps those started since then, as ASR's job query does."""
    group, vault = vault_of(arm, request)
    jobs = sorted(vault.jobs.values(), key=lambda job: job.start_time, reverse=True)
    if match := _START_TIME.search(request.query.get("$filter", "")):
        since = dt.datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
        jobs = [job for job in jobs if job.start_time >= since]
    return paged(request, [render_job(group, vault, job) for job in jobs], arm.page_size)


@route("GET", VAULT + r"/replicationJobs/(?P<job>[^/]+)")
def _get_job(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    job = job_named(vault, request.params["job"])
    arm.actions.advance(job)  # a job runs on whether its status is read through the operation or the job itself
    return Response(200, render_job(group, vault, job))


@route("GET", VAULT + r"/replicationRecoveryPlans")
def _list_plans(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return paged(request, [render_plan(group, vault, plan) for plan in vault.plans.values()], arm.page_size)


@route("GET", VAULT + r"/replicationRecoveryPlans/(?P<plan>[^/]+)")
def _get_plan(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return Response(200, render_plan(group, vault, plan_named(vault, request.params["plan"])))


# -- policies and their associations ---------------------------------------------------------------------------------------
def policy_id(group, vault: Vault, policy: Policy) -> str:
    return f"{vault_id(group, vault)}/replicationPolicies/{policy.name}"


def container_id(group, vault: Vault, fabric_name: str, container_name: str) -> str:
    return f"{vault_id(group, vault)}/replicationFabrics/{fabric_name}/replicationProtectionContainers/{container_name}"


def render_policy(group, vault: Vault, policy: Policy) -> dict[str, Any]:
    details: dict[str, Any] = {"instanceType": policy.provider}
    if policy.provider in ("InMageAzureV2", "InMage"):
        details.update({"recoveryPointHistory": policy.recovery_point_history_minutes,
                        "appConsistentFrequencyInMinutes": policy.app_consistent_frequency_minutes, "multiVmSyncStatus": "Enabled"})
    else:
        details.update({"recoveryPointHistoryInMinutes": policy.recovery_point_history_minutes,
                        "appConsistentFrequencyInMinutes": policy.app_consistent_frequency_minutes})
    return {"id": policy_id(group, vault, policy), "name": policy.name, "type": _TYPE + "replicationPolicies",
            "properties": {"friendlyName": policy.name, "providerSpecificDetails": details}}


def render_mapping(group, vault: Vault, mapping: ContainerMapping) -> dict[str, Any]:
    fabric = vault.fabrics[mapping.fabric_name]
    container = fabric.containers[mapping.container_name]
    policy = vault.policies[mapping.policy_name]
    source = container_id(group, vault, fabric.name, container.name)
    return {
        "id": f"{source}/replicationProtectionContainerMappings/{mapping.name}",
        "name": mapping.name,
        "type": _TYPE + "replicationFabrics/replicationProtectionContainers/replicationProtectionContainerMappings",
        "properties": {
            "policyId": policy_id(group, vault, policy),
            "policyFriendlyName": policy.name,
            "sourceFabricFriendlyName": fabric.friendly_name,
            "sourceProtectionContainerFriendlyName": container.friendly_name,
            "targetFabricFriendlyName": "Microsoft Azure",
            "targetProtectionContainerId": mapping.target_container_id,
            "targetProtectionContainerFriendlyName": mapping.target_container_id,
            "state": mapping.state,
            "health": "Normal",
        },
    }


@route("GET", VAULT + r"/replicationPolicies")
def _list_policies(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return paged(request, [render_policy(group, vault, policy) for policy in vault.policies.values()], arm.page_size)


@route("GET", VAULT + r"/replicationPolicies/(?P<policy>[^/]+)")
def _get_policy(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    policy = vault.policies.get(request.params["policy"])
    if policy is None:
        raise ArmError(404, "PolicyNotFound", f"Policy {request.params['policy']} was not found in vault {vault.name}.")
    return Response(200, render_policy(group, vault, policy))


@route("GET", VAULT + r"/replicationProtectionContainerMappings")
def _list_mappings(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    return paged(request, [render_mapping(group, vault, mapping) for mapping in vault.mappings], arm.page_size)
