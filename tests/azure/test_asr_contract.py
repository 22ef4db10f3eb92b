"""The fake ASR refuses what the real one refuses: bodies that break the REST specification (api-version 2025-08-01),
an input that does not fit the item's provider or direction, ids the vault does not hold. Through the real SDK, so
the bodies are the ones it serialises; each refusal is a 400 in ASR's error shape and starts no job."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from failback.checks.sitefile import load_site
from failback.checks.sources.azure_session import AzureSession
from failback.lab.fake_arm.asr_api import vault_id
from failback.lab.fake_arm.scenarios import ASR_GROUP, FAILBACK_POLICY, FORWARD_POLICY, LabAzure
from failback.lab.fake_arm.state import Policy


def _session(lab: LabAzure, tmp_path) -> Any:
    site = load_site(lab.write_site(tmp_path))
    session = AzureSession(site.azure, lab.secret, pool_size=2)
    session.sign_in()
    return session


def _policy_id(lab: LabAzure, name: str) -> str:
    return f"{vault_id(lab.world.group(ASR_GROUP), lab.vault)}/replicationPolicies/{name}"


def _classic_failback_body(lab: LabAzure) -> dict[str, Any]:
    fabric = lab.fabric
    return {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
        "instanceType": "InMage",
        "processServerId": next(ps.id for ps in fabric.process_servers if ps.in_azure),
        "masterTargetId": lab.master_target().id,
        "retentionDrive": "/mnt/retention",
        "datastoreName": "datastore1",
        "profileId": _policy_id(lab, FAILBACK_POLICY)}}}


def _modernized_failback_body(lab: LabAzure) -> dict[str, Any]:
    item = lab.item("app01")
    return {"properties": {"failoverDirection": "RecoveryToPrimary", "providerSpecificDetails": {
        "instanceType": "InMageRcm", "reprotectAgentId": lab.fabric.reprotect_agents[0].id, "datastoreName": "datastore1",
        "logStorageAccountId": item.log_storage_account_id, "policyId": _policy_id(lab, FAILBACK_POLICY)}}}


def _reprotect(lab: LabAzure, session: Any, body: dict[str, Any]) -> Any:
    item = lab.item("app01")
    return session.asr.replication_protected_items.begin_reprotect(
        resource_group_name=ASR_GROUP, resource_name=lab.vault.name, fabric_name=item.fabric_name,
        protection_container_name=item.container_name, replicated_protected_item_name=item.name, reprotect_input=body)


def _refused(lab: LabAzure, session: Any, body: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(HttpResponseError) as raised:
        _reprotect(lab, session, body)
    assert raised.value.status_code == 400
    assert lab.arm.actions.submitted == [], "a refused body starts no job"
    error = raised.value.response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["details"][0]["code"] == error["code"]
    return error


def _without(body: dict[str, Any], key: str) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    del changed["properties"]["providerSpecificDetails"][key]
    return changed


def _with(body: dict[str, Any], **values: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    changed["properties"]["providerSpecificDetails"].update(values)
    return changed


@pytest.mark.parametrize("experience", ["classic", "modernized"])
def test_a_body_as_the_specification_and_the_vault_want_it_is_accepted(start, tmp_path, experience):
    lab = start(experience)
    session = _session(lab, tmp_path)
    body = _classic_failback_body(lab) if experience == "classic" else _modernized_failback_body(lab)
    assert _reprotect(lab, session, body).result().properties.provider_specific_details.instance_type in ("InMage", "InMageRcmFailback")
    assert [accepted.body for accepted in lab.arm.actions.accepted] == [body]


def test_required_properties_of_the_specification(start, tmp_path):
    lab = start("modernized")
    session = _session(lab, tmp_path)
    body = _modernized_failback_body(lab)
    # The trap a new user met: the reprotect toward on-premises needs the log storage account.
    assert _refused(lab, session, _without(body, "logStorageAccountId"))["message"] == \
        "InMageRcmReprotectInput.logStorageAccountId is required."
    assert _refused(lab, session, _without(body, "reprotectAgentId"))["message"] == "InMageRcmReprotectInput.reprotectAgentId is required."
    classic = start("classic")
    classic_session = _session(classic, tmp_path)
    assert _refused(classic, classic_session, _without(_classic_failback_body(classic), "profileId"))["message"] == \
        "InMageReprotectInput.profileId is required."


def test_types_enums_and_instance_types_of_the_specification(start, tmp_path):
    lab = start("modernized")
    session = _session(lab, tmp_path)
    body = _modernized_failback_body(lab)
    assert "must be of type string" in _refused(lab, session, _with(body, datastoreName=7))["message"]
    unknown = _refused(lab, session, _with(body, instanceType="InMageRcmV9"))
    assert "InMageRcmV9" in unknown["message"] and "InMageRcmFailback" in unknown["message"]


def test_the_input_must_fit_the_items_provider_and_direction(start, tmp_path):
    lab = start("classic")
    session = _session(lab, tmp_path)
    body = _classic_failback_body(lab)
    # An InMageAzureV2 item fails back with InMage input: the reprotect-to-Azure input is refused.
    wrong = copy.deepcopy(body)
    wrong["properties"]["providerSpecificDetails"] = {"instanceType": "InMageAzureV2", "processServerId": lab.fabric.process_servers[0].id}
    assert _refused(lab, session, wrong)["code"] == "ReplicationProviderMismatch"
    backwards = copy.deepcopy(body)
    backwards["properties"]["failoverDirection"] = "PrimaryToRecovery"
    assert _refused(lab, session, backwards)["code"] == "InvalidFailoverDirection"


def test_ids_the_vault_does_not_hold_are_refused(start, tmp_path):
    lab = start("classic")
    session = _session(lab, tmp_path)
    body = _classic_failback_body(lab)
    assert _refused(lab, session, _with(body, processServerId="00000000-ps"))["code"] == "ProcessServerNotFound"
    assert _refused(lab, session, _with(body, masterTargetId="00000000-mt"))["code"] == "MasterTargetNotFound"
    assert _refused(lab, session, _with(body, datastoreName="nfs-archive"))["code"] == "DatastoreNotFound"
    assert _refused(lab, session, _with(body, retentionDrive="R:"))["code"] == "RetentionVolumeNotFound"  # mt01 is Linux
    assert _refused(lab, session, _with(body, profileId=_policy_id(lab, "no-such-policy")))["code"] == "PolicyNotFound"
    # The replication policy to Azure is not a failback policy; an unassociated failback policy is not the item's.
    assert _refused(lab, session, _with(body, profileId=_policy_id(lab, FORWARD_POLICY)))["code"] == "InvalidPolicyForProvider"
    lab.vault.policies.add(Policy("policy-orphan-failback", "InMage"))
    assert _refused(lab, session, _with(body, profileId=_policy_id(lab, "policy-orphan-failback")))["code"] == \
        "ProtectionContainerMappingNotFound"


def test_ids_that_exist_but_do_not_fit_the_vm_fail_the_job_as_asr_does(start, tmp_path):
    lab = start("classic")
    session = _session(lab, tmp_path)
    body = _classic_failback_body(lab)
    on_prem = _with(body, processServerId=lab.fabric.process_servers[0].id)  # the configuration server's, on-premises
    with pytest.raises(HttpResponseError, match="78186"):
        _reprotect(lab, session, on_prem).result()
    windows = _with(body, masterTargetId=lab.master_target("cs01.lab.test").id, retentionDrive="R:")
    with pytest.raises(HttpResponseError, match="78044"):
        _reprotect(lab, session, windows).result()
