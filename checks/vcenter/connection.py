"""vcenter.connect and vcenter.version: can we talk to vCenter, and does it run a version ASR supports."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import Inventory

CONNECT = CheckMeta(
    id="vcenter.connect",
    title="vCenter API is reachable, the login works and its TLS certificate is trusted",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="Every vCenter fact, and ASR's own discovery, goes through this API; an untrusted certificate may be an attacker in the middle.",
    remediation="vcenter-connect",
    judges_source_failure=True,
)


@register(CONNECT)
def vcenter_connect(facts: Facts) -> Iterator[Result]:
    target = f"vcenter:{facts.site.vcenter.host}"
    failure = facts.failures.get("vcenter")
    if failure is not None:
        # An untrusted or mismatching certificate is a finding about the site; anything else is "could not verify".
        status = Status.FAIL if failure.kind == "untrusted" else Status.ERROR
        yield Result(CONNECT.id, target, status, failure.reason, {"failure": failure.kind, **failure.evidence})
        return
    vc = facts.source("vcenter")
    about = vc["about"]
    yield Result(
        CONNECT.id,
        target,
        Status.PASS,
        f"connected to {about['full_name']} as {facts.site.vcenter.user}; certificate verified by {vc['certificate']['verified_by']}",
        {"version": about["version"], "build": about["build"], **vc["certificate"]},
    )


SUPPORTED_VERSIONS = {
    Experience.MODERNIZED: ("6.5", "6.7", "7.0", "8.0"),
    Experience.CLASSIC: ("5.5", "6.0", "6.5", "6.7", "7.0"),
}

VERSION = CheckMeta(
    id="vcenter.version",
    title="vCenter and ESXi run versions Site Recovery supports",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="ASR's agents and reprotect only work against the vSphere versions of its support matrix.",
    remediation="vcenter-upgrade",
)


def major_minor(version: str | None) -> str | None:
    parts = (version or "").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and all(p.isdigit() for p in parts[:2]) else None


def _version_result(target: str, what: str, version: str | None, build: str | None, supported: tuple[str, ...]) -> Result:
    evidence = {"version": version, "build": build, "supported": list(supported)}
    release = major_minor(version)
    if release is None:
        return Result(VERSION.id, target, Status.ERROR, f"{what} reports no usable version ({version!r})", evidence)
    if release in supported:
        return Result(VERSION.id, target, Status.PASS, f"{what} runs {version} (build {build})", evidence)
    return Result(VERSION.id, target, Status.FAIL, f"{what} runs {version}, which ASR does not support (supported: {', '.join(supported)})", evidence)


@register(VERSION)
def vcenter_version(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    supported = SUPPORTED_VERSIONS[facts.site.experience]
    about = inventory.facts["about"]
    yield _version_result(inventory.vcenter_target, inventory.endpoint_kind, about["version"], about["build"], supported)
    for moref in inventory.involved_hosts():
        host = inventory.host(moref)
        yield _version_result(f"host:{host['name']}", f"ESXi host {host['name']}", host["version"], host["build"], supported)
