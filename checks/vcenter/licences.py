"""esxi.license: no host the failback touches runs a free ESXi licence.

vCenter refuses to manage a host on the free licence, so that trap shows on a standalone ESXi host the site registers
directly ([vcenter] host naming the host): its own LicenseManager tells its licence there."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import Inventory

# editionKeys of free ESXi licences seen in the field; ASR failback needs the vStorage APIs a free licence lacks.
FREE_EDITION_KEYS = {"esxbasic", "esxbasic.vram", "esx.hypervisor.free", "esx.free"}
_FREE_NAME_MARKERS = ("free", "vsphere hypervisor")
_EVALUATION_KEYS = {"eval"}

LICENSE = CheckMeta(
    id="esxi.license",
    title="No host involved runs a free ESXi licence",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="On a free ESXi licence failover to Azure works and failback fails: the data path APIs ASR needs are not licensed.",
    remediation="license-esxi",
)


def is_free(edition_key: str | None, name: str | None) -> bool:
    return (edition_key or "").lower() in FREE_EDITION_KEYS or any(m in (name or "").lower() for m in _FREE_NAME_MARKERS)


@register(LICENSE)
def esxi_license(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for moref in inventory.involved_hosts():
        host = inventory.host(moref)
        target = f"host:{host['name']}"
        licence = host.get("license")
        if licence is None:
            told = f"{host['name']} reports no licence of its own" if inventory.standalone_host else f"vCenter reports no licence assignment for {host['name']}"
            yield Result(LICENSE.id, target, Status.ERROR, told, {})
            continue
        evidence = {"edition": licence["edition_key"], "license_name": licence["name"] or licence["edition_key"],
                    "told_by": licence.get("told_by", "vCenter's licence assignments")}
        if is_free(licence["edition_key"], licence["name"]):
            yield Result(LICENSE.id, target, Status.FAIL, f"{host['name']} runs a free licence ({evidence['license_name']}): failback will fail", evidence)
        elif (licence["edition_key"] or "").lower() in _EVALUATION_KEYS:
            yield Result(LICENSE.id, target, Status.WARN, f"{host['name']} runs in evaluation mode, which expires after 60 days", evidence)
        else:
            yield Result(LICENSE.id, target, Status.PASS, f"{host['name']} is licensed ({evidence['license_name']})", evidence)
