"""A site whose [vcenter] host is a standalone ESXi host, registered without vCenter (the lab simulator started as
govmomi's ESX model): the checks run against the host's own API, and esxi.license reads the host's own licence, the
only place a free licence shows (vCenter refuses to manage such a host)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from failback.checks import registry
from failback.checks.model import Experience, Status
from failback.lab.site import LabSite, build_standalone_host_site
from failback.lab.vcenter_admin import VCenterAdmin
from failback.lab.vcsim import VCSim
from tests.labsite import VCENTER_CHECKS, by_target, run_checks


@pytest.fixture
def standalone(tmp_path) -> Iterator[LabSite]:
    sim = VCSim().start(esx=True, vms=2, username="root", password="esx-Secret-42!")
    admin = VCenterAdmin(sim)
    try:
        yield build_standalone_host_site(sim, admin, tmp_path)
    finally:
        admin.close()
        sim.stop()


def test_a_licensed_standalone_host_passes_every_check_that_applies(standalone):
    assert 'datacenter = "ha-datacenter"' in standalone.site_path.read_text()
    results = run_checks(standalone, *VCENTER_CHECKS)
    applicable = {check for check in VCENTER_CHECKS if registry.get(check).meta.applies_to(Experience.MODERNIZED)}
    assert {r.check for r in results if r.status is Status.PASS} == applicable
    assert [(r.check, r.target, r.message) for r in results if r.check in applicable and r.status is not Status.PASS] == []
    host = standalone.admin.host_names()[0]
    licence = by_target(r for r in results if r.check == "esxi.license")[f"host:{host}"]
    assert licence.evidence["told_by"] == "the host's own licence manager"
    assert licence.evidence["edition"] == "esx.enterprisePlus.cpuPackage"
    version = by_target(r for r in results if r.check == "vcenter.version")[f"vcenter:{standalone.sim.host}"]
    assert version.message.startswith("standalone ESXi host runs 7.0.3")


@pytest.mark.parametrize("edition, name", [("esxBasic", "vSphere 7 Hypervisor"), ("esx.hypervisor.free", "vSphere 8 Hypervisor")])
def test_a_standalone_host_on_the_free_licence_fails(standalone, edition, name):
    host = standalone.admin.host_names()[0]
    free = standalone.admin.add_license("F7EE0-HYPER-V1SOR-FREE0-00000", edition, name)
    standalone.admin.assign_license(host, free)
    result = by_target(run_checks(standalone, "esxi.license"))[f"host:{host}"]
    assert result.status is Status.FAIL, result.message
    assert f"free licence ({name})" in result.message
    assert result.remediation["id"] == "license-esxi"
    assert any("ESXi Host Client > Manage > Licensing" in step for step in result.remediation["steps"])
    assert "F7EE0" not in str(result.evidence), "licence keys never leave memory"
