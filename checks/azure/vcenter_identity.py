"""vcenter.identity: the vCenter ASR discovers the VMs through is the vCenter the site names.

A vCenter rebuilt or replaced since ASR discovered it has a new instance UUID (ServiceContent.about.instanceUuid): ASR
looks for the VMs in a vCenter that is gone, and reprotect cannot find them.

What ASR records, and what is compared with the site's [vcenter] host and the vCenter's instance UUID:
- classic: the vault's vCenters (replicationvCenters, VCenterProperties): `ipAddress` (the address or FQDN the vCenter
  was added with), `friendlyName` (the operator's choice), `internalId`, `infrastructureId`. An item's
  `vCenterInfrastructureId` (InMageAzureV2, InMage) that equals a vCenter's `infrastructureId` or `internalId` says which
  of them discovers the failback's VMs; then that one must match, else any one of the vault's may.
- modernized: each item's discovered VM details (InMageRcm, InMageRcmFailback `discoveredVmDetails.vCenterFqdn` and
  `.vCenterId`) and InMageRcmFailback's `targetvCenterId`; every item's must match.

The meaning of ASR's vCenter id fields is undocumented: the specification says only "VCenter internal ID", "The
infrastructure Id of vCenter", "The VCenter Id", "The target vCenter Id". Where one holds a UUID it is taken for the
vCenter's instance UUID: another UUID fails. Ids that are not UUIDs, and friendlyName, count as names: they can confirm
the vCenter, never contradict it. A recorded address or FQDN is compared with the site's host (same_host); a mismatch
needs both to be names or both IP addresses, since an address and a name cannot be compared without DNS.
Fail on a UUID or an address mismatch; warn where ASR records nothing comparable; pass saying what matched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from failback.checks.azure.view import AzureView, not_verified, same_host
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import is_ip_address, normalise_host
from failback.checks.vcenter.inventory import Inventory

VCENTER_IDENTITY = CheckMeta(
    id="vcenter.identity",
    title="The vCenter ASR discovers the VMs through is the vCenter the site names",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter", "azure"),
    why="ASR finds the on-premises VMs through the vCenter it discovered; a vCenter rebuilt or replaced since has a new "
        "instance UUID, and reprotect cannot find the VMs to fail back onto.",
    remediation="rediscover-vcenter",
)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass
class Recorded:
    """What ASR records of one vCenter, and where: the vault's vCenter list, or an item's details."""

    where: str
    addresses: list[str]  # ipAddress, vCenterFqdn: what ASR reaches the vCenter by
    names: list[str]  # friendlyName, ids that are not UUIDs
    uuids: list[str]
    problems: list[str] = field(default_factory=list)
    matched_by: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, where: str, addresses: list[str | None], names: list[str | None], ids: list[str | None]) -> Recorded:
        found = [value for value in ids if value]
        return cls(where, [a for a in addresses if a], [n for n in names if n] + [i for i in found if not _is_uuid(i)],
                   [i for i in found if _is_uuid(i)])

    @property
    def anything(self) -> bool:
        return bool(self.addresses or self.names or self.uuids)

    def compare(self, host: str, instance_uuid: str | None) -> None:
        if instance_uuid and self.uuids:
            if instance_uuid.lower() in {value.lower() for value in self.uuids}:
                self.matched_by.append(f"instance UUID {instance_uuid}")
            else:
                self.problems.append(f"{self.where} records vCenter id {', '.join(self.uuids)}, but {host}'s instance UUID is "
                                     f"{instance_uuid}: a vCenter rebuilt or replaced since ASR discovered it")
        by_ip = is_ip_address(normalise_host(host))
        comparable = [address for address in self.addresses if is_ip_address(normalise_host(address)) == by_ip]
        if comparable and not same_host(host, *comparable):
            self.problems.append(f"{self.where} reaches the vCenter at {', '.join(comparable)}, not at {host}")
        elif same_host(host, *self.addresses, *self.names):
            self.matched_by.append("name" if not same_host(host, *self.addresses) else "address")

    def describe(self) -> str:
        told = [f"address {', '.join(self.addresses)}"] if self.addresses else []
        told += [f"name {', '.join(self.names)}"] if self.names else []
        told += [f"id {', '.join(self.uuids)}"] if self.uuids else []
        return f"{self.where}: {'; '.join(told) or 'nothing'}"


def _classic(view: AzureView) -> tuple[list[Recorded], bool]:
    """The vault's vCenters, narrowed to those the items name; whether each of them must match (else any one)."""
    records = [(vcenter, Recorded.of(f"the vault's vCenter {vcenter['friendly_name'] or vcenter['name']}", [vcenter["ip_address"]],
                                     [vcenter["friendly_name"]], [vcenter["internal_id"], vcenter["infrastructure_id"]]))
               for vcenter in view.vcenters]
    named = {((item.get("vcenter") or {}).get("id") or "").lower() for item in view.items} - {""}
    linked = [record for vcenter, record in records
              if {(vcenter["infrastructure_id"] or "").lower(), (vcenter["internal_id"] or "").lower()} & named]
    return (linked, True) if linked else ([record for _, record in records], False)


def _modernized(view: AzureView) -> list[Recorded]:
    found = []
    for item in view.items:
        vcenter = item.get("vcenter") or {}
        recorded = Recorded.of(f"ASR's discovery of {item['friendly_name']}", [vcenter.get("fqdn")], [],
                               [vcenter.get("id"), vcenter.get("target_id")])
        if recorded.anything:
            found.append(recorded)
    return found


@register(VCENTER_IDENTITY)
def vcenter_identity(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    view = AzureView.of(facts)
    target = inventory.vcenter_target
    host = view.site.vcenter.host
    instance_uuid = inventory.facts["about"].get("instance_uuid")
    if view.site.experience is Experience.CLASSIC:
        if view.facts.get("vcenters_error") and not view.vcenters:
            yield not_verified(VCENTER_IDENTITY.id, target, view.facts["vcenters_error"])
            return
        records, each_must_match = _classic(view)
    else:
        records, each_must_match = _modernized(view), True
    for record in records:
        record.compare(host, instance_uuid)
    mismatched = [record for record in records if record.problems]
    matched = [record for record in records if record.matched_by and not record.problems]
    evidence = {"site_host": host, "instance_uuid": instance_uuid, "asr_records": [record.describe() for record in records],
                "mismatches": [problem for record in mismatched for problem in record.problems]}
    if mismatched and (each_must_match or not matched):
        yield Result(VCENTER_IDENTITY.id, target, Status.FAIL, "; ".join(evidence["mismatches"]), evidence)
    elif matched:
        how = sorted({way for record in matched for way in record.matched_by})
        by_uuid = any(way.startswith("instance UUID") for way in how)
        note = "" if by_uuid else (f"; ASR records no UUID to compare with {host}'s instance UUID "
                                   f"({instance_uuid or 'unknown'}), so a rebuilt vCenter of the same name would pass")
        where = "; ".join(record.where for record in matched)
        yield Result(VCENTER_IDENTITY.id, target, Status.PASS, f"ASR discovers the VMs through {host}, by its {' and '.join(how)} ({where}){note}",
                     evidence)
    else:
        what = "no vCenter" if not records else "nothing comparable (" + "; ".join(record.describe() for record in records) + ")"
        yield Result(VCENTER_IDENTITY.id, target, Status.WARN,
                     f"ASR records {what} to compare with vCenter {host} (instance UUID {instance_uuid or 'unknown'}): its identity is not "
                     "verified", evidence)

