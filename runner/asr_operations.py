"""ASR's failback operations through the SDK: reprotect, failover, commit, restart, job status, Azure VM removal.

What is sent is resolved beforehand (runner/asr_requests.py: each id from a verified fact); this module only sends it,
as the JSON body the SDK posts unchanged. The job id comes from the accepted POST's Azure-AsyncOperation header, read
with azure-core's per-call response hook, so the run follows the job itself (with its errors) and keeps the poller's continuation token in the journal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from failback.checks.model import Experience
from failback.checks.site import Site
from failback.checks.sources.azure_asr import item_facts, job_facts, job_name
from failback.checks.sources.azure_session import AzureSession
from failback.runner.asr_requests import AsrRequest
from failback.runner.orchestrator import AsrOperationError, Submission
from failback.runner.plan import Step, StepKind

_FAILOVER_OPERATIONS = {"PlannedFailover", "UnplannedFailover"}
CLOCK_MARGIN = dt.timedelta(minutes=5)


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

    def job(self, job_id: str) -> dict[str, Any]:
        job = self._call(f"reading ASR job {job_id}", lambda: self.client.replication_jobs.get(job_name=job_id, **self._vault))
        facts = job_facts(job)
        tasks = getattr(job.properties, "tasks", None) or []
        done = sum(1 for task in tasks if getattr(task, "state", None) == "Succeeded")
        facts["progress"] = f"{done}/{len(tasks)} tasks" if tasks else None
        return facts

    def accepted_job(self, step: Step, item: str | None, since: str, known: set[str]) -> str | None:
        """The job ASR runs or ran for this step since it was asked (`since`, the journal's time): the item's running
        job, else the newest job of the step's operation on its item or plan started since then that the journal does
        not know yet (a request accepted whose answer was lost, its job maybe over already)."""
        running = self._running(item, None if item is not None else step.recovery_plan)
        if running is not None:
            return running
        # ASR's job times against ours: a few minutes of skew must not hide the job (time.skew judges clocks).
        after = dt.datetime.fromisoformat(since) - CLOCK_MARGIN
        query = f"startTime eq '{after:%Y-%m-%dT%H:%M:%SZ}'"
        jobs = self._call("listing ASR jobs", lambda: [job_facts(job) for job in self.client.replication_jobs.list(filter=query, **self._vault)])
        target = (item or step.recovery_plan or "").lower()
        accepted = [job for job in jobs if job["scenario"] == self._scenario(step) and (job["target_name"] or "").lower() == target
                    and job["name"] not in known]
        return max(accepted, key=lambda job: job["started"])["name"] if accepted else None

    def _scenario(self, step: Step) -> str:
        """The scenario name of the jobs a step's operation runs as."""
        if step.kind in (StepKind.REPROTECT, StepKind.REPROTECT_BACK):
            return "ReverseReplicate"
        if step.kind == StepKind.COMMIT:
            return "Commit"
        return "PlannedFailover" if self.site.experience is Experience.MODERNIZED else "UnplannedFailover"

    def _running(self, item: str | None, plan: str | None) -> str | None:
        """The job ASR runs on the item (its currentScenario) or on the plan (an InProgress job targeting it)."""
        if item is not None:
            scenario = self.item(item)["current_scenario"]
            return scenario["job_id"] if scenario else None
        jobs = self._call("listing ASR jobs", lambda: list(self.client.replication_jobs.list(**self._vault)))
        running = sorted((job for job in jobs if job.properties.target_object_name == plan and job.properties.state == "InProgress"),
                         key=lambda job: job.properties.start_time, reverse=True)
        return running[0].name if running else None

    def replication_healthy(self, item: str) -> tuple[bool, str]:
        facts = self.item(item)
        ready = bool(_FAILOVER_OPERATIONS & set(facts["allowed_operations"]))
        health = facts.get("replication_health") or "unknown"
        healthy = ready and health in ("Normal", "None", "unknown")
        return healthy, f"{facts.get('protection_state_description') or facts.get('protection_state')}, replication health {health}"

    # -- operations ---------------------------------------------------------------------------------------------------
    def submit(self, request: AsrRequest) -> Submission:
        """Send the request exactly as resolved (its body is the JSON the SDK posts), and return ASR's job."""
        body = request.body
        if request.item is not None:
            operations = self.client.replication_protected_items
            where = {"fabric_name": request.fabric, "protection_container_name": request.container,
                     "replicated_protected_item_name": request.item, **self._vault}
            begin = {
                "reProtect": lambda hook: operations.begin_reprotect(reprotect_input=body, raw_response_hook=hook, **where),
                "unplannedFailover": lambda hook: operations.begin_unplanned_failover(failover_input=body, raw_response_hook=hook, **where),
                "plannedFailover": lambda hook: operations.begin_planned_failover(failover_input=body, raw_response_hook=hook, **where),
                "failoverCommit": lambda hook: operations.begin_failover_commit(raw_response_hook=hook, **where),
            }[request.operation]
        else:
            plans = self.client.replication_recovery_plans
            name = request.target.removeprefix("plan:")
            begin = {
                "unplannedFailover": lambda hook: plans.begin_unplanned_failover(recovery_plan_name=name, input=body, raw_response_hook=hook, **self._vault),
                "plannedFailover": lambda hook: plans.begin_planned_failover(recovery_plan_name=name, input=body, raw_response_hook=hook, **self._vault),
                "failoverCommit": lambda hook: plans.begin_failover_commit(recovery_plan_name=name, raw_response_hook=hook, **self._vault),
            }[request.operation]
        return self._accepted(f"{request.operation} on {request.target}", begin, request)

    def _accepted(self, what: str, begin: Any, request: AsrRequest) -> Submission:
        """Start the operation, return its job; if ASR says another runs on the item (our lost first attempt), follow that."""
        captured: dict[str, str | None] = {}

        def hook(response: Any) -> None:
            headers = response.http_response.headers
            if "job" not in captured and response.http_response.status_code in (200, 201, 202):
                captured["job"] = job_name(headers.get("Azure-AsyncOperation") or headers.get("Location"))

        try:
            poller = self._call(what, lambda: begin(hook))
        except AsrOperationError as error:
            if error.code == "AnotherOperationInProgress":
                item = request.target.removeprefix("item:") if request.item is not None else None
                running = self._running(item, request.target.removeprefix("plan:") if item is None else None)
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
            captured.setdefault("job", job_name(headers.get("Azure-AsyncOperation") or headers.get("Location")))

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
