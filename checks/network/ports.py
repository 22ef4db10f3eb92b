"""network.ports: this machine reaches the control and data ports of the failback, and the TLS ones hand over a valid certificate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

PORTS = CheckMeta(
    id="network.ports",
    title="This machine reaches the configuration server/appliance on 443 (TLS) and the process server and master targets on their data port",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("tcp",),
    why="Reprotect talks to the configuration server on 443 and moves data over 9443; a closed or filtered port makes it fail "
        "hours in (error 78186, 95226), and an expired certificate on 443 breaks the agents' registration.",
    remediation="open-failback-ports",
)


def _certificate_verdict(certificate: dict[str, Any], collected_at: dt.datetime, warn_days: int) -> tuple[Status, str, dict[str, Any]]:
    not_after = dt.datetime.fromisoformat(certificate["not_after"])
    not_before = dt.datetime.fromisoformat(certificate["not_before"])
    days_left = (not_after - collected_at).total_seconds() / 86400
    evidence = {**certificate, "days_left": round(days_left, 1), "warn_days": warn_days}
    if not_before > collected_at:
        return Status.FAIL, f"its certificate is not valid before {certificate['not_before']} (check the clocks)", evidence
    if days_left < 0:
        return Status.FAIL, f"its certificate expired on {certificate['not_after']}", evidence
    if days_left < warn_days:
        return Status.WARN, f"its certificate expires in {days_left:.0f} days ({certificate['not_after']})", evidence
    return Status.PASS, f"certificate valid until {certificate['not_after']}", evidence


@register(PORTS)
def network_ports(facts: Facts) -> Iterator[Result]:
    tcp = facts.source("tcp")
    if not tcp["endpoints"]:
        yield Result(PORTS.id, f"site:{facts.site.display_name}", Status.WARN,
                     "the site file names no endpoint to probe: set [config_server], [process_server] or [[master_targets]] host",
                     {"role": "the configuration server and the data ports", "outcome": "not probed", "reason": "none in the site file"})
        return
    collected_at = dt.datetime.fromisoformat(facts.collected_at)
    for endpoint in tcp["endpoints"]:
        target = f"endpoint:{endpoint['host']}:{endpoint['port']}"
        role = endpoint["role"]
        evidence = {"role": role, "outcome": endpoint["outcome"], "elapsed_ms": endpoint["elapsed_ms"], "timeout_seconds": tcp["timeout_seconds"]}
        if endpoint["outcome"] != "open":
            yield Result(PORTS.id, target, Status.FAIL, f"{role}: {endpoint['reason']}", {**evidence, "reason": endpoint["reason"]})
            continue
        certificate = endpoint.get("certificate")
        if certificate is None:
            yield Result(PORTS.id, target, Status.PASS, f"{role}: {endpoint['reason']}", evidence)
            continue
        status, verdict, certificate_evidence = _certificate_verdict(certificate, collected_at, facts.site.policy.certificate_warn_days)
        yield Result(
            PORTS.id,
            target,
            status,
            f"{role}: {endpoint['reason']}; {verdict}",
            {**evidence, **certificate_evidence},
            remediation_id=None if status is Status.PASS else "renew-certificate",
        )
