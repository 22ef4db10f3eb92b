"""dns.resolution: every host of the failback resolves, forward and reverse agree, the on-prem and Azure-side DNS servers
give the same answer, and the configuration server still resolves to the address it was registered with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.view import AzureView, same_host
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import Site, normalise_host

RESOLUTION = CheckMeta(
    id="dns.resolution",
    title="vCenter, the configuration server/appliance, the master targets and the ESXi hosts resolve alike on-prem and in Azure, forward and reverse",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("dns",),
    why="The failed-over VMs in Azure and the on-prem components must find each other by the same names: a name that resolves "
        "differently on each side, or not at all, sends replication to the wrong place or nowhere.",
    remediation="fix-dns-records",
)

_FAILED_ANSWER = {"nxdomain": Status.FAIL, "no_answer": Status.FAIL, "timeout": Status.ERROR, "error": Status.ERROR}


def current_addresses(dns_facts: dict[str, Any], name: str) -> tuple[list[str], list[str]]:
    """The addresses the on-prem servers give for a name, and why any server could not tell."""
    entry = dns_facts["names"].get(normalise_host(name))
    if entry is None:
        return [], [f"{name} was not looked up"]
    answers = entry["answers"].get("onprem", {}).values()
    addresses = sorted({address for answer in answers for address in answer["addresses"]})
    return addresses, [answer["reason"] for answer in answers if answer["status"] != "ok"]


def registered_address(facts: Facts) -> tuple[str | None, str]:
    """The address the configuration server was registered with, and who says so: ASR's own record (the VMware fabric's
    IP) when the Azure facts tell it, else the site file's [config_server] ip."""
    site = facts.site
    view = AzureView.of_vault(facts)
    if view is not None and site.config_server is not None:
        known = [server for server in view.config_servers() if server.get("ip_address")]
        matching = [server for server in known if same_host(site.config_server.host, server.get("host_name"))] or known
        if len(matching) == 1:
            return matching[0]["ip_address"], "ASR"
    return (site.config_server.ip if site.config_server else None), "[config_server] ip"


def registered_address_problem(registered: tuple[str | None, str], addresses: list[str]) -> str | None:
    """Why the configuration server no longer has the address it was registered with (a restore must keep it), if it does not."""
    address, told_by = registered
    if address is None or not addresses or address in addresses:
        return None
    return f"resolves to {', '.join(addresses)}, but the configuration server was registered with {address} ({told_by})"


def _forward_agrees(name: str, ptr_names: list[str]) -> bool:
    """A short name agrees with a PTR record of the same first label (cs01 and cs01.example.local)."""
    return name in ptr_names or ("." not in name and any(ptr.split(".")[0] == name for ptr in ptr_names))


def _judge_name(site: Site, name: str, entry: dict[str, Any], registered: tuple[str | None, str]) -> tuple[Status, str, dict[str, Any]]:
    findings = Findings()
    by_server: dict[str, list[str]] = {}
    for view, answers in entry["answers"].items():
        for server, answer in answers.items():
            if answer["status"] == "ok":
                by_server[f"{view} {server}"] = answer["addresses"]
            else:
                findings.add(_FAILED_ANSWER[answer["status"]], f"{view} {answer['reason']}")
    distinct = {tuple(addresses) for addresses in by_server.values()}
    if len(distinct) > 1:
        findings.fail("the DNS servers disagree: " + "; ".join(f"{server} says {', '.join(a)}" for server, a in by_server.items()))

    for address, answer in sorted(entry.get("reverse", {}).items()):
        if answer["status"] == "ok" and not _forward_agrees(name, answer["names"]):
            findings.fail(f"forward and reverse disagree: {address} points back to {', '.join(answer['names'])}")
        elif answer["status"] in ("nxdomain", "no_answer"):
            findings.warn(f"{address} has no PTR record")
        elif answer["status"] != "ok":
            findings.error(answer["reason"])

    addresses = sorted({address for found in by_server.values() for address in found})
    if site.config_server is not None and normalise_host(site.config_server.host) == name:
        if problem := registered_address_problem(registered, addresses):
            findings.fail(problem)
    kinds = sorted({answer["status"] for answers in entry["answers"].values() for answer in answers.values()} - {"ok"})
    evidence = {
        "roles": entry["roles"],
        "addresses": addresses,
        "answers": by_server,
        "reverse": {address: answer["names"] for address, answer in entry.get("reverse", {}).items()},
        "failures": kinds,
        "problems": findings.texts(),
    }
    servers = len(by_server)
    clean = f"resolves to {', '.join(addresses)} on {servers} DNS server{'s' if servers != 1 else ''}; reverse records agree"
    return findings.status, findings.message(clean), evidence


@register(RESOLUTION)
def dns_resolution(facts: Facts) -> Iterator[Result]:
    dns_facts = facts.source("dns")
    names = dns_facts["names"]
    registered = registered_address(facts)
    if not names:
        yield Result(RESOLUTION.id, f"site:{facts.site.display_name}", Status.SKIP, "the site file names no host to resolve")
        return
    for name, entry in sorted(names.items()):
        target = f"dns:{name}"
        roles = ", ".join(entry["roles"])
        if entry["literal"]:
            yield Result(RESOLUTION.id, target, Status.SKIP, f"{name} ({roles}) is an IP address: nothing to resolve", {"roles": entry["roles"]})
            continue
        status, message, evidence = _judge_name(facts.site, name, entry, registered)
        yield Result(RESOLUTION.id, target, status, f"{name} ({roles}): {message}", evidence)
