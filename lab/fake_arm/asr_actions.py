"""ASR's failback operations on the fake: reprotect, planned and unplanned failover, commit, each a job.

As ASR does it: the POST answers 202 with Location `<item>/operationresults/<job>` and Azure-AsyncOperation
`<vault>/replicationOperationStatus/<job>`; the job stays InProgress for `polls_per_job` status polls, then succeeds and
moves the item to its next stage, or fails with the ASR error queued by `fail_next` and leaves the item where it was.
An operation the item does not allow answers 400; one while another job runs on the item answers 409
AnotherOperationInProgress, as a retried POST whose first attempt was accepted meets it. Every body is held to ASR's
REST contract and the vault's facts first (asr_contract.py): what ASR refuses, the fake refuses.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from failback.lab.fake_arm import asr_contract
from failback.lab.fake_arm.asr_api import item_id, job_named, plan_named, render_item, vault_id, vault_of
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
    failure: JobError | None = None  # how ASR fails this job: the ids of its request do not fit the VM
    body: dict | None = None


@dataclass(frozen=True)
class Accepted:
    """A write the fake accepted: for tests that check what the runner sent."""

    operation: str  # ReverseReplicate, UnplannedFailover, PlannedFailover, Commit
    target: str  # the item's VM name or the plan's name
    body: dict | None


class AsrActions:
    """The jobs the fake runs, and the failures tests queue for them."""

    def __init__(self) -> None:
        self.polls_per_job = 1
        self._running: dict[str, _Running] = {}
        self._failures: dict[str, JobError] = {}
        self._plan_jobs: dict[str, list[Job]] = {}  # a recovery plan's job -> its items' jobs
        self._bodies: dict[str, dict | None] = {}  # an item job -> the body it was started with (a restart sends it again)
        self._lock = threading.Lock()
        self.submitted: list[tuple[str, str]] = []  # (operation, item or plan) of every accepted POST, for exactly-once tests
        self.accepted: list[Accepted] = []  # the same, with the bodies
        self.restarted: list[tuple[str, str]] = []  # (operation, item or plan) of every job restart
        # Told of every item that reached a new stage: a whole lab makes the on-prem side follow (a VM failed back runs).
        self.on_stage: Callable[[ProtectedItem, str], None] | None = None

    def fail_next(self, operation: str, error: JobError) -> None:
        """The next job of this operation (ReverseReplicate, PlannedFailover...) fails with this ASR error."""
        with self._lock:
            self._failures[operation] = error

    @staticmethod
    def _refuse(vault, item: ProtectedItem, operation: str) -> None:
        """ASR's first answers to a write on an item: another job runs on it (409), or the item does not allow it (400)."""
        running = vault.jobs.get(item.current_job) if item.current_job else None
        if running is not None and running.state == "InProgress":
            raise ArmError(409, "AnotherOperationInProgress", f"Another operation is in progress on {item.friendly_name}.")
        if operation not in item.allowed_operations or (operation, stage_of(item)) not in _TRANSITIONS:
            raise ArmError(400, "OperationNotAllowed", f"{operation} is not allowed on {item.friendly_name} "
                                                       f"(allowed: {', '.join(item.allowed_operations) or 'none'}).")

    def accept(self, vault, vault_arm_id: str, item: ProtectedItem, verb: str, body: dict | None) -> Job:
        """A write on an item as ASR takes it: refused (409, 400 with ASR's reason), or started as a job that fails the
        way ASR's does when the ids it names do not fit the VM."""
        operation = _VERBS[verb]
        self._refuse(vault, item, operation)
        failure = None
        if verb == "reProtect":
            asr_contract.check_body(verb, body)
            fabric = vault.fabrics[item.fabric_name]
            asr_contract.check_reprotect(vault, vault_arm_id, fabric, item, body)
            failure = asr_contract.job_failure(fabric, item, body)
        elif verb != "failoverCommit":
            asr_contract.check_body(verb, body)
            asr_contract.check_failover(verb, item, body)
        return self.start(vault, item, operation, body=body, failure=failure)

    def start(self, vault, item: ProtectedItem, operation: str, on_behalf_of_plan: bool = False, body: dict | None = None,
              failure: JobError | None = None, restart: bool = False) -> Job:
        self._refuse(vault, item, operation)
        job = vault.add_job(Job(operation, item.friendly_name))
        with self._lock:
            self._running[job.name] = _Running(item, experience_of(item), _TRANSITIONS[(operation, stage_of(item))],
                                               list(item.allowed_operations), self.polls_per_job, failure, body)
            if restart:
                self.restarted.append((operation, item.friendly_name))
            elif not on_behalf_of_plan:
                self.submitted.append((operation, item.friendly_name))
                self.accepted.append(Accepted(operation, item.friendly_name, body))
        item.current_job = job.name
        item.allowed_operations = []
        with self._lock:
            self._bodies[job.name] = body
        return job

    def start_plan(self, vault, plan, operation: str, body: dict | None = None, restart: bool = False) -> Job:
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
            if restart:
                self.restarted.append((operation, plan.name))
            else:
                self.submitted.append((operation, plan.name))
                self.accepted.append(Accepted(operation, plan.name, body))
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
            return self.start_plan(vault, plan, job.scenario_name, restart=True)
        item = vault.item_named(job.target_object_name)
        with self._lock:
            body = self._bodies.get(job.name)
        # The same request again: ids that did not fit the VM fail it again (a queued failure may still say otherwise).
        failure = asr_contract.job_failure(vault.fabrics[item.fabric_name], item, body) if job.scenario_name == "ReverseReplicate" else None
        return self.start(vault, item, job.scenario_name, body=body, failure=failure, restart=True)

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
            failure = self._failures.pop(job.scenario_name, None) or running.failure
        item = running.item
        item.current_job = None
        if job.scenario_name == "PlannedFailover":  # ASR keeps how the last planned failover back on-premises ended
            item.last_planned_failover_status, item.last_planned_failover_start = ("Failed" if failure else "Succeeded"), job.start_time
        if failure is not None:
            job.finish(False, [failure])
            item.allowed_operations = running.allowed_before
        else:
            if self.on_stage is not None:
                self.on_stage(item, running.stage_after)  # before the job ends: whoever polls it sees the world it left
            set_stage(item, running.experience, running.stage_after)
            _take_reprotect_ids(item, running.body)
            job.finish(True)


def _take_reprotect_ids(item: ProtectedItem, body: dict | None) -> None:
    """A reprotect done: the item replicates through the servers and datastore its request named, as ASR then shows."""
    details = ((body or {}).get("properties") or {}).get("providerSpecificDetails") or {}
    item.process_server_id = details.get("processServerId", item.process_server_id)
    item.master_target_id = details.get("masterTargetId", item.master_target_id)
    item.reprotect_agent_id = details.get("reprotectAgentId", item.reprotect_agent_id)
    item.target_datastore = details.get("datastoreName", item.target_datastore)


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
    job = arm.actions.accept(vault, vault_id(group, vault), item, verb, request.body)
    job.target_object_id = item_id(group, vault, item)
    return _accepted(request, group, vault, item, job)


@route("POST", VAULT + r"/replicationRecoveryPlans/(?P<plan>[^/]+)/(?P<verb>unplannedFailover|plannedFailover|failoverCommit)")
def _start_plan(arm, request: Request) -> Response:
    group, vault = vault_of(arm, request)
    plan = plan_named(vault, request.params["plan"])
    verb = next(name for name in _VERBS if name.lower() == request.params["verb"].lower())
    if verb != "failoverCommit":
        asr_contract.check_body(f"plan:{verb}", request.body)
        items = [item for _, _, item in vault.protected_items() if item.name in plan.item_names]
        asr_contract.check_plan_failover(verb, items, request.body)
    job = arm.actions.start_plan(vault, plan, _VERBS[verb], body=request.body)
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
