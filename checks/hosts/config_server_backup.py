"""cs.backup: a recent, non-empty configuration-server backup exists, and the configuration server still has the address
it was registered with (a restored configuration server must come back on the same IP)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.hosts.subjects import ssh_remediation
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.network.resolution import current_addresses, registered_address, registered_address_problem
from failback.checks.registry import register
from failback.checks.site import Site, is_ip_address

BACKUP = CheckMeta(
    id="cs.backup",
    title="The newest configuration-server backup is younger than the policy allows and not empty; the configuration server keeps its registered IP",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("backup", "dns"),
    optional_sources=("azure",),  # ASR's record of the address the configuration server was registered with
    why="The configuration server holds the database of every protected VM: if it is lost mid-failback, only a recent backup "
        "restored on the same IP address brings the failback back.",
    remediation="backup-config-server",
)


def _age_hours(modified_at: str, collected_at: str) -> float:
    return (dt.datetime.fromisoformat(collected_at) - dt.datetime.fromisoformat(modified_at)).total_seconds() / 3600


def _judge_backup(site: Site, backup: dict[str, Any], collected_at: str, findings: Findings, evidence: dict[str, Any]) -> None:
    if not backup["configured"]:
        findings.error("not verified: [config_server] backup_path is not set")
        return
    where = backup["path"]
    evidence.update(backup_path=where, via=backup["via"])
    if "error" in backup:
        error = backup["error"]
        evidence.update({key: value for key, value in error.items() if key not in ("ok", "reason", "kind")}, failure=error["kind"])
        findings.error(f"the backups could not be listed: {error['reason']}")
        return
    newest = backup["newest"]
    evidence.update(file_count=backup["file_count"], total_bytes=backup["total_bytes"])
    if newest is None:
        findings.fail(f"there is no backup under {where}")
        return
    age = _age_hours(newest["modified_at"], collected_at)
    allowed = site.policy.backup_max_age_hours
    evidence.update(newest=newest["path"], newest_at=newest["modified_at"], newest_bytes=newest["size_bytes"],
                    age_hours=round(age, 1), max_age_hours=allowed)
    if age > allowed:
        findings.fail(f"the newest backup, {newest['path']}, is {age:.1f} h old (the policy allows {allowed:g} h)")
    if newest["size_bytes"] == 0:
        findings.fail(f"the newest backup, {newest['path']}, is empty")


def _judge_address(facts: Facts, findings: Findings, evidence: dict[str, Any]) -> None:
    """The configuration server's address now against the one ASR registered it with (the site file's when ASR is not
    read): a configuration server restored on another address breaks every agent's registration."""
    config_server = facts.site.config_server
    registered = registered_address(facts)
    evidence["registered_ip"], evidence["registered_told_by"] = registered
    if config_server.ip and registered[1] == "ASR" and config_server.ip != registered[0]:
        evidence["site_file_ip"] = config_server.ip
    if is_ip_address(config_server.host):
        addresses, unresolved = [config_server.host], []
    else:
        addresses, unresolved = current_addresses(facts.source("dns"), config_server.host)
    evidence["current_ips"] = addresses
    if registered[0] is None:
        findings.warn("the registered IP is unknown: ASR does not tell it here; set [config_server] ip to the address it was "
                      "registered with")
    elif not addresses:
        findings.error(f"the current IP of {config_server.host} could not be resolved: {'; '.join(unresolved)}")
    elif problem := registered_address_problem(registered, addresses):
        findings.fail(f"{config_server.host} {problem}")


@register(BACKUP)
def cs_backup(facts: Facts) -> Iterator[Result]:
    site = facts.site
    if site.config_server is None:
        yield Result(BACKUP.id, f"site:{site.display_name}", Status.ERROR, "not verified: the site file has no [config_server]")
        return
    findings = Findings()
    evidence: dict[str, Any] = {"backup_path": site.config_server.backup_path, "max_age_hours": site.policy.backup_max_age_hours}
    _judge_backup(site, facts.source("backup"), facts.collected_at, findings, evidence)
    _judge_address(facts, findings, evidence)
    evidence["problems"] = findings.texts()
    # Listing over SFTP refused for the host key: verifying that key is the next step, not taking a backup.
    failure = evidence.get("failure", "")
    remediation_id = ssh_remediation(failure) if failure.startswith("host_key") else None
    clean = (
        f"the newest backup, {evidence.get('newest')}, is {evidence.get('age_hours')} h old ({evidence.get('newest_bytes')} bytes); "
        f"{site.config_server.host} is still {evidence['registered_ip']}, the address {evidence['registered_told_by']} registered it with"
    )
    yield Result(BACKUP.id, f"cs:{site.config_server.host}", findings.status, findings.message(clean), evidence, remediation_id=remediation_id)
