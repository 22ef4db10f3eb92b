"""vcenter.identity: what ASR records of the vCenter (the vault's vCenter list, classic; each item's discovery, modernized)
against the simulator's address and instance UUID."""

from __future__ import annotations

import pytest

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import LabAzure
from failback.lab.site import APP, LabSite
from tests.labsite import SHAPES

from .conftest import gather_and_judge, one_site_file

REBUILT_UUID = "0f9e8d7c-6b5a-4c3d-9e2f-1a2b3c4d5e6f"


@pytest.fixture
def site(lab: LabSite, start, monkeypatch) -> tuple[LabSite, LabAzure]:
    """The lab vCenter (its shape as the test parametrizes it) and a fake ARM of the same experience that discovered it."""
    azure = start(lab.experience)
    one_site_file(lab, azure, monkeypatch)
    return lab, azure


def judge(lab: LabSite):
    return gather_and_judge(lab.site_path, "vcenter.identity")[f"vcenter:{lab.sim.host}"]


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_the_vcenter_asr_discovered_passes_by_its_instance_uuid(site):
    lab, _ = site
    result = judge(lab)
    assert result.status is Status.PASS, result.message
    uuid = lab.admin.instance_uuid()
    assert f"ASR discovers the VMs through {lab.sim.host}, by its address and instance UUID {uuid}" in result.message
    assert result.evidence["instance_uuid"] == uuid


@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_a_rebuilt_vcenter_of_the_same_address_fails_on_its_new_instance_uuid(site):
    lab, azure = site
    azure.discover_vcenter(lab.sim.host, REBUILT_UUID)  # what ASR recorded before the vCenter was rebuilt
    result = judge(lab)
    assert result.status is Status.FAIL
    assert f"records vCenter id {REBUILT_UUID}, but {lab.sim.host}'s instance UUID is {lab.admin.instance_uuid()}" in result.message
    assert "a vCenter rebuilt or replaced since ASR discovered it" in result.message
    assert result.remediation["id"] == "rediscover-vcenter"
    assert REBUILT_UUID in result.remediation["steps"][0]


@pytest.mark.parametrize("lab", ["modernized"], indirect=True)
def test_an_item_discovered_through_another_vcenter_fails(site):
    lab, azure = site
    azure.item(APP).vcenter_fqdn, azure.item(APP).vcenter_id = "10.0.0.9", None
    result = judge(lab)
    assert result.status is Status.FAIL
    assert result.message == f"ASR's discovery of {APP} reaches the vCenter at 10.0.0.9, not at {lab.sim.host}"


@pytest.mark.parametrize("lab", ["classic"], indirect=True)
def test_a_vcenter_asr_knows_only_by_a_name_warns_and_one_by_its_name_alone_passes_with_the_caveat(site):
    lab, azure = site
    azure.discover_vcenter("vcenter01.corp.test", None)  # added by name; the site reaches it by address
    result = judge(lab)
    assert result.status is Status.WARN
    assert "ASR records nothing comparable (the vault's vCenter vcenter01: address vcenter01.corp.test; name vcenter01, " \
           "vcenter01.corp.test)" in result.message

    azure.discover_vcenter(lab.sim.host, None)
    result = judge(lab)
    assert result.status is Status.PASS
    assert "ASR records no UUID to compare" in result.message


@pytest.mark.parametrize("lab", ["classic"], indirect=True)
def test_a_vcenter_list_azure_fails_to_give_leaves_only_this_check_unverified(site):
    lab, azure = site
    azure.arm.fail(r"/replicationvCenters$", 500)
    results = gather_and_judge(lab.site_path, "vcenter.identity", "cs.health")
    result = results[f"vcenter:{lab.sim.host}"]
    assert result.status is Status.ERROR
    assert result.message.startswith("not verified: Recovery Services vault 'vault-asr' in resource group 'rg-asr' (asked for its vCenters)")
    assert results["cs:cs01.lab.test"].status is Status.PASS
