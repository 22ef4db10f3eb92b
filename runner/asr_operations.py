"""ASR's failback operations through the SDK: reprotect, failover, commit, restart, job status, Azure VM removal.

The reprotect input is chosen by the item's current provider, as Azure PowerShell's
Update-AzRecoveryServicesAsrProtectionDirection does; failover is unplanned on classic sites and planned on modernized
ones. The job id comes from the accepted POST's Azure-AsyncOperation header, read with azure-core's per-call response
hook, so the run follows the job itself (with its errors) and keeps the poller's continuation token in the journal.
"""

from __future__ import annotations

from typing import Any

from failback.checks.model import Experience
from failback.checks.site import Site
from failback.checks.sources.azure_asr import fabric_facts, item_facts, job_facts
from failback.checks.sources.azure_session import AzureSession
from failback.runner.orchestrator import AsrOperationError, Submission
from failback.runner.plan import Step, StepKind

RECOVERY_POINT = {
    # site's choice -> (classic unplanned failover's type, modernized planned failover's type)
    "latest": ("LatestTime", "CrashConsistent"),
    "app-consistent": ("LatestTag", "ApplicationConsistent"),
    "crash-consistent": ("LatestTime", "CrashConsistent"),
}
_FAILOVER_OPERATIONS = {"PlannedFailover", "UnplannedFailover"}


def _job_name(url: str | None) -> str | None:
    return url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] if url else None


class AsrOperations:
    def __init__(self, site: Site, secret: str | None):
        if site.azure is None:
            raise AsrOperationError("config", "the site file has no [azure] section: failback run drives ASR through it")
        self.site = site
        self.settings = site.azure
        self.session = AzureSession(self.settings, secret, pool_size=4)
        self.session.sign_in()
        self.client = self.session.asr
        self._vault = {"resource_group_name": self.settings.resource_group, "resource_name": self.settings.vault}

    def close(self) -> None:
        self.session.close()

    def _call(self, what: str, call: Any) -> Any:
        from azure.core.exceptions import AzureError, HttpResponseError

        try:
            return call()
        except HttpResponseError as exc:
            code = getattr(exc.error, "code", None) or str(exc.status_code)
            raise AsrOperationError(code, f"{what}: {getattr(exc.error, 'message', None) or exc.message}") from None
        except AzureError as exc:
            raise AsrOperationError("unreachable", f"{what}: {exc.message if hasattr(exc, 'message') else exc}") from None

    # -- what ASR says now ------------------------------------------------------------------------------------------
    def item(self, name: str) -> dict[str, Any]:
        items = self._call("listing the protected items", lambda: [item_facts(i) for i in self.client.replication_protected_items.list(**self._vault)])
        found = [item for item in items if (item["friendly_name"] or "").lower() == name.lower()]
        if not found:
            raise AsrOperationError("ItemNotFound", f"vault {self.settings.vault} protects no item named {name}")
        return found[0]

    def _fabric(self, name: str) -> dict[str, Any]:
        return fabric_facts(self._call(f"reading fabric {name}", lambda: self.client.replication_fabrics.get(fabric_name=name, **self._vault)))

    def job(self, job_id: str) -> dict[str, Any]:
        job = self._call(f"reading ASR job {job_id}", lambda: self.client.replication_jobs.get(job_name=job_id, **self._vault))
        facts = job_facts(job)
        tasks = getattr(job.properties, "tasks", None) or []
        done = sum(1 for task in tasks if getattr(task, "state", None) == "Succeeded")
        facts["progress"] = f"{done}/{len(tasks)} tasks" if tasks else None
        return facts

    def running_job(self, step: Step, item: str | None) -> str | None:
        if item is not None:
            scenario = self.item(item)["current_scenario"]
            return scenario["job_id"] if scenario else None
        jobs = self._call("listing ASR jobs", lambda: list(self.client.replication_jobs.list(**self._vault)))
        running = [job for job in jobs if job.properties.target_object_name == step.recovery_plan and job.properties.state == "InProgress"]
        return running[0].name if running else None

    def replication_healthy(self, item: str) -> tuple[bool, str]:
        facts = self.item(item)
        ready = bool(_FAILOVER_OPERATIONS & set(facts["allowed_operations"]))
        health = facts.get("replication_health") or "unknown"
        healthy = ready and health in ("Normal", "None", "unknown")
        return healthy, f"{facts.get('protection_state_description') or facts.get('protection_state')}, replication health {health}"

    # -- operations ---------------------------------------------------------------------------------------------------
    def submit(self, step: Step, item: str | None) -> Submission:
        if step.recovery_plan:
            return self._submit_plan(step)
        facts = self.item(item)
        where = {"fabric_name": facts["fabric"], "protection_container_name": facts["container"], **self._vault}
        operations = self.client.replication_protected_items
        if step.kind in (StepKind.REPROTECT, StepKind.REPROTECT_BACK):
            body = self._reprotect_input(facts, item)
            return self._accepted(f"reprotecting {item}", lambda hook: operations.begin_reprotect(
                replicated_protected_item_name=facts["name"], reprotect_input=body, raw_response_hook=hook, **where), step, item)
        if step.kind == StepKind.FAILOVER:
            if self.site.experience is Experience.MODERNIZED:
                body = self._planned_failover_input()
                return self._accepted(f"failing {item} over", lambda hook: operations.begin_planned_failover(
                    replicated_protected_item_name=facts["name"], failover_input=body, raw_response_hook=hook, **where), step, item)
            body = self._unplanned_failover_input()
            return self._accepted(f"failing {item} over", lambda hook: operations.begin_unplanned_failover(
                replicated_protected_item_name=facts["name"], failover_input=body, raw_response_hook=hook, **where), step, item)
        if step.kind == StepKind.COMMIT:
            return self._accepted(f"committing the failover of {item}", lambda hook: operations.begin_failover_commit(
                replicated_protected_item_name=facts["name"], raw_response_hook=hook, **where), step, item)
        raise ValueError(f"{step.kind} is not an ASR operation")

    def _submit_plan(self, step: Step) -> Submission:
        from azure.mgmt.recoveryservicessiterecovery import models

        plans = self.client.replication_recovery_plans
        name = step.recovery_plan
        classic_type, modernized_type = RECOVERY_POINT[self.settings.recovery_point]
        if step.kind == StepKind.COMMIT:
            return self._accepted(f"committing recovery plan {name}", lambda hook: plans.begin_failover_commit(
                recovery_plan_name=name, raw_response_hook=hook, **self._vault), step, name)
        if self.site.experience is Experience.MODERNIZED:
            body = models.RecoveryPlanPlannedFailoverInput(properties=models.RecoveryPlanPlannedFailoverInputProperties(
                failover_direction="RecoveryToPrimary",
                provider_specific_details=[models.RecoveryPlanInMageRcmFailbackFailoverInput(recovery_point_type=modernized_type, use_multi_vm_sync_point="Enable")]))
            return self._accepted(f"failing recovery plan {name} over", lambda hook: plans.begin_planned_failover(
                recovery_plan_name=name, input=body, raw_response_hook=hook, **self._vault), step, name)
        body = models.RecoveryPlanUnplannedFailoverInput(properties=models.RecoveryPlanUnplannedFailoverInputProperties(
            failover_direction="RecoveryToPrimary", source_site_operations="NotRequired",
            provider_specific_details=[models.RecoveryPlanInMageFailoverInput(recovery_point_type=classic_type)]))
        return self._accepted(f"failing recovery plan {name} over", lambda hook: plans.begin_unplanned_failover(
            recovery_plan_name=name, input=body, raw_response_hook=hook, **self._vault), step, name)

    def _accepted(self, what: str, begin: Any, step: Step, subject: str) -> Submission:
        """Start the operation, return its job; if ASR says another runs on the item (our lost first attempt), follow that."""
        captured: dict[str, str | None] = {}

        def hook(response: Any) -> None:
            headers = response.http_response.headers
            if "job" not in captured and response.http_response.status_code in (200, 201, 202):
                captured["job"] = _job_name(headers.get("Azure-AsyncOperation") or headers.get("Location"))

        try:
            poller = self._call(what, lambda: begin(hook))
        except AsrOperationError as error:
            if error.code == "AnotherOperationInProgress":
                running = self.running_job(step, None if step.recovery_plan else subject)
                if running:
                    return Submission(running)
            raise
        if not captured.get("job"):
            raise AsrOperationError("NoJob", f"{what}: ASR accepted it without naming its job")
        return Submission(captured["job"], poller.continuation_token())

    def restart(self, job_id: str) -> Submission:
        captured: dict[str, str | None] = {}

        def hook(response: Any) -> None:
            headers = response.http_response.headers
            captured.setdefault("job", _job_name(headers.get("Azure-AsyncOperation") or headers.get("Location")))

        poller = self._call(f"restarting ASR job {job_id}", lambda: self.client.replication_jobs.begin_restart(
            job_name=job_id, raw_response_hook=hook, **self._vault))
        return Submission(captured.get("job") or job_id, poller.continuation_token())

    def delete_azure_vm(self, item: str) -> str:
        vm_id = self.item(item).get("azure_vm_id")
        if not vm_id:
            raise AsrOperationError("NoAzureVm", f"ASR does not name the Azure VM of {item}: delete it in the portal")
        parts = vm_id.split("/")
        compute = self.session.compute(parts[2])
        self._call(f"deleting Azure VM {parts[-1]}", lambda: compute.virtual_machines.begin_delete(parts[4], parts[-1]).result())
        return f"deleted Azure VM {parts[-1]}"

    # -- inputs, by the item's current provider ----------------------------------------------------------------------
    def _reprotect_input(self, facts: dict[str, Any], item: str) -> Any:
        from azure.mgmt.recoveryservicessiterecovery import models

        settings = self.settings
        provider = facts["provider"]
        vm = next((vm for vm in self.site.vms if vm.name.lower() == item.lower()), None)
        datastore = vm.datastore if vm else None
        fabric = self._fabric(facts["fabric"]) if facts.get("fabric") else {}
        direction = "RecoveryToPrimary"
        if provider == "InMageAzureV2":
            master_target = self._master_target(fabric, item)
            details = models.InMageReprotectInput(
                master_target_id=master_target["id"] if master_target else facts.get("master_target_id"),
                process_server_id=facts.get("process_server_id") or _first_id(fabric.get("process_servers")),
                retention_drive=settings.retention_drive or ("R:" if master_target and (master_target.get("os_type") or "").lower() == "windows" else "/mnt/retention"),
                run_as_account_id=settings.run_as_account_id, datastore_name=datastore, profile_id=settings.failback_policy_id)
        elif provider == "InMage":
            details = models.InMageAzureV2ReprotectInput(
                process_server_id=facts.get("process_server_id"), master_target_id=facts.get("master_target_id"),
                run_as_account_id=settings.run_as_account_id, policy_id=settings.reprotect_policy_id,
                storage_account_id=settings.storage_account_id, log_storage_account_id=settings.log_storage_account_id)
        elif provider == "InMageRcm":
            agent = next((a for a in fabric.get("reprotect_agents", []) if (a.get("health") or "Normal") == "Normal"), None) or _first(fabric.get("reprotect_agents"))
            details = models.InMageRcmReprotectInput(
                reprotect_agent_id=agent["id"] if agent else None, datastore_name=datastore,
                log_storage_account_id=settings.log_storage_account_id, policy_id=settings.failback_policy_id)
        elif provider == "InMageRcmFailback":
            direction = "PrimaryToRecovery"
            details = models.InMageRcmFailbackReprotectInput(
                process_server_id=_first_id(fabric.get("process_servers")), run_as_account_id=settings.run_as_account_id,
                policy_id=settings.reprotect_policy_id)
        else:
            raise AsrOperationError("UnsupportedProvider", f"{item} is replicated by {provider}, which failback does not drive")
        return models.ReverseReplicationInput(properties=models.ReverseReplicationInputProperties(
            failover_direction=direction, provider_specific_details=details))

    def _master_target(self, fabric: dict[str, Any], item: str) -> dict[str, Any] | None:
        vm = next((vm for vm in self.site.vms if vm.name.lower() == item.lower()), None)
        wanted = self.site.master_target_for(vm) if vm else None
        servers = fabric.get("master_targets", [])
        return next((s for s in servers if wanted and (s["name"] or "").lower() == wanted.name.lower()), None) or _first(servers)

    def _unplanned_failover_input(self) -> Any:
        from azure.mgmt.recoveryservicessiterecovery import models

        return models.UnplannedFailoverInput(properties=models.UnplannedFailoverInputProperties(
            failover_direction="RecoveryToPrimary", source_site_operations="NotRequired",
            provider_specific_details=models.InMageUnplannedFailoverInput(recovery_point_type=RECOVERY_POINT[self.settings.recovery_point][0])))

    def _planned_failover_input(self) -> Any:
        from azure.mgmt.recoveryservicessiterecovery import models

        return models.PlannedFailoverInput(properties=models.PlannedFailoverInputProperties(
            failover_direction="RecoveryToPrimary",
            provider_specific_details=models.InMageRcmFailbackPlannedFailoverProviderInput(recovery_point_type=RECOVERY_POINT[self.settings.recovery_point][1])))


def _first(entries: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    return entries[0] if entries else None


def _first_id(entries: list[dict[str, Any]] | None) -> str | None:
    first = _first(entries)
    return first.get("id") if first else None
