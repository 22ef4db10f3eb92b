"""`failback run`: the plan from what the site and ASR say, one run per site at a time, journaled, resumable."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from failback.checks.model import Gate
from failback.runner.access import SiteAccess
from failback.runner.console import ConsoleUI
from failback.runner.engine import Selection, evaluate
from failback.runner.journal import Journal, RunLock, RunLocked, default_state_dir
from failback.checks.sources.errors import SourceError
from failback.runner.export import export
from failback.checks.facts import Facts
from failback.runner.asr_requests import AsrRequest, RequestPlanner, Unresolved, recorded_settings
from failback.runner.orchestrator import AsrOperationError, FailbackRun, GateVerdict, RunOutcome, RunUI, unresolved_hint
from failback.runner.plan import FailbackPlan, StepKind, VmAfterFailback, build_plan
from failback.remediations.guest_ip.config import record_from_evidence
from failback.runner.report import ExitCode, Report
from failback.runner.waivers import Waiver


class RunRefused(Exception):
    """The run cannot start: another holds the site, there is nothing to resume, or one was interrupted."""


def _run_dir(state_dir: Path | None, site_name: str) -> Path:
    return (state_dir or default_state_dir()) / re.sub(r"[^A-Za-z0-9._-]", "_", site_name)


# What a plan is made from: the static addresses to restore (guest.ip_mode) and the facts every id of the requests is
# chosen from, with the checks that judge those choices (their verdicts are shown beside each id).
PLAN_CHECKS = frozenset({"guest.ip_mode", "ps.health", "cs.health", "mt.os_match", "appliance.health", "datastore.access",
                         "asr.item_state"})


@dataclass
class Survey:
    """The plan and what it was made from."""

    plan: FailbackPlan
    facts: Facts
    report: Report


def survey(access: SiteAccess) -> Survey:
    """The plan from the site's VMs, what vCenter recorded of their addresses, what ASR knows of their OS and holds of
    their replication to Azure (recorded for the reprotect back)."""
    selection = Selection(only=PLAN_CHECKS)
    facts = access.collect(selection)
    report = evaluate(facts, selection)
    plan = _plan(access.site, report)
    plan.asr_before = recorded_settings(facts)
    return Survey(plan, facts, report)


def plan_for(access: SiteAccess) -> FailbackPlan:
    return survey(access).plan


def _plan(site, report: Report) -> FailbackPlan:
    records = {r.target.removeprefix("vm:"): r.evidence for r in report.results if r.check == "guest.ip_mode"}
    vms = []
    for vm in site.vms:
        evidence = records.get(vm.name, {})
        static = evidence.get("addresses", []) if evidence.get("back_on_dhcp") else []
        record = record_from_evidence(evidence) if static and evidence.get("told_by") == "vcenter" else None
        vms.append(VmAfterFailback(vm.name, tuple(static), evidence.get("gateway"), tuple(evidence.get("dns", [])),
                                   linux=evidence.get("os_family") != "windows", ip_record=record))
    azure = site.azure
    return build_plan(site.display_name, site.experience, [vm.name for vm in site.vms], vms,
                      azure.recovery_plan if azure else None, azure.recovery_point if azure else "latest")


def timeline(journal: Journal) -> list[dict]:
    """The run as a change review reads it: each step's boundaries, ASR's job ids, failures and their reasons."""
    entries = []
    for entry in journal.entries():
        if entry["step"] == "plan":
            continue
        detail = entry.get("reason") or (f"job {entry['job_id']}" if entry.get("job_id") else "")
        if entry.get("errors"):
            detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in entry["errors"])
        entries.append({"at": entry["at"], "step": entry["step"], "event": entry["event"], "message": detail})
    return entries


@dataclass
class RunResult:
    outcome: RunOutcome
    last_gate: Report | None  # the report of the last gate judged, for the change review's record
    journal: Journal


def interrupted_run(access: SiteAccess, state_dir: Path | None) -> bool:
    """Whether this site has a run that started and did not finish (the TUI offers to resume it)."""
    journal = Journal(_run_dir(state_dir, access.site.display_name) / "journal.jsonl")
    return bool(journal.events("plan")) and not journal.events("run")


def drive(access: SiteAccess, ui: RunUI, resume: bool, waivers: list[Waiver], state_dir: Path | None) -> RunResult:
    """Run (or resume) the site's failback with this front end; one run per site at a time. Raises RunRefused."""
    from failback.runner.asr_operations import AsrOperations
    from failback.runner.static_ip_step import StaticIpAutomation

    site = access.site
    if site.azure is None:
        raise RunRefused(f"{access.site_path}: failback run drives ASR, and the site file has no [azure] section")
    run_dir = _run_dir(state_dir, site.display_name)
    journal = Journal(run_dir / "journal.jsonl")
    try:
        with RunLock(run_dir / "lock"):
            recorded, finished = journal.events("plan"), journal.events("run")
            if resume:
                if not recorded or finished:
                    raise RunRefused(f"there is no interrupted run of {site.display_name} to resume (journal {journal.path})")
                plan = FailbackPlan.from_document(recorded[0]["plan"])
            else:
                if recorded and not finished:
                    raise RunRefused(f"a run of {site.display_name} was interrupted: continue it with --resume (journal {journal.path})")
                if finished:
                    journal.path.rename(journal.path.with_name(f"journal-{finished[-1]['at'][:19].replace(':', '')}.jsonl"))
                plan = plan_for(access)
            gates: list[Report] = []

            def preflight(gate: Gate) -> GateVerdict:
                selection = Selection(gate=gate)
                facts = access.collect(selection)
                gates.append(evaluate(facts, selection, waivers))
                return GateVerdict(gates[-1], facts)

            try:
                asr = AsrOperations(site, access.azure_secret())
            except AsrOperationError as exc:
                raise RunRefused(exc.message) from None
            except SourceError as exc:
                raise RunRefused(exc.reason) from None
            try:
                automation = StaticIpAutomation(site, access.vcenter_password)
                outcome = FailbackRun(plan, asr, journal, preflight, ui, poll_seconds=site.azure.job_poll_seconds, automation=automation).run()
            finally:
                asr.close()
            return RunResult(outcome, gates[-1] if gates else None, journal)
    except RunLocked as exc:
        raise RunRefused(str(exc)) from None


def planned_requests(found: Survey) -> dict[str, AsrRequest | Unresolved]:
    """Each ASR step's request as it resolves from today's facts. Steps after failback are previews: their items are
    not yet replicated by the provider they will start from, and the run resolves them again from that gate's facts."""
    planner = RequestPlanner(found.facts, found.plan.asr_before)
    requests: dict[str, AsrRequest | Unresolved] = {}
    for step in found.plan.steps:
        if step.kind in StepKind.ASR:
            try:
                requests[step.id] = planner.request(step, preview=step.phase > 1)
            except Unresolved as missing:
                requests[step.id] = missing
    return requests


def print_plan(access: SiteAccess, output_format: str = "text") -> int:
    from failback.runner.static_ip_step import StaticIpAutomation

    found = survey(access)
    requests = planned_requests(found)
    if output_format == "json":
        document = {"schema": "failback.plan/1", **found.plan.to_document(), "steps": []}
        for step in found.plan.steps:
            entry = step.describe()
            planned = requests.get(step.id)
            if isinstance(planned, AsrRequest):
                entry["request"] = _with_verdicts(planned.to_document(), found.report)
            elif isinstance(planned, Unresolved):
                entry["request"] = planned.to_document()
            document["steps"].append(entry)
        print(json.dumps(document, indent=2))
        return ExitCode.READY if not any(isinstance(r, Unresolved) for r in requests.values()) else ExitCode.FAIL
    automation = StaticIpAutomation(access.site, access.vcenter_password)
    for number, step in enumerate(found.plan.steps, 1):
        print(f"{number:>2}. [phase {step.phase}] {step.title}" + (" (optional)" if step.optional else "")
              + (" (done by the tool through VMware Tools, after showing the commands)" if automation.handles(step) else ""))
        for line in step.instructions:
            print(f"      {line}")
        planned = requests.get(step.id)
        if isinstance(planned, AsrRequest):
            _print_request(planned, found.report, preview=step.phase > 1)
        elif isinstance(planned, Unresolved):
            print(f"      CANNOT SEND: {planned.missing}")
            hint = unresolved_hint(planned, f"item:{step.items[0]}" if step.items else f"plan:{step.recovery_plan}")
            print(f"      -> {hint['title']}")
            for line in hint["steps"][1:]:
                print(f"         {line}")
    unresolved = [step_id for step_id, r in requests.items() if isinstance(r, Unresolved)]
    if unresolved:
        print(f"\n{len(unresolved)} request(s) cannot be sent from what ASR and vCenter say today: {', '.join(unresolved)}")
        return ExitCode.FAIL
    return ExitCode.READY


def _with_verdicts(document: dict, report: Report) -> dict:
    """Each choice with the current verdict of the check that vouches for it (worst over its results)."""
    for choice in document["choices"]:
        choice["verdict"] = _verdict(report, choice.get("verified_by"))
    return document


def _verdict(report: Report, check: str | None) -> str | None:
    if check is None:
        return None
    order = ["error", "fail", "warn", "waived", "pass", "skip"]
    statuses = [r.status.value for r in report.results if r.check == check]
    return min(statuses, key=order.index) if statuses else "not judged here"


def _print_request(request: AsrRequest, report: Report, preview: bool) -> None:
    when = " (as it resolves today; sent after the gate before it, from that gate's facts)" if preview else ""
    print(f"      POST .../vaults/<vault>/{request.path}{when}")
    if request.body is not None:
        names = {json.dumps(choice.value): choice.name for choice in request.choices if choice.name != choice.value}
        for line in json.dumps(request.body, indent=2).splitlines():
            named = next((name for value, name in names.items() if line.rstrip(",").endswith(value)), None)
            print(f"        {line}" + (f"   <- {named}" if named else ""))
    for choice in request.choices:
        verdict = f"; {choice.verified_by}: {_verdict(report, choice.verified_by)}" if choice.verified_by else ""
        print(f"        {choice.field} = {choice.name}: {choice.reason}{verdict}")


def run_failback(access: SiteAccess, resume: bool, yes: bool, delete_azure_vms: bool, waivers: list[Waiver],
                 state_dir: Path | None, report_output: Path | None = None, report_formats: list[str] | None = None) -> int:
    """`failback run --apply/--resume` in a terminal: the exit code of DESIGN.md's contract."""
    ui = ConsoleUI(yes=yes, delete_azure_vms=delete_azure_vms)
    result = drive(access, ui, resume, waivers, state_dir)
    if report_output is not None and result.last_gate is not None:
        written = export(replace(result.last_gate, timeline=timeline(result.journal)), report_formats or ["json", "html"], report_output)
        print(f"report of the last gate and the run's timeline: {', '.join(str(p) for p in written)}", file=sys.stderr)
    if result.outcome.completed:
        return ExitCode.READY
    return ExitCode.DECLINED if ui.declined else ExitCode.FAIL
