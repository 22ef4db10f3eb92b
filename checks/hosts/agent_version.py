"""mt.version: the master target's agent is no newer than the process server's and the configuration server's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from checks.facts import Facts
from checks.hosts.subjects import Verdict, judge_linux_master_targets
from checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from checks.registry import register
from checks.site import MasterTarget, Site

VERSION = CheckMeta(
    id="mt.version",
    title="The master target's agent version is not newer than the process server's and the configuration server's",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("ssh",),
    why="ASR requires the configuration server and process server to be upgraded before the master target; a newer master "
        "target is refused during reprotect.",
    remediation="align-master-target-version",
)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def known_versions(site: Site) -> dict[str, str]:
    """The versions the master target is compared with: from the site file until the ASR facts tell them."""
    known = {}
    if site.config_server and site.config_server.version:
        known["configuration server"] = site.config_server.version
    if site.process_server and site.process_server.version:
        known["process server"] = site.process_server.version
    return known


@register(VERSION)
def mt_version(facts: Facts) -> Iterator[Result]:
    others = known_versions(facts.site)

    def not_newer(host: dict[str, Any], master_target: MasterTarget) -> Verdict:
        agent = host.get("agent")
        file = host["agent_version_file"]
        if agent is None:
            return Status.FAIL, f"{master_target.name} has no {file}: the master target agent is not installed", {"version_file": file}
        version = agent["version"]
        if not version:
            return Status.ERROR, f"{master_target.name}: {file} names no VERSION", {"version_file": file}
        evidence = {"version": version, "compared_with": [f"{role} {other}" for role, other in others.items()], "version_file": file}
        if not others:
            return (
                Status.WARN,
                f"{master_target.name} runs agent {version}; comparing it with the process server and configuration server needs "
                f"the ASR facts, or [config_server] version / [process_server] version in the site file",
                evidence,
            )
        newer_than = [f"the {role}'s {other}" for role, other in others.items() if version_key(version) > version_key(other)]
        if newer_than:
            evidence["newer_than"] = newer_than
            return Status.FAIL, f"{master_target.name} runs agent {version}, newer than {' and '.join(newer_than)}", evidence
        return Status.PASS, f"{master_target.name} runs agent {version}, not newer than the {', '.join(evidence['compared_with'])}", evidence

    return judge_linux_master_targets(VERSION, facts, not_newer)
