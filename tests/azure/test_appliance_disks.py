"""appliance.disk_count: the disks replicating back through each reprotect agent plus those its coming reprotects bring."""

from __future__ import annotations

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import APPLIANCE, LabAzure
from failback.lab.fake_arm.stages import set_stage
from failback.lab.fake_arm.state import ProtectedItem, ReprotectAgent

from .conftest import remediation_id, run_checks

TARGET = f"appliance:{APPLIANCE}"


def replicating_back_elsewhere(lab: LabAzure, name: str, disks: int, agent: ReprotectAgent) -> None:
    """Another VM of the vault, not the site's, already replicating back through the agent."""
    fabric = lab.fabric
    container = next(iter(fabric.containers.values()))
    item = container.add_item(fabric, ProtectedItem(name, "InMageRcm", disk_sizes_gb=[32] * disks))
    set_stage(item, "modernized", "replicating_back")
    item.reprotect_agent_id = agent.id


def test_an_agent_within_60_disks_passes(modernized, tmp_path):
    result = run_checks(modernized, tmp_path, "appliance.disk_count").only()
    assert result.status is Status.PASS and result.target == TARGET
    assert result.message == f"{APPLIANCE}: 0 disk(s) replicating back from 0 VM(s) + 2 from 2 VM(s) to reprotect = 2, within 60"
    assert result.evidence["incoming"] == ["app01 (1)", "db01 (1)"]


def test_an_agent_over_60_disks_with_another_vms_replication_fails(modernized, tmp_path):
    replicating_back_elsewhere(modernized, "file01", 59, modernized.fabric.reprotect_agents[0])
    result = run_checks(modernized, tmp_path, "appliance.disk_count").only()
    assert result.status is Status.FAIL
    assert result.message == (f"{APPLIANCE}: 59 disk(s) replicating back from 1 VM(s) + 2 from 2 VM(s) to reprotect = 61, "
                              "over the limit of 60")
    assert result.evidence["replicating"] == ["file01 (59)"]
    assert remediation_id(result) == "reduce-reprotect-agent-disks"
    assert result.remediation["steps"][0] == ("Replicating back through it now: file01 (59); coming with reprotect: app01 (1), "
                                              "db01 (1); total 61 of 60.")


def test_reprotects_count_on_the_agent_that_sees_the_datastore_and_the_rest_are_named(modernized, tmp_path):
    fabric = modernized.fabric
    fabric.reprotect_agents.append(ReprotectAgent("asr-appliance-2", "asr-appliance-2.lab.test", accessible_datastores=["datastore1"],
                                                  protected_item_count=0))
    fabric.reprotect_agents[0].protected_item_count = 5
    modernized.item("db01").disk_sizes_gb = [64, 64, 64]
    run = run_checks(modernized, tmp_path, "appliance.disk_count")
    assert run.only(target="appliance:asr-appliance-2").evidence["incoming"] == ["app01 (1)", "db01 (3)"], "the least loaded agent"
    assert run.only(target=TARGET).evidence["total"] == 0

    for agent in fabric.reprotect_agents:
        agent.accessible_datastores = ["datastore2"]
    warned = run_checks(modernized, tmp_path, "appliance.disk_count").only(target="site:lab-azure-modernized")
    assert warned.status is Status.WARN
    assert "the disks of app01 are not counted: datastore1, where app01 comes back: no reprotect agent sees it" in warned.message
    assert remediation_id(warned) == "restore-reprotect-agent"
