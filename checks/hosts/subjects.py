"""Running one judgement over the site's Linux master targets as SSH saw them, with the cases every such check shares:
no master target, a Windows one, one that could not be reached or trusted, one whose host key was not verified."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import CheckMeta, Result, Status
from failback.checks.site import MasterTarget

Verdict = tuple[Status, str, dict[str, Any]]
# Judges get what SSH found on the host and the site file's entry for it.
Judge = Callable[[dict[str, Any], MasterTarget], Verdict]
# For a master target SSH could not read (a Windows one, one not reached): a verdict from another source, or None.
Fallback = Callable[[MasterTarget], Verdict | None]

SSH_REMEDIATION = "ssh-access"
HOST_KEY_REMEDIATION = "trust-ssh-host-key"


def ssh_remediation(failure_kind: str) -> str:
    """An unknown or changed host key needs verifying and recording; any other failure needs the way in fixed."""
    return HOST_KEY_REMEDIATION if failure_kind.startswith("host_key") else SSH_REMEDIATION


def judge_linux_master_targets(meta: CheckMeta, facts: Facts, judge: Judge, unread: Fallback | None = None) -> Iterator[Result]:
    """`unread` judges a master target SSH did not read, when another source can; without a verdict from it, such a
    master target is skipped (Windows) or not verified (SSH failed)."""
    site = facts.site
    if not site.master_targets:
        yield Result(meta.id, f"site:{site.display_name}", Status.FAIL, "the site file lists no [[master_targets]]; classic failback needs one",
                     remediation_id=SSH_REMEDIATION)
        return
    described = facts.source("ssh")["master_targets"]
    for master_target in site.master_targets:
        target = f"mt:{master_target.name}"
        host = described.get(master_target.name) if master_target.os == "linux" else None
        connection = host["connection"] if host is not None else None
        if connection is None or not connection["ok"]:
            fallback = unread(master_target) if unread is not None else None
            if fallback is not None:
                status, message, evidence = fallback
                if connection is not None:  # say why SSH did not tell, the other SSH checks fail on it too
                    message, evidence = f"{message}; not read over SSH: {connection['reason']}", {**evidence, "ssh_failure": connection["kind"]}
                yield Result(meta.id, target, status, message, evidence)
                continue
        if master_target.os != "linux":
            yield Result(meta.id, target, Status.SKIP, f"{master_target.name} is a Windows master target; this check reads Linux hosts over SSH")
            continue
        if host is None:
            yield Result(meta.id, target, Status.ERROR, f"not verified: {master_target.name} was not described over SSH", remediation_id=SSH_REMEDIATION)
            continue
        if not connection["ok"]:
            evidence = {key: value for key, value in connection.items() if key not in ("ok", "reason", "kind")}
            yield Result(meta.id, target, Status.ERROR, f"not verified: {connection['reason']}", {"failure": connection["kind"], **evidence},
                         remediation_id=ssh_remediation(connection["kind"]))
            continue
        status, message, evidence = judge(host, master_target)
        remediation_id = None
        host_key = connection["host_key"]
        if not host_key["verified"]:
            # An unverified host may not be the master target at all: a pass is only worth a warning.
            message += f" (host key {host_key['sha256']} NOT verified: insecure_host_keys = true)"
            evidence = {**evidence, "host_key_sha256": host_key["sha256"], "host_key_verified": False,
                        "known_hosts_entry": host["access"]["known_hosts_entry"]}
            if status is Status.PASS:
                status, remediation_id = Status.WARN, HOST_KEY_REMEDIATION
        yield Result(meta.id, target, status, message, evidence, remediation_id=remediation_id)
