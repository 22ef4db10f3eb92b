"""The vCenter source past a handful of VMs: the bulk reads in pages, requests that do not grow with the VMs named,
and a bulk read vCenter refuses reported in vCenter's words."""

from __future__ import annotations

import http.client

import pytest
from pyVmomi import vim

from failback.checks.sources import vcenter_bulk as bulk
from failback.checks.sources.errors import SourceError
from failback.checks.sources.vcenter import VCenterSource
from failback.checks.sources.vcenter_session import vcenter_session
from failback.lab.site import APP, MASTER_TARGET, build_lab_site
from failback.lab.vcenter_admin import VCenterAdmin
from failback.lab.vcsim import VCSim


@pytest.fixture
def soap_requests(monkeypatch) -> list[str]:
    """Every SOAP request this process posts, pyVmomi's and the bulk reads' alike (counted where both send)."""
    posted: list[str] = []
    send = http.client.HTTPConnection.request

    def counting(connection, method, url, *args, **kwargs):
        if method == "POST":
            posted.append(url)
        return send(connection, method, url, *args, **kwargs)

    monkeypatch.setattr(http.client.HTTPConnection, "request", counting)
    return posted


def test_requests_do_not_grow_with_the_vms_the_site_names(tmp_path, soap_requests):
    with VCSim().start(vms=10, username="administrator@vsphere.local", password="lab-Secret-42!") as sim, VCenterAdmin(sim) as admin:
        lab = build_lab_site(sim, admin, tmp_path)
        every_vm = sorted(admin.vm_names())
        counts = {}
        for named in (lab.vms, every_vm):
            lab.vms = named
            lab.write_site(**{APP: {"recovery_location": "alternate"}})  # its disks are weighed: the device read runs
            for every_disk in (False, True):  # no selected check weighs in-place disks / datastore.free_space is selected
                soap_requests.clear()
                facts = VCenterSource(lab.site(), sim.password, every_disk=every_disk).collect()
                counts[(len(named), every_disk)] = len(soap_requests)
                assert sorted(vm["name"] for vm in facts["vms"].values()) == sorted({*named, MASTER_TARGET, "asr-appliance"})
                with_disks = sorted(vm["name"] for vm in facts["vms"].values() if "disks" in vm)
                assert with_disks == (sorted({*named, MASTER_TARGET, "asr-appliance"}) if every_disk else sorted([APP, MASTER_TARGET]))
    assert len(every_vm) == 20 and counts[(2, False)] == counts[(20, False)] == counts[(2, True)] == counts[(20, True)], counts


def test_a_bulk_read_comes_whole_through_pages(healthy_lab):
    with vcenter_session(healthy_lab.site().vcenter, healthy_lab.sim.password) as session:
        content = session.si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        paged = [bulk.text(props["name"]) for _, props in bulk.objects_in_view(content.propertyCollector, view, "VirtualMachine", ["name"], page_size=3)]
        morefs = [moref for moref, _ in bulk.objects_in_view(content.propertyCollector, view, "VirtualMachine", ["name"])]
        by_moref = [bulk.text(props["name"]) for _, props in bulk.these_objects(content.propertyCollector, "VirtualMachine", morefs, ["name"], page_size=3)]
    assert len(paged) > 3 and sorted(paged) == sorted(by_moref) == healthy_lab.admin.vm_names()


def test_a_bulk_read_vcenter_refuses_is_reported_in_its_words(healthy_lab):
    with pytest.raises(SourceError) as refused:
        with vcenter_session(healthy_lab.site().vcenter, healthy_lab.sim.password) as session:
            content = session.si.RetrieveContent()
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
            content.sessionManager.Logout()  # the session ends under the read, as an idle timeout would end it
            list(bulk.objects_in_view(content.propertyCollector, view, "VirtualMachine", ["name"]))
    assert refused.value.kind == "error"
    assert "ManagedObjectNotFound: The object has already been deleted" in refused.value.reason
