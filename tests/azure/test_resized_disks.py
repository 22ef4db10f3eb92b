"""azure.disk_resized on the fake ARM through the real SDKs, and datastore.free_space counting what grew, with the simulator."""

from __future__ import annotations

import pytest

from failback.checks.model import Status
from failback.lab.site import APP, GIB, LabSite
from tests.labsite import SHAPES, by_target, run_checks as run_vcenter_checks

from .conftest import gather_and_judge, one_site_file, remediation_id, run_checks

EXPERIENCES = ["classic", "modernized"]


def alternate_location(site_text: str, vm: str) -> str:
    return site_text.replace(f'name = "{vm}"\n', f'name = "{vm}"\nrecovery_location = "alternate"\n')


@pytest.mark.parametrize("experience", EXPERIENCES)
def test_disks_of_their_on_premises_size_pass(start, tmp_path, experience):
    lab = start(experience)
    result = run_checks(lab, tmp_path, "azure.disk_resized").only(target=f"vm:{APP}")
    assert result.status is Status.PASS, result.message
    assert result.message == f"no disk of {APP} was resized in Azure (1 disk(s) compared)"
    assert result.evidence["disks"] == ["app01-disk0: 64.0 GB on-premises, 64.0 GB in Azure"]


@pytest.mark.parametrize("experience", EXPERIENCES)
def test_a_disk_grown_in_azure_fails_original_location_and_passes_an_alternate_one(start, tmp_path, experience):
    lab = start(experience)
    lab.vm(APP).disks[0].size_gb = 96
    result = run_checks(lab, tmp_path, "azure.disk_resized").only(target=f"vm:{APP}")
    assert result.status is Status.FAIL
    assert "app01 fails back to its original location, but disks grew in Azure (app01-disk0: 64.0 GB on-premises, 96.0 GB in Azure)" \
        in result.message
    assert remediation_id(result) == "failback-to-alternate-location"
    assert result.remediation["steps"][0] == "Grown in Azure: app01-disk0: 64.0 GB on-premises, 96.0 GB in Azure."
    assert run_checks(lab, tmp_path, "azure.disk_resized").only(target="vm:db01").status is Status.PASS

    alternate = run_checks(lab, tmp_path, "azure.disk_resized", site_text=alternate_location(lab.site_text(), APP)).only(target=f"vm:{APP}")
    assert alternate.status is Status.PASS
    assert "app01 fails back to an alternate location, where its new disks take the sizes they grew to in Azure" in alternate.message


def test_a_protected_disk_the_azure_vm_does_not_show_warns_and_items_replicating_back_are_not_judged(start, tmp_path):
    lab = start("modernized")
    lab.item(APP).disk_sizes_gb = [64, 128]  # ASR protects a second disk; the Azure VM has only its OS disk
    result = run_checks(lab, tmp_path, "azure.disk_resized").only(target=f"vm:{APP}")
    assert result.status is Status.WARN
    assert result.message == "app01: the Azure VM app01 does not show the disk of app01-disk1; those sizes are not compared"

    lab = start("modernized", stage="replicating_back")
    assert run_checks(lab, tmp_path, "azure.disk_resized").only(target=f"vm:{APP}").status is Status.SKIP


# -- datastore.free_space counts what grew, on the datastore of the vCenter disk it is --------------------------------------------
@pytest.mark.parametrize("lab", SHAPES, indirect=True)
def test_datastore_free_space_counts_a_disk_grown_in_azure_on_its_vcenter_disk(lab: LabSite, start, monkeypatch):
    """Modernized: ASR knows the disk by its vCenter UUID; classic: by its on-premises size, the only disk of that size."""
    azure = start(lab.experience)
    one_site_file(lab, azure, monkeypatch)
    uuid = "6000C29a-5c1e-4f3b-9d2a-0123456789ab"
    label = lab.admin.add_disk(APP, 64 * GIB, uuid=uuid if lab.experience == "modernized" else None)
    if lab.experience == "modernized":
        azure.item(APP).source_disk_ids = [uuid.replace("-", "")]
    datastore = lab.admin.datastore_names()[0]
    alone = by_target(run_vcenter_checks(lab, "datastore.free_space"))[f"datastore:{datastore}"]
    assert alone.status is Status.PASS
    # Room for everything the vCenter side counts, and 10 GB more.
    lab.admin.set_datastore(datastore, free_bytes=int(alone.evidence["required_gb"] * GIB) + 10 * GIB)
    assert gather_and_judge(lab.site_path, "datastore.free_space")[f"datastore:{datastore}"].status is Status.PASS

    azure.vm(APP).disks[0].size_gb = 96
    result = gather_and_judge(lab.site_path, "datastore.free_space", "azure.disk_resized")
    free_space = result[f"datastore:{datastore}"]
    assert free_space.status is Status.FAIL, free_space.message
    assert f"{APP} {label}: 32.0 GB (disks resized in Azure)" in free_space.evidence["growth"]
    assert free_space.evidence["growth_gb"]["disks resized in Azure"] == 32.0
    assert result[f"vm:{APP}"].status is Status.FAIL
