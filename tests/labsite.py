"""The lab vCenter site for tests: VMware's simulator (extended) shaped as a healthy failback site, and running checks on it.

Its fixtures are offered to every test folder by tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from failback.checks.model import Result
from failback.checks.sources.vcenter import VCenterSource
from failback.lab.site import LabSite, build_lab_site
from failback.lab.vcenter_admin import VCenterAdmin
from failback.lab.vcsim import VCSim
from failback.runner.engine import Selection, collect, evaluate


# The checks whose facts come from vCenter (the lab site's other peers are not started here).
VCENTER_CHECKS = [
    "vcenter.connect", "vcenter.version", "vcenter.permissions", "esxi.license", "vm.snapshots", "vm.name_clash",
    "vm.disk_enableuuid", "mt.snapshots", "mt.disk_enableuuid", "mt.scsi_controller", "mt.vmware_tools", "mt.os_match", "mt.template_clone",
    "datastore.access", "datastore.type", "datastore.free_space", "host.memory", "host.state", "time.skew", "guest.ip_mode",
]
# The lab site's shapes: classic (a master target) and modernized (the replication appliance writes the disks).
SHAPES = ["classic", "modernized"]


def _start_lab(directory: Path, experience: str) -> tuple[VCSim, VCenterAdmin, LabSite]:
    sim = VCSim().start(clusters=1, hosts_per_cluster=2, standalone_hosts=1, datastores=1, vms=2, username="administrator@vsphere.local", password="lab-Secret-42!")
    admin = VCenterAdmin(sim)
    return sim, admin, build_lab_site(sim, admin, directory, experience)


@pytest.fixture
def lab(request, tmp_path) -> Iterator[LabSite]:
    """A fresh lab site per test, for tests that break something: classic, or the shape a test parametrizes
    indirectly (`@pytest.mark.parametrize("lab", SHAPES, indirect=True)`)."""
    sim, admin, site = _start_lab(tmp_path, getattr(request, "param", "classic"))
    try:
        yield site
    finally:
        admin.close()
        sim.stop()


@pytest.fixture(scope="module")
def healthy_lab(tmp_path_factory) -> Iterator[LabSite]:
    """One healthy classic lab site shared by a module's read-only tests."""
    yield from _healthy(tmp_path_factory, "classic")


@pytest.fixture(scope="module", params=SHAPES)
def healthy_lab_of_each_shape(request, tmp_path_factory) -> Iterator[LabSite]:
    """One healthy lab site of each shape, for the read-only tests that hold for both."""
    yield from _healthy(tmp_path_factory, request.param)


def _healthy(tmp_path_factory, experience: str) -> Iterator[LabSite]:
    sim, admin, site = _start_lab(tmp_path_factory.mktemp(f"healthy-{experience}"), experience)
    try:
        yield site
    finally:
        admin.close()
        sim.stop()


def run_checks(lab: LabSite, *check_ids: str, password: str | None = None) -> list[Result]:
    """Collect from the lab vCenter and evaluate the given checks, as `failback check --only` does."""
    site = lab.site()
    source = VCenterSource(site, lab.sim.password if password is None else password)
    facts = collect(site, {"vcenter": source.collect})
    return evaluate(facts, Selection(only=frozenset(check_ids))).results


def by_target(results: list[Result]) -> dict[str, Result]:
    return {result.target: result for result in results}
