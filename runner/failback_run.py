"""`failback run`: the plan from what the site and ASR say, one run per site at a time, journaled, resumable."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from checks.model import Gate
from runner.access import SiteAccess
from runner.console import ConsoleUI
from runner.engine import Selection, evaluate
from runner.journal import Journal, RunLock, RunLocked, default_state_dir
from runner.orchestrator import AsrOperationError, FailbackRun
from runner.plan import FailbackPlan, VmAfterFailback, build_plan
from runner.report import ExitCode, Report
from runner.waivers import Waiver


class RunRefused(Exception):
    """The run cannot start: another holds the site, there is nothing to resume, or one was interrupted."""


def _run_dir(state_dir: Path | None, site_name: str) -> Path:
    return (state_dir or default_state_dir()) / re.sub(r"[^A-Za-z0-9._-]", "_", site_name)


def plan_for(access: SiteAccess) -> FailbackPlan:
    """The plan from the site's VMs, what vCenter recorded of their addresses and what ASR knows of their OS."""
    site = access.site
    selection = Selection(only=frozenset({"guest.ip_mode"}))
    records = {r.target.removeprefix("vm:"): r.evidence for r in evaluate(access.collect(selection), selection).results}
    vms = []
    for vm in site.vms:
        evidence = records.get(vm.name, {})
        static = evidence.get("addresses", []) if evidence.get("back_on_dhcp") else []
        vms.append(VmAfterFailback(vm.name, tuple(static), evidence.get("gateway"), tuple(evidence.get("dns", [])),
                                   linux=evidence.get("os_family") != "windows"))
    azure = site.azure
    return build_plan(site.display_name, site.experience, [vm.name for vm in site.vms], vms,
                      azure.recovery_plan if azure else None, azure.recovery_point if azure else "latest")


def run_failback(access: SiteAccess, plan_only: bool, resume: bool, yes: bool, delete_azure_vms: bool,
                 waivers: list[Waiver], state_dir: Path | None) -> int:
    site = access.site
    if site.azure is None:
        raise RunRefused(f"{access.site_path}: failback run drives ASR, and the site file has no [azure] section")
    run_dir = _run_dir(state_dir, site.display_name)
    journal = Journal(run_dir / "journal.jsonl")
    if plan_only:
        plan = plan_for(access)
        for number, step in enumerate(plan.steps, 1):
            print(f"{number:>2}. [phase {step.phase}] {step.title}" + (" (optional)" if step.optional else ""))
            for line in step.instructions:
                print(f"      {line}")
        return ExitCode.READY
    try:
        with RunLock(run_dir / "lock"):
            recorded = journal.events("plan")
            finished = journal.events("run")
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
            return _execute(access, plan, journal, yes, delete_azure_vms, waivers)
    except RunLocked as exc:
        raise RunRefused(str(exc)) from None


def _execute(access: SiteAccess, plan: FailbackPlan, journal: Journal, yes: bool, delete_azure_vms: bool, waivers: list[Waiver]) -> int:
    from runner.asr_operations import AsrOperations

    def preflight(gate: Gate) -> Report:
        selection = Selection(gate=gate)
        return evaluate(access.collect(selection), selection, waivers)

    try:
        asr = AsrOperations(access.site, access.azure_secret())
    except AsrOperationError as exc:
        print(f"failback: {exc.message}", file=sys.stderr)
        return ExitCode.FAIL
    except Exception as exc:  # sign-in failures come as SourceError with their reason
        print(f"failback: {getattr(exc, 'reason', None) or exc}", file=sys.stderr)
        return ExitCode.FAIL
    ui = ConsoleUI(yes=yes, delete_azure_vms=delete_azure_vms)
    try:
        outcome = FailbackRun(plan, asr, journal, preflight, ui, poll_seconds=access.site.azure.job_poll_seconds).run()
    finally:
        asr.close()
    if outcome.completed:
        return ExitCode.READY
    return ExitCode.DECLINED if ui.declined else ExitCode.FAIL



