"""ASR's failback operations on the fake: reprotect, planned and unplanned failover, commit, each a job.

As ASR does it: the POST answers 202 with Location `<item>/operationresults/<job>` and Azure-AsyncOperation
`<vault>/replicationOperationStatus/<job>`; the job stays InProgress for `polls_per_job` status polls, then succeeds and
moves the item to its next stage, or fails with the ASR error queued by `fail_next` and leaves the item where it was.
An operation the item does not allow answers 400; one while another job runs on the item answers 409
AnotherOperationInProgress, as a retried POST whose first attempt was accepted meets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from failback.lab.fake_arm.asr_api import item_id, job_named, render_item, vault_id, vault_of
from failback.lab.fake_arm.routes import ITEM, VAULT, ArmError, Request, Response, iso, route
from failback.lab.fake_arm.stages import experience_of, set_stage, stage_of
from failback.lab.fake_arm.state import Job, JobError, ProtectedItem

# (operation, stage before) -> stage after. Classic fails back with an unplanned failover, modernized with a planned one.
_TRANSITIONS = {
    ("ReverseReplicate", "in_azure"): "replicating_back",
    ("ReverseReplicate", "back_on_prem"): "protected",
    ("UnplannedFailover", "replicating_back"): "failed_back",
    ("PlannedFailover", "replicating_back"): "failed_back",
    ("Commit", "failed_back"): "back_on_prem",
}
_VERBS = {"reProtect": "ReverseReplicate", "unplannedFailover": "UnplannedFailover", "plannedFailover": "PlannedFailover",
          "failoverCommit": "Commit"}


@dataclass
class _Running:
    item: ProtectedItem
    experience: str
    stage_after: str
    allowed_before: list[str]
    polls_left: int


class AsrActions:
    """The jobs the fake runs, and the failures tests queue for them."""

    def __init__(self) -> None:
        self.polls_per_job = 1
        self._running: dict[str, _Running] = {}
        self._failures: dict[str, JobError] = {}
        self._plan_jobs: dict[str, list[Job]] = {}  # a recovery plan's job -> its items' jobs
        self._lock = threading.Lock()
        self.submitted: list[tuple[str, str]] = []  # (operation, item or plan) of every accepted POST, for exactly-once tests
        # Told of every item that reached a new stage: a whole lab makes the on-prem side follow (a VM failed back runs).
        self.on_stage: Callable[[ProtectedItem, str], None] | None = None

    def fail_next(self, operation: str, error: JobError) -> None:
        """The next job of this operation (ReverseReplicate, PlannedFailover...) fails with this ASR error."""
        with self._lock:
            self._failures[operation] = error

    def start(self, vault, item: ProtectedItem, operation: str, on_behalf_of_plan: bool = False) -> Job:
        if item.current_job and vault.jobs.get(item.current_job) and vault.jobs[item.current_job].state == "InProgress":
            raise ArmError(409, "AnotherOperationInProgress", f"Another operation is in progress on {item.friendly_name}.")
        stage = stage_of(item)
        if operation not in item.allowed_operations or (operation, stage) not in _TRANSITIONS:
            raise ArmError(400, "OperationNotAllowed", f"{operation} is not allowed on {item.friendly_name} "
                                                       f"(allowed: {', '.join(item.allowed_operations) or 'none'}).")
        job = vault.add_job(Job(operation, item.friendly_name))
        with self._lock:
            self._running[job.name] = _Running(item, experience_of(item), _TRANSITIONS[(operation, stage)],
                                               list(item.allowed_operations), self.polls_per_job)
            if not on_behalf_of_plan:
                self.submitted.append((operation, item.friendly_name))
        item.current_job = job.name
        item.allowed_operations = []
        return job

    def start_plan(self, vault, plan, operation: str) -> Job:
        """A recovery plan's operation: one job for the plan, running a job per item; it fails if any of them fails.

        As ASR does when a failed plan job is restarted, items the operation already moved on are left alone.
        """
        items = [item for _, _, item in vault.protected_items() if item.name in plan.item_names]
        if operation != "Commit" and operation not in plan.allowed_operations:
            raise ArmError(400, "OperationNotAllowed", f"{operation} is not allowed on recovery plan {plan.name}.")
        done_stages = {after for (name, _), after in _TRANSITIONS.items() if name == operation}
        pending = [item for item in items if stage_of(item) not in done_stages or (operation, stage_of(item)) in _TRANSITIONS]
        children = [self.start(vault, item, operation, on_behalf_of_plan=True) for item in pending]
        with self._lock:
            self.submitted.append((operation, plan.name))
        job = vault.add_job(Job(operation, plan.name))
        with self._lock:
            self._plan_jobs[job.name] = children
        return job

    def restart(self, vault, job: Job) -> Job:
        """ASR's restart of a failed job: the same operation on the same item (or plan) again, as a new job."""
        if job.state != "Failed":
            raise ArmError(400, "JobNotRestartable", f"Job {job.name} is {job.state}; only a failed job can be restarted.")
        plan = vault.plans.get(job.target_object_name)
        if plan is not None:
            return self.start_plan(vault, plan, job.scenario_name)
        return self.start(vault, vault.item_named(job.target_object_name), job.scenario_name)

    def advance(self, job: Job) -> None:
        """One status poll: the job progresses, and ends once its polls are used up."""
        with self._lock:
            children = self._plan_jobs.get(job.name)
        if children is not None:
            for child in children:
                self.advance(child)
            if all(child.state != "InProgress" for child in children):
                with self._lock:
                    self._plan_jobs.pop(job.name, None)
                failed = [error for child in children for error in child.errors]
                job.finish(not failed, failed)
            return
        with self._lock:
            running = self._running.get(job.name)
            if running is None:
                return
            if running.polls_left > 0:
                running.polls_left -= 1
                return
            del self._running[job.name]
            failure = self._failures.pop(job.scenario_name, None)
        item = running.item
        item.current_job = None
        if failure is not None:
            job.finish(False, [failure])
            item.allowed_operations = running.allowed_before
        else:
            if self.on_stage is not None:
                self.on_stage(item, running.stage_after)  # before the job ends: whoever polls it sees the world it left
            set_stage(item, running.experience, running.stage_after)
            job.finish(True)


def _accepted(request: Request, group, vault, item: ProtectedItem, job: Job) -> Response:
    base = request.base_url
    api_version = request.query.get("api-version", "")
    return Response(202, None, {
        "Location": f"{base}{item_id(group, vault, item)}/operationresults/{job.name}?api-version={api_version}",
        "Azure-AsyncOperation": f"{base}{vault_id(group, vault)}/replicationOperationStatus/{job.name}?api-version={api_version}",
        "Retry-After": "0",
    })


@route("POST", ITEM + r"/(?P<verb>reProtect|unplannedFailover|plannedFailover|failoverCommit)")
def _start(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    fabric = vault.fabrics.get(request.params["fabric"])
    container = fabric.containers.get(request.params["container"]) if fabric else None
    item = container.items.get(request.params["item"]) if container else None
    if item is None:
        raise ArmError(404, "ReplicationProtectedItemNotFound", f"Protected item {request.params['item']} not found.")
    verb = next(name for name in _VERBS if name.lower() == request.params["verb"].lower())
    job = arm.actions.start(vault, item, _VERBS[verb])
    job.target_object_id = item_id(group, vault, item)
    return _accepted(request, group, vault, item, job)


@route("POST", VAULT + r"/replicationRecoveryPlans/(?P<plan>[^/]+)/(?P<verb>unplannedFailover|plannedFailover|failoverCommit)")
def _start_plan(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    plan = vault.plans.get(request.params["plan"])
    if plan is None:
        raise ArmError(404, "RecoveryPlanNotFound", f"Recovery plan {request.params['plan']} not found.")
    verb = next(name for name in _VERBS if name.lower() == request.params["verb"].lower())
    job = arm.actions.start_plan(vault, plan, _VERBS[verb])
    return _job_accepted(request, group, vault, job)


@route("POST", VAULT + r"/replicationJobs/(?P<job>[^/]+)/restart")
def _restart(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    job = arm.actions.restart(vault, job_named(vault, request.params["job"]))
    return _job_accepted(request, group, vault, job)


def _job_accepted(request: Request, group, vault, job: Job) -> Response:
    """202 for an operation whose result is a job: Location and Azure-AsyncOperation both name it."""
    base, api_version = request.base_url, request.query.get("api-version", "")
    return Response(202, None, {
        "Location": f"{base}{vault_id(group, vault)}/replicationJobs/{job.name}?api-version={api_version}",
        "Azure-AsyncOperation": f"{base}{vault_id(group, vault)}/replicationOperationStatus/{job.name}?api-version={api_version}",
        "Retry-After": "0",
    })


@route("GET", VAULT + r"/replicationOperationStatus/(?P<job>[^/]+)")
def _operation_status(arm, request: Request) -> Response:
    _, vault = vault_of(arm, request)
    job = job_named(vault, request.params["job"])
    arm.actions.advance(job)
    body = {"name": job.name, "status": job.state, "startTime": iso(job.start_time), "endTime": iso(job.end_time)}
    if job.state == "Failed" and job.errors:
        body["error"] = {"code": job.errors[0].code, "message": job.errors[0].message}
    return Response(200, body)


@route("GET", ITEM + r"/operationresults/(?P<job>[^/]+)")
def _operation_result(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    job = job_named(vault, request.params["job"])
    if job.state == "InProgress":
        return Response(202, None, {"Location": f"{request.base_url}{request.path}?api-version={request.query.get('api-version', '')}",
                                    "Retry-After": "0"})
    item = next(item for _, _, item in vault.protected_items() if item.friendly_name == job.target_object_name)
    return Response(200, render_item(group, vault, item))
