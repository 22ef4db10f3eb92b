"""mt.version: the master target's agent is no newer than the process server's and the configuration server's.

The master target's version is read over SSH (its agent's version file); a master target SSH does not read (Windows, or
not reached) is judged on the version it registered with the configuration server, when the ASR facts are there. The
servers' versions come from ASR, else from the site file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from failback.checks.azure.master_target import asr_agent_versions, asr_master_target
from failback.checks.facts import Facts
from failback.checks.hosts.subjects import Verdict, judge_linux_master_targets
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import MasterTarget, Site

VERSION = CheckMeta(
    id="mt.version",
    title="The master target's agent version is not newer than the process server's and the configuration server's",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("ssh",),
    optional_sources=("azure",),
    why="ASR requires the configuration server and process server to be upgraded before the master target; a newer master "
        "target is refused during reprotect.",
    remediation="align-master-target-version",
)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def known_versions(site: Site) -> dict[str, str]:
    """The servers' versions the site file states, for when the ASR facts do not tell them."""
    known = {}
    if site.config_server and site.config_server.version:
        known["configuration server"] = site.config_server.version
    if site.process_server and site.process_server.version:
        known["process server"] = site.process_server.version
    return known


@register(VERSION)
def mt_version(facts: Facts) -> Iterator[Result]:
    # What ASR reports wins over what the site file states: it is what reprotect is checked against.
    others = {**known_versions(facts.site), **asr_agent_versions(facts)}

    def from_version_file(host: dict[str, Any], master_target: MasterTarget) -> Verdict:
        agent = host.get("agent")
        file = host["agent_version_file"]
        if agent is None:
            return Status.FAIL, f"{master_target.name} has no {file}: the master target agent is not installed", {"version_file": file}
        if not agent["version"]:
            return Status.ERROR, f"{master_target.name}: {file} names no VERSION", {"version_file": file}
        return compare_versions(master_target.name, agent["version"], others, {"version_file": file})

    def as_registered(master_target: MasterTarget) -> Verdict | None:
        registered = asr_master_target(facts, master_target)
        if registered is None or not registered["version"]:
            return None
        status, message, evidence = compare_versions(master_target.name, registered["version"], others, {"version_source": "asr"})
        return status, f"{message} (as registered with the configuration server)", evidence

    return judge_linux_master_targets(VERSION, facts, from_version_file, unread=as_registered)


def compare_versions(name: str, version: str, others: dict[str, str], evidence: dict[str, Any]) -> Verdict:
    """The master target's agent `version` against the servers' (role -> version)."""
    evidence = {"version": version, "compared_with": [f"{role} {other}" for role, other in others.items()], **evidence}
    if not others:
        return (
            Status.WARN,
            f"{name} runs agent {version}; comparing it with the process server and configuration server needs "
            f"the ASR facts, or [config_server] version / [process_server] version in the site file",
            evidence,
        )
    newer_than = [f"the {role}'s {other}" for role, other in others.items() if version_key(version) > version_key(other)]
    if newer_than:
        evidence["newer_than"] = newer_than
        return Status.FAIL, f"{name} runs agent {version}, newer than {' and '.join(newer_than)}", evidence
    return Status.PASS, f"{name} runs agent {version}, not newer than the {', '.join(evidence['compared_with'])}", evidence
