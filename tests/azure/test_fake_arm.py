"""The fake ARM itself, as the real SDKs see it: Entra ID's token errors, paging, long-running operations, faults, and
ASR's actions as jobs (what the failback runner will drive)."""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient, models

from failback.lab.fake_arm import FakeArm
from failback.lab.fake_arm.scenarios import ASR_GROUP, CLIENT_ID, GATEWAY, LAB_SECRET, RECOVERY_GROUP, VAULT, build_world
from failback.lab.fake_arm.state import JobError


@pytest.fixture
def arm():
    world = build_world("classic", vm_names=[f"vm{index:03}" for index in range(250)])
    with FakeArm(world).start() as fake:
        yield fake


def _credential(arm: FakeArm, secret: str = LAB_SECRET, tenant: str | None = None) -> ClientSecretCredential:
    return ClientSecretCredential(tenant or arm.world.tenant_id, CLIENT_ID, secret, authority=arm.url,
                                  disable_instance_discovery=True, connection_verify=arm.ca_file)


def _client(client_type, arm: FakeArm):
    return client_type(_credential(arm), arm.world.subscription_id, base_url=arm.url, credential_scopes=[f"{arm.url}/.default"],
                       connection_verify=arm.ca_file, polling_interval=0, retry_total=0)


def test_the_token_endpoint_answers_as_entra_id_does(arm):
    assert _credential(arm).get_token(f"{arm.url}/.default").token in arm.tokens
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        _credential(arm, secret="wrong").get_token(f"{arm.url}/.default")
    with pytest.raises(ClientAuthenticationError, match="AADSTS90002: Tenant 'no-such-tenant' not found"):
        _credential(arm, tenant="no-such-tenant").get_token(f"{arm.url}/.default")


def test_lists_are_paged_and_the_sdk_follows_next_links(arm):
    items = list(_client(SiteRecoveryManagementClient, arm).replication_protected_items.list(resource_group_name=ASR_GROUP, resource_name=VAULT))
    assert len(items) == 250
    assert [call.status for call in arm.calls("/replicationProtectedItems")] == [200, 200, 200]


def test_a_groups_vms_are_listed_in_pages_without_instance_views_as_arm_documents(arm):
    machines = _client(ComputeManagementClient, arm).virtual_machines
    vms = list(machines.list(RECOVERY_GROUP))
    assert len(vms) == len(arm.world.group(RECOVERY_GROUP).vms) > arm.page_size
    assert all(vm.instance_view is None and vm.network_profile.network_interfaces for vm in vms)
    assert len(arm.calls("/virtualMachines")) == 3
    # ARM honours $expand=instanceView on a group's listing only with a scale-set $filter: a standalone VM needs its own.
    with pytest.raises(HttpResponseError, match="InvalidParameter"):
        list(machines.list(RECOVERY_GROUP, expand="instanceView"))
    assert machines.instance_view(RECOVERY_GROUP, vms[0].name).vm_agent.statuses[0].display_status == "Ready"


def test_long_running_operations_are_polled_on_their_location(arm):
    arm.operations.polls_before_done = 2
    poller = _client(NetworkManagementClient, arm).virtual_network_gateways.begin_get_bgp_peer_status(ASR_GROUP, GATEWAY)
    assert [peer.state for peer in poller.result().value] == ["Connected"]
    assert [call.status for call in arm.calls("/operationResults/")] == [202, 202, 200]


def test_faults_apply_per_route_and_count_their_hits(arm):
    fault = arm.fail(r"/replicationFabrics$", 500, times=1)
    client = _client(SiteRecoveryManagementClient, arm)
    with pytest.raises(HttpResponseError) as failed:
        list(client.replication_fabrics.list(resource_group_name=ASR_GROUP, resource_name=VAULT))
    assert failed.value.status_code == 500 and fault.hits == 1
    assert len(list(client.replication_fabrics.list(resource_group_name=ASR_GROUP, resource_name=VAULT))) == 1


def test_requests_without_a_token_and_missing_resources_get_arms_errors(arm):
    client = _client(NetworkManagementClient, arm)
    with pytest.raises(ResourceNotFoundError, match="Resource group 'rg-none' could not be found"):
        client.express_route_circuits.get("rg-none", "er")
    arm.tokens.clear()  # as if every token had expired and been refused
    with pytest.raises(ClientAuthenticationError):
        client.express_route_circuits.get(ASR_GROUP, "er-onprem")


def test_the_fake_only_listens_on_loopback():
    with pytest.raises(ValueError, match="loopback"):
        FakeArm(host="10.0.0.1")


def test_asr_actions_run_as_jobs_that_move_items_or_fail_with_an_asr_error():
    world = build_world("modernized", vm_names=["app01"])
    with FakeArm(world).start() as fake:
        asr = _client(SiteRecoveryManagementClient, fake).replication_protected_items
        item = world.group(ASR_GROUP).vaults[VAULT].item_named("app01")
        where = dict(resource_group_name=ASR_GROUP, resource_name=VAULT, fabric_name=item.fabric_name,
                     protection_container_name=item.container_name, replicated_protected_item_name=item.name)
        vault = world.group(ASR_GROUP).vaults[VAULT]
        fabric = vault.fabrics[item.fabric_name]
        reprotect = models.ReverseReplicationInput(properties=models.ReverseReplicationInputProperties(
            failover_direction="RecoveryToPrimary",
            provider_specific_details=models.InMageRcmReprotectInput(
                reprotect_agent_id=fabric.reprotect_agents[0].id, datastore_name="datastore1",
                log_storage_account_id=item.log_storage_account_id)))
        poller = asr.begin_reprotect(reprotect_input=reprotect, **where)
        assert poller.continuation_token()
        assert poller.result().properties.provider_specific_details.instance_type == "InMageRcmFailback"

        failover = models.PlannedFailoverInput(properties=models.PlannedFailoverInputProperties(
            failover_direction="RecoveryToPrimary",
            provider_specific_details=models.InMageRcmFailbackPlannedFailoverProviderInput(recovery_point_type="CrashConsistent")))
        fake.actions.fail_next("PlannedFailover", JobError("8061", "The datastore is not accessible from the host."))
        with pytest.raises(HttpResponseError, match="8061"):
            asr.begin_planned_failover(failover_input=failover, **where).result()
        assert item.allowed_operations == ["PlannedFailover", "DisableProtection"], "a failed job leaves the item as it was"

        fake.actions.polls_per_job = 5
        asr.begin_planned_failover(failover_input=failover, polling=False, **where)
        with pytest.raises(ResourceExistsError, match="AnotherOperationInProgress"):
            asr.begin_planned_failover(failover_input=failover, **where)
