"""The reads a large vault makes once per VM and per item (instance views, recovery points) go through AzureSession.read,
a lean azure-core pipeline: they must ask the API the SDKs ask, follow pages, and fail as the SDKs' operations fail."""

from __future__ import annotations

import datetime as dt

from azure.identity import ClientSecretCredential
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.recoveryservicessiterecovery import SiteRecoveryManagementClient

from failback.checks.model import Status
from failback.checks.sources.azure_session import COMPUTE_API_VERSION, SITE_RECOVERY_API_VERSION
from failback.lab.fake_arm.scenarios import ASR_GROUP, CLIENT_ID, VAULT
from failback.lab.fake_arm.state import RecoveryPoint

from .conftest import remediation_id, run_checks


def _versions(lab, path: str) -> set[str | None]:
    return {call.api_version for call in lab.arm.calls(path)}


def test_the_reads_ask_the_api_versions_the_sdks_ask(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    run_checks(lab, tmp_path, "asr.recovery_point", "azure.vm_running")
    assert _versions(lab, "/instanceView") == {COMPUTE_API_VERSION}
    assert _versions(lab, "/recoveryPoints") == {SITE_RECOVERY_API_VERSION}
    assert _versions(lab, "/replicationProtectedItems") == {SITE_RECOVERY_API_VERSION}, "the items' listing too"
    lab.arm.requests.clear()

    credential = ClientSecretCredential(lab.world.tenant_id, CLIENT_ID, lab.secret, authority=lab.arm.url,
                                        disable_instance_discovery=True, connection_verify=lab.arm.ca_file)
    options = {"base_url": lab.arm.url, "credential_scopes": [lab.arm.url + "/.default"], "connection_verify": lab.arm.ca_file}
    compute = ComputeManagementClient(credential, lab.world.subscription_id, **options)
    group = next(name for name, found in lab.world.resource_groups.items() if "app01" in found.vms)
    compute.virtual_machines.instance_view(group, "app01")
    asr = SiteRecoveryManagementClient(credential, lab.world.subscription_id, **options)
    item = next(item for item in asr.replication_protected_items.list(ASR_GROUP, VAULT) if item.properties.friendly_name == "app01")
    parts = item.id.split("/")
    list(asr.recovery_points.list_by_replication_protected_items(
        ASR_GROUP, VAULT, parts[parts.index("replicationFabrics") + 1], parts[parts.index("replicationProtectionContainers") + 1], item.name))
    assert _versions(lab, "/instanceView") == {COMPUTE_API_VERSION}
    assert _versions(lab, "/recoveryPoints") == {SITE_RECOVERY_API_VERSION}


def test_recovery_points_over_several_pages_are_all_counted(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    now = dt.datetime.now(dt.timezone.utc)
    lab.item("app01").recovery_points = [RecoveryPoint(now - dt.timedelta(minutes=minutes), kind)
                                         for minutes, kind in ((5, "CrashConsistent"), (65, "ApplicationConsistent"), (125, "CrashConsistent"))]
    lab.arm.page_size = 1
    result = run_checks(lab, tmp_path, "asr.recovery_point").only(target="item:app01")
    assert result.status is Status.PASS
    assert result.evidence["count"] == 3
    assert len(lab.arm.calls("/recoveryPoints")) >= 3 + 2, "every page of each item's points was asked for"


def test_a_failed_recovery_point_read_errors_its_item_alone_with_asrs_words(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    lab.arm.fail(r"/replicationProtectedItems/[^/]*/recoveryPoints$", 403, times=None, code="AuthorizationFailed",
                 message="The client does not have authorization to perform action 'recoveryPoints/read'.")
    lab.arm.requests.clear()
    run = run_checks(lab, tmp_path, "asr.recovery_point")
    errored = [r for r in run.results if r.target.startswith("item:")]
    assert errored and all(r.status is Status.ERROR for r in errored), [(r.target, r.status) for r in errored]
    assert "asked for its recovery points" in errored[0].message
    assert "AuthorizationFailed" in errored[0].message and "recoveryPoints/read" in errored[0].message
    assert remediation_id(errored[0]) == "azure-access"


def test_an_instance_view_not_found_fails_that_vm_with_arms_words(start, tmp_path):
    lab = start("classic")
    lab.arm.fail(r"/virtualMachines/db01/instanceView$", 404, code="ResourceNotFound",
                 message="The Resource 'Microsoft.Compute/virtualMachines/db01' under resource group 'rg-recovery' was not found.")
    run = run_checks(lab, tmp_path, "azure.vm_running")
    assert run.only(target="vm:app01").status is Status.PASS
    db = run.only(target="vm:db01")
    assert db.status is Status.FAIL
    assert "Azure VM 'db01' in resource group 'rg-recovery' (asked for its instance view) was not found" in db.message


def test_arm_refuses_a_call_without_api_version(classic):
    import requests

    token = ClientSecretCredential(classic.world.tenant_id, CLIENT_ID, classic.secret, authority=classic.arm.url,
                                   disable_instance_discovery=True, connection_verify=classic.arm.ca_file
                                   ).get_token(classic.arm.url + "/.default").token
    answer = requests.get(f"{classic.arm.url}/subscriptions/{classic.world.subscription_id}/resourceGroups/{ASR_GROUP}",
                          headers={"Authorization": f"Bearer {token}"}, verify=classic.arm.ca_file, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "MissingApiVersionParameter"
