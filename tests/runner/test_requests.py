"""What `failback run` sends to ASR, through the whole command with only the site-file keys examples/site.toml
documents: every body accepted by the fake that holds it to ASR's REST contract, every id the verified one, and where
the old choice ("the first", "the item's current one") would be wrong, the right one; where no verified choice
exists, nothing sent at all."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from failback.lab.fake_arm import scenarios
from failback.lab.fake_arm.scenarios import start_lab
from failback.lab.fake_arm.state import ReprotectAgent, RetentionVolume
from tests.runner.conftest import RunLab, host_level_waivers, write_run_site

EXAMPLE = Path(__file__).parents[2] / "examples" / "site.toml"
WRITES = r"/(reProtect|unplannedFailover|plannedFailover|failoverCommit|restart)$"


def documented_keys() -> dict[str, set[str]]:
    """Every key examples/site.toml documents, per table, commented-out ones included."""
    keys: dict[str, set[str]] = {"": set()}
    table = ""
    for line in EXAMPLE.read_text().splitlines():
        if header := re.match(r"^#?\s*\[\[?([a-z_]+)\]\]?", line):
            table = header.group(1)
            keys.setdefault(table, set())
        elif key := re.match(r"^#?\s*([a-z_]+)\s*=", line):
            keys[table].add(key.group(1))
    return keys


def _assert_documented(site_path: Path) -> None:
    documented = documented_keys()
    for table, value in tomllib.loads(site_path.read_text()).items():
        entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
        if entries is None:
            assert table in documented[""], table
            continue
        for entry in entries:
            assert set(entry) <= documented[table], f"[{table}] {sorted(set(entry) - documented[table])} not in examples/site.toml"


def _writes(run: RunLab) -> list:
    return [call for call in run.azure.arm.requests if call.method == "POST" and re.search(WRITES, call.path)]


def _lab(lab, tmp_path, experience: str, recovery_plan: bool) -> RunLab:
    azure = start_lab(experience)
    site = write_run_site(lab, azure, tmp_path, **({} if recovery_plan else {"recovery_plan": None}))
    return RunLab(lab, azure, site, host_level_waivers(tmp_path), tmp_path / "state")


@pytest.fixture(params=[("classic", False), ("classic", True), ("modernized", False), ("modernized", True)],
                ids=["classic-items", "classic-plan", "modernized-items", "modernized-plan"])
def run(request, lab, tmp_path):
    run = _lab(lab, tmp_path, *request.param)
    yield run
    run.azure.arm.stop()


@pytest.fixture(params=["classic", "modernized"])
def item_run(request, lab, tmp_path):
    run = _lab(lab, tmp_path, request.param, recovery_plan=False)
    yield run
    run.azure.arm.stop()


def _reprotects(run: RunLab) -> list[dict]:
    return [accepted.body["properties"]["providerSpecificDetails"] for accepted in run.azure.arm.actions.accepted
            if accepted.operation == "ReverseReplicate"]


def test_the_whole_failback_sends_only_bodies_asr_accepts_with_the_verified_ids(run):
    _assert_documented(run.site_path)
    done = run.failback("--apply", "--yes")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert [call.status for call in _writes(run) if call.status >= 400] == [], "the fake refused no body"
    fabric = run.azure.fabric
    toward, back = _reprotects(run)[:2], _reprotects(run)[2:]
    assert len(toward) == 2 and len(back) == 2
    if run.azure.experience == "classic":
        azure_ps = next(ps.id for ps in fabric.process_servers if ps.in_azure)
        on_prem_ps = next(ps.id for ps in fabric.process_servers if not ps.in_azure)
        assert {details["processServerId"] for details in toward} == {azure_ps}, "failback goes through the process server in Azure"
        assert {details["masterTargetId"] for details in toward} == {run.azure.master_target().id}, "the Linux master target"
        assert {details["retentionDrive"] for details in toward} == {"/mnt/retention"}
        assert {details["profileId"].rsplit("/", 1)[-1] for details in toward} == {scenarios.FAILBACK_POLICY}
        # Back to Azure through the servers replication to Azure used before failback, with its storage accounts.
        assert {details["processServerId"] for details in back} == {on_prem_ps}
        assert {details["policyId"].rsplit("/", 1)[-1] for details in back} == {scenarios.FORWARD_POLICY}
        assert {details["logStorageAccountId"].rsplit("/", 1)[-1] for details in back} == {scenarios.CACHE_STORAGE}
    else:
        assert {details["reprotectAgentId"] for details in toward} == {fabric.reprotect_agents[0].id}
        assert {details["logStorageAccountId"].rsplit("/", 1)[-1] for details in toward} == {scenarios.CACHE_STORAGE}
        assert {details["policyId"].rsplit("/", 1)[-1] for details in toward} == {scenarios.FAILBACK_POLICY}
        assert {details["processServerId"] for details in back} == {fabric.process_servers[0].id}
        assert {details["policyId"].rsplit("/", 1)[-1] for details in back} == {scenarios.FORWARD_POLICY}
    # The journal keeps each request as sent, for the change review.
    journal = [json.loads(line) for line in next(run.state_dir.glob("*/journal.jsonl")).read_text().splitlines()]
    started = [entry for entry in journal if entry["event"] == "started" and entry["step"].startswith("reprotect:")]
    assert [entry["request"]["body"]["properties"]["providerSpecificDetails"] for entry in started] == toward


def test_plan_shows_each_request_with_names_and_where_each_id_came_from(item_run):
    text = item_run.failback("--plan")
    assert text.returncode == 0, text.stdout + text.stderr
    as_json = item_run.failback("--plan", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    plan = json.loads(as_json.stdout)
    assert plan["schema"] == "failback.plan/1"
    reprotect = next(step for step in plan["steps"] if step["id"] == "reprotect:app01")["request"]
    assert reprotect["method"] == "POST" and reprotect["path"].endswith("/reProtect")
    details = reprotect["body"]["properties"]["providerSpecificDetails"]
    choices = {choice["field"]: choice for choice in reprotect["choices"]}
    if item_run.azure.experience == "classic":
        assert choices["processServerId"]["name"] == "ps01" and details["processServerId"] == choices["processServerId"]["value"]
        assert "[process_server] host" in choices["processServerId"]["reason"]
        assert choices["processServerId"]["verified_by"] == "ps.health" and choices["processServerId"]["verdict"] == "pass"
        assert choices["masterTargetId"]["name"] == "mt01" and "linux" in choices["masterTargetId"]["reason"]
        assert f'processServerId": "{details["processServerId"]}",   <- ps01' in text.stdout
    else:
        assert choices["logStorageAccountId"]["name"] == scenarios.CACHE_STORAGE
        assert "protectedDisks.logStorageAccountId" in choices["logStorageAccountId"]["reason"]
        assert choices["reprotectAgentId"]["verdict"] == "pass"
    assert choices[("profileId" if item_run.azure.experience == "classic" else "policyId")]["name"] == scenarios.FAILBACK_POLICY
    assert _writes(item_run) == [], "a plan changes nothing"


def test_classic_failback_picks_the_azure_process_server_and_the_master_target_of_the_vms_os(lab, tmp_path):
    run = _lab(lab, tmp_path, "classic", recovery_plan=False)
    try:
        # The items replicate to Azure through the configuration server's process server (on-premises), and the vault lists
        # the configuration server's Windows master target first and mt01 by its FQDN, so "the item's current process
        # server" and "the first master target" would both be wrong (78186, 78044), and a name match too.
        run.azure.master_target().name = "mt01.lab.test"
        done = run.failback("--apply", "--yes")
        assert done.returncode == 0, done.stdout[-3000:]
        details = _reprotects(run)[0]
        assert details["processServerId"] == next(ps.id for ps in run.azure.fabric.process_servers if ps.in_azure)
        assert details["masterTargetId"] == run.azure.master_target("mt01.lab.test").id
        assert run.azure.arm.actions.restarted == [], "no job failed"
    finally:
        run.azure.arm.stop()


def test_modernized_failback_picks_the_reprotect_agent_that_sees_the_datastore(lab, tmp_path):
    run = _lab(lab, tmp_path, "modernized", recovery_plan=False)
    try:
        # A second appliance, listed first, healthy, but not seeing the VMs' datastore: the first Normal agent fails (8061).
        blind = ReprotectAgent("asr-appliance-2", "asr-appliance-2.lab.test", accessible_datastores=["vsan-other"])
        run.azure.fabric.reprotect_agents.insert(0, blind)
        done = run.failback("--apply", "--yes")
        assert done.returncode == 0, done.stdout[-3000:]
        assert {details["reprotectAgentId"] for details in _reprotects(run)[:2]} == {run.azure.fabric.reprotect_agents[1].id}
    finally:
        run.azure.arm.stop()


@pytest.mark.parametrize("experience", ["classic", "modernized"])
def test_a_failback_policy_the_vault_does_not_associate_stops_at_the_gate(lab, tmp_path, experience):
    run = _lab(lab, tmp_path, experience, recovery_plan=False)
    try:
        # The failback policy exists but is not associated with the items' container: nothing the vault holds fits.
        run.azure.vault.mappings = [m for m in run.azure.vault.mappings if m.policy_name != scenarios.FAILBACK_POLICY]
        plan = run.failback("--plan")
        assert plan.returncode == 1
        assert "CANNOT SEND: the vault associates no" in plan.stdout and "Associate the replication policy" in plan.stdout
        done = run.failback("--apply", "--yes")
        assert done.returncode == 1
        assert "asr.failback_policy" in done.stdout and "STOP gate:reprotect" in done.stdout
        assert _writes(run) == [] and run.azure.arm.actions.submitted == [], "nothing was sent"
    finally:
        run.azure.arm.stop()


def test_no_verified_choice_refuses_before_any_write_even_when_the_gate_passes(lab, tmp_path):
    run = _lab(lab, tmp_path, "classic", recovery_plan=False)
    try:
        # mt01 reports two retention volumes, neither the Linux one by ASR's setup: which one is not for failback to guess.
        # (mt.retention reads them over SSH, a host-level check these runs waive: the gate passes.)
        run.azure.master_target().retention_volumes = [RetentionVolume("/mnt/ret-a"), RetentionVolume("/mnt/ret-b")]
        plan = run.failback("--plan")
        assert plan.returncode == 1 and "CANNOT SEND: mt01 reports retention volumes /mnt/ret-a, /mnt/ret-b" in plan.stdout
        done = run.failback("--apply", "--yes")
        assert done.returncode == 1
        assert "failback sends nothing it cannot vouch for" in done.stdout and "set [azure] retention_drive" in done.stdout
        assert "Before failback can send reprotect:app01" in done.stdout, "the remediation is shown"
        assert _writes(run) == [] and run.azure.arm.actions.submitted == [], "nothing was sent"
        journal = [json.loads(line) for line in next(run.state_dir.glob("*/journal.jsonl")).read_text().splitlines()]
        assert [entry["event"] for entry in journal if entry["step"] == "gate:reprotect"][-2:] == ["refused", "stopped"]
    finally:
        run.azure.arm.stop()


def test_classic_site_without_the_azure_process_server_is_refused_before_any_write(lab, tmp_path):
    run = _lab(lab, tmp_path, "classic", recovery_plan=False)
    try:
        text = run.site_path.read_text()
        run.site_path.write_text(re.sub(r'\[process_server\]\nhost = "[^"]+"\n', "", text))
        done = run.failback("--apply", "--yes")
        assert done.returncode == 1
        assert "names no [process_server]" in done.stdout and "STOP gate:reprotect" in done.stdout and _writes(run) == []
    finally:
        run.azure.arm.stop()


