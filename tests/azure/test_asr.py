"""asr.item_state, asr.recovery_point and azure.vm_running against the fake vault, both experiences."""

from __future__ import annotations

import pytest

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import PLAN, add_failed_job
from failback.lab.fake_arm.state import HealthIssue, Job, minutes_ago

from .conftest import remediation_id, run_checks

EXPERIENCES = ("classic", "modernized")


@pytest.mark.parametrize("experience", EXPERIENCES)
def test_items_waiting_for_reprotect_pass(start, tmp_path, experience):
    run = run_checks(start(experience), tmp_path, "asr.item_state")
    assert {r.target: r.status for r in run.results} == {
        f"site:lab-azure-{experience}": Status.PASS, f"plan:{PLAN}": Status.PASS, "item:app01": Status.PASS, "item:db01": Status.PASS}
    app = run.only(target="item:app01")
    assert "ASR allows ReverseReplicate (reprotect toward on-premises) next" in app.message
    assert app.evidence["provider"] == ("InMageAzureV2" if experience == "classic" else "InMageRcm")


@pytest.mark.parametrize(("experience", "operation"), [("classic", "UnplannedFailover"), ("modernized", "PlannedFailover")])
def test_items_replicating_back_must_allow_their_failover(start, tmp_path, experience, operation):
    lab = start(experience, stage="replicating_back")
    lab.item("db01").allowed_operations = ["DisableProtection"]
    run = run_checks(lab, tmp_path, "asr.item_state")
    assert run.only(target="item:app01").status is Status.PASS
    db = run.only(target="item:db01")
    assert db.status is Status.FAIL
    assert f"ASR does not allow {operation} (fail over to on-premises); allowed now: DisableProtection" in db.message
    assert remediation_id(db) == "prepare-protected-item"


def test_item_health_error_is_shown_with_asr_advice_and_our_remediation_for_its_code(classic, tmp_path):
    item = classic.item("app01")
    item.allowed_operations = ["DisableProtection"]
    item.replication_health = "Critical"
    item.health_errors = [HealthIssue("78093", "The VM is not running, is in a hung state, or is not accessible.",
                                      "The Azure virtual machine is stopped.", "Start the Azure VM and retry the operation.")]
    result = run_checks(classic, tmp_path, "asr.item_state").only(target="item:app01")
    assert result.status is Status.FAIL
    assert "ASR error 78093: The VM is not running, is in a hung state, or is not accessible." in result.message
    assert "possible causes: The Azure virtual machine is stopped.; recommended action: Start the Azure VM" in result.message
    assert "replication health of app01 is Critical" in result.message
    assert remediation_id(result) == "start-azure-vm"


def test_a_running_job_is_a_warning_to_wait(modernized, tmp_path):
    job = modernized.vault.add_job(Job("ReverseReplicate", "app01", start_time=minutes_ago(3)))
    modernized.item("app01").current_job = job.name
    result = run_checks(modernized, tmp_path, "asr.item_state").only(target="item:app01")
    assert result.status is Status.WARN
    assert f"ReverseReplicate is running on app01 (job {job.name}" in result.message


def test_a_failed_last_job_shows_its_asr_error(classic, tmp_path):
    add_failed_job(classic, "db01", "ReverseReplicate", "95226", "The Azure VM could not reach the configuration server.",
                   recommended_action="Check that the InMage Scout Application service runs in the VM.")
    result = run_checks(classic, tmp_path, "asr.item_state").only(target="item:db01")
    assert result.status is Status.WARN
    assert "the last job on db01, Reprotect" in result.message and "ASR error 95226" in result.message
    assert remediation_id(result) == "azure-vm-reach-config-server"


def test_experience_mismatch_fails_at_site_and_item_level(classic, tmp_path):
    text = classic.site_text().replace('experience = "classic"', 'experience = "modernized"')
    run = run_checks(classic, tmp_path, "asr.item_state", site_text=text)
    site = run.only(target="site:lab-azure-classic")
    assert site.status is Status.FAIL
    assert 'the site file says experience = "modernized" but the vault vault-asr runs classic: VMware fabric, 2 InMageAzureV2 item(s)' in site.message
    assert remediation_id(site) == "match-site-experience"
    app = run.only(target="item:app01")
    assert app.status is Status.FAIL and "replicates with InMageAzureV2 (classic) but the site file says modernized" in app.message
    assert remediation_id(app) == "match-site-experience"


def test_a_vm_the_vault_does_not_protect_fails(start, tmp_path):
    lab = start("classic")
    lab.vm_names.append("ghost01")
    result = run_checks(lab, tmp_path, "asr.item_state").only(target="item:ghost01")
    assert result.status is Status.FAIL and "has no protected item named ghost01" in result.message
    assert remediation_id(result) == "find-protected-item"


def test_items_of_a_recovery_plan_are_judged_without_vms_in_the_site_file(start, tmp_path):
    lab = start("modernized")
    lab.vm_names.clear()
    run = run_checks(lab, tmp_path, "asr.item_state")
    assert {r.target for r in run.results} == {"site:lab-azure-modernized", f"plan:{PLAN}", "item:app01", "item:db01"}


def test_a_wrong_recovery_plan_name_says_it_was_not_found(classic, tmp_path):
    run = run_checks(classic, tmp_path, "asr.item_state", recovery_plan="rp-typo")
    plan = run.only(target="plan:rp-typo")
    assert plan.status is Status.ERROR
    assert "recovery plan 'rp-typo' in Recovery Services vault 'vault-asr' in resource group 'rg-asr' was not found" in plan.message
    assert remediation_id(plan) == "azure-resource-names"
    assert run.only(target="item:app01").status is Status.PASS


@pytest.mark.parametrize("experience", EXPERIENCES)
def test_recovery_points_present_pass(start, tmp_path, experience):
    run = run_checks(start(experience, stage="replicating_back"), tmp_path, "asr.recovery_point")
    assert {r.target: r.status for r in run.results} == {"item:app01": Status.PASS, "item:db01": Status.PASS, f"plan:{PLAN}": Status.PASS}
    assert run.only(target="item:app01").evidence["count"] == 2


def test_no_recovery_point_fails_the_item_and_the_plan(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    lab.item("db01").recovery_points = []
    run = run_checks(lab, tmp_path, "asr.recovery_point")
    db = run.only(target="item:db01")
    assert db.status is Status.FAIL and "db01 has no recovery point yet" in db.message
    assert remediation_id(db) == "wait-for-recovery-point"
    plan = run.only(target=f"plan:{PLAN}")
    assert plan.status is Status.FAIL and "no recovery point for db01" in plan.message


def test_recovery_points_are_not_asked_before_reprotect(classic, tmp_path):
    run = run_checks(classic, tmp_path, "asr.recovery_point")
    assert {r.status for r in run.results} == {Status.SKIP}
    assert not classic.arm.calls("/recoveryPoints")


@pytest.mark.parametrize("experience", EXPERIENCES)
def test_running_azure_vms_pass(start, tmp_path, experience):
    run = run_checks(start(experience), tmp_path, "azure.vm_running")
    assert [r.status for r in run.results] == [Status.PASS, Status.PASS]


def test_a_deallocated_azure_vm_fails_with_78093(classic, tmp_path):
    classic.vm("app01").power_state = "deallocated"
    result = run_checks(classic, tmp_path, "azure.vm_running").only(target="vm:app01")
    assert result.status is Status.FAIL
    assert "Azure VM app01 is deallocated (ASR error 78093 at reprotect)" in result.message
    assert remediation_id(result) == "start-azure-vm"
    assert "power deallocated" in result.remediation["steps"][0]


def test_a_deleted_azure_vm_fails(classic, tmp_path):
    classic.world.group("rg-recovery").vms.pop("db01")
    result = run_checks(classic, tmp_path, "azure.vm_running").only(target="vm:db01")
    assert result.status is Status.FAIL
    assert "Azure VM 'db01' in resource group 'rg-recovery' was not found" in result.message


def test_azure_vms_are_listed_once_per_resource_group_however_many_items(start, tmp_path):
    """The VMs' models come from one listing per group whatever the VM count; only the instance views, which ARM serves
    per VM alone, grow with it."""
    calls = {}
    for count in (2, 20):
        lab = start("modernized", vm_names=[f"vm{index:02}" for index in range(count)])
        run = run_checks(lab, tmp_path, "azure.vm_running", "network.nsg")
        assert {r.status for r in run.of("azure.vm_running")} == {Status.PASS}, [r.message for r in run.results]
        calls[count] = {"vm lists": len([c for c in lab.arm.calls("/virtualMachines") if c.path.lower().endswith("/virtualmachines")]),
                        "vm reads": len([c for c in lab.arm.calls("/virtualMachines/") if not c.path.endswith("/instanceView")]),
                        "instance views": len(lab.arm.calls("/instanceView")),
                        "nic lists": len(lab.arm.calls("/networkInterfaces", "GET"))}
    assert calls == {2: {"vm lists": 1, "vm reads": 0, "instance views": 2, "nic lists": 1},
                     20: {"vm lists": 1, "vm reads": 0, "instance views": 20, "nic lists": 1}}


def test_a_vm_missing_from_its_groups_listing_is_reported_alone(classic, tmp_path):
    classic.world.group("rg-recovery").vms.pop("db01")
    run = run_checks(classic, tmp_path, "azure.vm_running")
    assert run.only(target="vm:app01").status is Status.PASS
    assert run.only(target="vm:db01").status is Status.FAIL
    assert len([c for c in classic.arm.calls("/virtualMachines/db01") if c.status == 404]) == 1, "asked alone, ARM's answer told"


def test_a_group_whose_vms_cannot_be_listed_says_so_on_each_vm(classic, tmp_path):
    classic.arm.fail(r"/resourceGroups/rg-recovery/providers/Microsoft\.Compute/virtualMachines$", 403)
    run = run_checks(classic, tmp_path, "azure.vm_running")
    for name in ("app01", "db01"):
        result = run.only(target=f"vm:{name}")
        assert result.status is Status.ERROR
        assert f"Azure VM '{name}' in resource group 'rg-recovery': the signed-in identity may not read it (HTTP 403" in result.message


def test_agents_not_ready_warn_right_after_boot_and_fail_later(modernized, tmp_path):
    for name in ("app01", "db01"):
        modernized.vm(name).agent_status = "Not Ready"
        modernized.item(name).agent_registered_after_failover = False
    modernized.vm("app01").started_at = minutes_ago(4)
    run = run_checks(modernized, tmp_path, "azure.vm_running")
    booting = run.only(target="vm:app01")
    assert booting.status is Status.WARN and "it started 4 min ago: allow up to 15 min" in booting.message
    stuck = run.only(target="vm:db01")
    assert stuck.status is Status.FAIL
    assert "ASR's mobility agent in db01 has not registered since the failover" in stuck.message
    assert remediation_id(stuck) == "azure-vm-reach-config-server"
