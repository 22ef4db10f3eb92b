"""cs.health, ps.health, appliance.health and mt.disk_count: the ASR servers as the vault reports them."""

from __future__ import annotations

import datetime as dt

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import APPLIANCE, CONFIG_SERVER_HOST, DATASTORE, MASTER_TARGET, PROCESS_SERVER
from failback.lab.fake_arm.state import HealthIssue, minutes_ago, utc_now

from .conftest import remediation_id, run_checks


def test_classic_configuration_server_healthy_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "cs.health").only()
    assert result.status is Status.PASS and result.target == f"cs:{CONFIG_SERVER_HOST}"


def test_silent_configuration_server_with_expiring_certificate_fails(classic, tmp_path):
    config_server = classic.fabric.config_server
    config_server.last_heartbeat = minutes_ago(90)
    config_server.certificate_expiry = utc_now() + dt.timedelta(days=10)
    result = run_checks(classic, tmp_path, "cs.health").only()
    assert result.status is Status.FAIL
    assert "last sent a heartbeat 90 min ago" in result.message and "its certificate expires in 10 days" in result.message
    assert remediation_id(result) == "restore-config-server-health"


def test_modernized_appliance_healthy_passes_and_critical_fails_with_its_error(start, tmp_path):
    lab = start("modernized")
    assert run_checks(lab, tmp_path, "cs.health").only().status is Status.PASS
    appliance = lab.fabric.appliances[0]
    appliance.health = "Critical"
    appliance.health_errors = [HealthIssue("148", "The appliance lost its connection to Azure.", "",
                                           "Check the appliance's outbound 443.")]
    result = run_checks(lab, tmp_path, "cs.health").only(target=f"appliance:{APPLIANCE}")
    assert result.status is Status.FAIL
    assert "ASR error 148: The appliance lost its connection to Azure. (recommended action: Check the appliance's outbound 443.)" in result.message


def test_process_server_in_azure_healthy_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "ps.health").only()
    assert result.status is Status.PASS and result.target == f"ps:{PROCESS_SERVER}"
    assert result.evidence["cache_free_percent"] == 58.6


def test_process_server_without_heartbeat_and_full_cache_fails_with_806(classic, tmp_path):
    server = classic.fabric.process_servers[1]
    server.last_heartbeat = minutes_ago(45)
    server.available_space_bytes = server.total_space_bytes // 5
    result = run_checks(classic, tmp_path, "ps.health").only()
    assert result.status is Status.FAIL
    assert "ps01 last sent a heartbeat 45 min ago" in result.message and "(ASR error 806)" in result.message
    assert "its cache has 20.0% free" in result.message
    assert remediation_id(result) == "restore-process-server-health"
    assert "cache 20.0% free" in result.remediation["steps"][0]


def test_unregistered_process_server_fails(classic, tmp_path):
    classic.fabric.process_servers.pop()
    result = run_checks(classic, tmp_path, "ps.health").only()
    assert result.status is Status.FAIL and "no process server at 10.1.0.4 is registered" in result.message


def test_healthy_reprotect_agent_seeing_the_datastore_passes(modernized, tmp_path):
    run = run_checks(modernized, tmp_path, "appliance.health")
    assert {r.target: r.status for r in run.results} == {f"appliance:{APPLIANCE}": Status.PASS, f"datastore:{DATASTORE}": Status.PASS}


def test_reprotect_agent_blind_to_the_datastore_fails(modernized, tmp_path):
    modernized.fabric.reprotect_agents[0].accessible_datastores = ["datastore2"]
    result = run_checks(modernized, tmp_path, "appliance.health").only(target=f"datastore:{DATASTORE}")
    assert result.status is Status.FAIL and "no reprotect agent sees it (ASR error 8061 at reprotect)" in result.message
    assert remediation_id(result) == "restore-reprotect-agent"


def test_unhealthy_reprotect_agent_fails_and_does_not_count(modernized, tmp_path):
    modernized.fabric.reprotect_agents[0].last_heartbeat = minutes_ago(600)
    run = run_checks(modernized, tmp_path, "appliance.health")
    assert run.only(target=f"appliance:{APPLIANCE}").status is Status.FAIL
    datastore = run.only(target=f"datastore:{DATASTORE}")
    assert datastore.status is Status.FAIL and "only unhealthy reprotect agent asr-appliance sees it" in datastore.message


def test_master_target_within_60_disks_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "mt.disk_count").only()
    assert result.status is Status.PASS and result.target == f"mt:{MASTER_TARGET}"
    assert result.evidence["total"] == 3 + 2


def test_master_target_over_60_disks_fails(classic, tmp_path):
    classic.master_target().disk_count = 57
    classic.item("db01").disk_sizes_gb = [64, 128, 256]
    result = run_checks(classic, tmp_path, "mt.disk_count").only()
    assert result.status is Status.FAIL
    assert "mt01: 57 disk(s) attached + 4 from 2 VM(s) to reprotect = 61, over the limit of 60" in result.message
    assert remediation_id(result) == "reduce-master-target-disks"


def test_unregistered_master_target_fails(classic, tmp_path):
    master_target = classic.master_target()
    master_target.name, master_target.ip_address = "mt99", "10.0.0.99"
    result = run_checks(classic, tmp_path, "mt.disk_count").only()
    assert result.status is Status.FAIL
    assert "mt01 is not registered with the configuration server (registered: cs01.lab.test, mt99)" in result.message
    assert remediation_id(result) == "register-master-target"
