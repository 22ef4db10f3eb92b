"""ps.azure_vm, mt.replication_group, asr.failback_policy and the classic path from Azure, against the fake ARM through
the real SDKs: the process server in Azure found by its address, sized and loaded as ASR and Azure report it; the
master targets a replication group would fail back through; the failback policy associated with the container."""

from __future__ import annotations

from failback.checks.model import Status
from failback.lab.fake_arm import scenarios
from failback.lab.fake_arm.scenarios import PROCESS_SERVER, RECOVERY_GROUP
from failback.lab.fake_arm.state import ConnectivityVerdict, Subnet, VirtualNetwork

from .conftest import remediation_id, run_checks


def _process_server(lab):
    return next(server for server in lab.fabric.process_servers if server.name == PROCESS_SERVER)


def test_the_process_server_in_azure_in_the_vms_network_and_sized_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "ps.azure_vm").only()
    assert result.status is Status.PASS, result.message
    assert result.target == "ps:10.1.0.4" and "Standard_D8s_v3, 8 cores" in result.message
    assert result.evidence["virtual_networks"] == ["vnet-recovery"] == result.evidence["vms_virtual_networks"]


def test_an_undersized_or_saturated_process_server_fails(classic, tmp_path):
    classic.vm(PROCESS_SERVER).size = "Standard_D4s_v3"
    _process_server(classic).cpu_load_percent = 85
    server = _process_server(classic)
    server.available_memory_bytes = server.total_memory_bytes // 10
    result = run_checks(classic, tmp_path, "ps.azure_vm").only()
    assert result.status is Status.FAIL
    assert "ps01 (Standard_D4s_v3) has 4 cores; a process server in Azure needs at least 8" in result.message
    assert "its CPU is at 85% (under 70% is needed)" in result.message and "its memory is at 90% " in result.message
    assert remediation_id(result) == "size-azure-process-server"
    assert "at least 8 cores" in result.remediation["steps"][1]


def test_a_process_server_outside_the_vms_network_fails(classic, tmp_path):
    group = classic.world.group(RECOVERY_GROUP)
    other = group.add(VirtualNetwork("vnet-other", ["10.9.0.0/16"]))
    other.subnets.add(Subnet("default", "10.9.0.0/24"))
    group.nics[f"{PROCESS_SERVER}-nic"].subnet_id = other.subnet_id("default")
    result = run_checks(classic, tmp_path, "ps.azure_vm").only()
    assert result.status is Status.FAIL
    assert "ps01 is in vnet-other, not in the failed-over VMs' vnet-recovery" in result.message


def test_a_process_server_that_is_not_in_azure_fails(classic, tmp_path):
    # The site names the configuration server's own process server (on-premises): no Azure VM holds its address.
    site = classic.site_text().replace('[process_server]\nhost = "10.1.0.4"', '[process_server]\nhost = "10.0.0.5"')
    result = run_checks(classic, tmp_path, "ps.azure_vm", site_text=site).only()
    assert result.status is Status.FAIL
    assert "no Azure VM of the subscription holds 10.0.0.5" in result.message
    assert remediation_id(result) == "set-azure-process-server"


def test_classic_path_from_azure_starts_at_the_process_server(classic, tmp_path):
    """No path_from: failback data flows from the process server in Azure, so the path is tested from its VM."""
    run = run_checks(classic, tmp_path, "network.azure_path", path_from=None)
    assert {record["source_vm"] for record in run.facts.source("azure")["connectivity"]} == {PROCESS_SERVER}
    assert all(r.status is Status.PASS for r in run.results), [(r.target, r.message) for r in run.results]
    watcher = classic.world.group(scenarios.WATCHER_GROUP).watchers[scenarios.WATCHER]
    watcher.set_verdict(scenarios.MASTER_TARGET_IP, 9443, ConnectivityVerdict("Unreachable", failing_hop=scenarios.MASTER_TARGET_IP))
    failed = run_checks(classic, tmp_path, "network.azure_path", path_from=None)
    assert failed.only(target=f"endpoint:{scenarios.MASTER_TARGET_IP}:9443").status is Status.FAIL


def _without_master_targets(lab) -> str:
    text = lab.site_text()
    head, _, rest = text.partition("[[master_targets]]")
    return head + rest[rest.index("[[vms]]"):]


def test_a_replication_group_through_one_master_target_passes(classic, tmp_path):
    result = run_checks(classic, tmp_path, "mt.replication_group").only()
    assert result.status is Status.PASS
    assert result.message == f"replication group {scenarios.REPLICATION_GROUP} (app01, db01) fails back through mt01"


def test_a_replication_group_split_across_master_targets_fails(classic, tmp_path):
    # db01 runs Windows: with every registered master target to choose from, it would go through the configuration
    # server's Windows one, and app01 through mt01.
    classic.item("db01").os_type = "Windows"
    result = run_checks(classic, tmp_path, "mt.replication_group", site_text=_without_master_targets(classic)).only()
    assert result.status is Status.FAIL
    assert "would fail back through 2 master targets (db01 -> cs01.lab.test; app01 -> mt01)" in result.message
    assert remediation_id(result) == "one-master-target-per-group"
    assert result.remediation["title"] == f"Fail the VMs of replication group {scenarios.REPLICATION_GROUP} back through one master target"


def test_the_failback_policy_associated_with_the_container_passes(start, tmp_path):
    for experience in ("classic", "modernized"):
        results = run_checks(start(experience), tmp_path, "asr.failback_policy").of("asr.failback_policy")
        assert {r.target: r.status for r in results} == {"item:app01": Status.PASS, "item:db01": Status.PASS}
        assert f"{scenarios.FAILBACK_POLICY} (" in results[0].message


def test_a_failback_policy_not_associated_with_the_container_fails(modernized, tmp_path):
    modernized.vault.mappings = [m for m in modernized.vault.mappings if m.policy_name != scenarios.FAILBACK_POLICY]
    result = run_checks(modernized, tmp_path, "asr.failback_policy").only(target="item:app01")
    assert result.status is Status.FAIL
    assert "the vault associates no InMageRcmFailback policy with app01's container cloud_1" in result.message
    assert remediation_id(result) == "associate-failback-policy"
    assert "New-AzRecoveryServicesAsrProtectionContainerMapping" in " ".join(result.remediation["steps"])


def test_a_site_file_naming_the_replication_policy_as_failback_policy_fails(classic, tmp_path):
    result = run_checks(classic, tmp_path, "asr.failback_policy", failback_policy_id=scenarios.FORWARD_POLICY).only(target="item:app01")
    assert result.status is Status.FAIL
    assert f"[azure] failback_policy_id = {scenarios.FORWARD_POLICY}: it is a InMageAzureV2 policy" in result.message
