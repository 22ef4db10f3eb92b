"""The ASR servers as the vault sees them: cs.health (configuration server or appliance), ps.health (classic process
server: heartbeat, error 806, cache space) and appliance.health (modernized: a healthy reprotect agent that sees the
datastore each VM comes back to)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from failback.checks.azure.health import add_health_errors, describe, remediation_for_errors
from failback.checks.azure.view import AzureView, same_host
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CLASSIC_ONLY, MODERNIZED_ONLY, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import Inventory

CS_HEALTH = CheckMeta(
    id="cs.health",
    title="The configuration server (classic) or replication appliance (modernized) is connected, with a recent heartbeat "
          "and a certificate that is not expiring",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="Every reprotect and failover is orchestrated through it; disconnected or with an expired certificate, the agents "
        "stop registering and jobs fail.",
    remediation="restore-config-server-health",
)
PS_HEALTH = CheckMeta(
    id="ps.health",
    title="The process server is registered, sends heartbeats (error 806) and has at least 30% of its cache free",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("azure",),
    why="Classic failback data flows through the process server in Azure: without heartbeats (806) or with a full cache, "
        "replication back stalls.",
    remediation="restore-process-server-health",
)
APPLIANCE_HEALTH = CheckMeta(
    id="appliance.health",
    title="A healthy reprotect agent of the appliance sees the datastore each VM comes back to",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=MODERNIZED_ONLY,
    sources=("azure",),
    optional_sources=("vcenter",),  # where each VM's disks are, when the site file does not name its datastore
    why="Modernized reprotect writes through the appliance's reprotect agent to a datastore it must see; an unhealthy "
        "agent, or one that does not see the datastore (error 8061), fails the reprotect.",
    remediation="restore-reprotect-agent",
)
MIN_CACHE_FREE_PERCENT = 30


def _health(findings: Findings, health: str | None, whose: str) -> None:
    level = (health or "").lower()
    if level == "critical":
        findings.fail(f"{whose} reports Critical health")
    elif level == "warning":
        findings.warn(f"{whose} reports Warning health")


def _server_result(check: CheckMeta, target: str, findings: Findings, clean: str, evidence: dict[str, Any],
                   errors: list[dict[str, Any]]) -> Result:
    evidence["asr_errors"] = [describe(error) for error in errors]
    remediation = remediation_for_errors(errors) if findings.status is not Status.PASS else None
    return Result(check.id, target, findings.status, findings.message(clean), evidence, remediation_id=remediation)


# -- cs.health ---------------------------------------------------------------------------------------------------------------
@register(CS_HEALTH)
def cs_health(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    classic = view.site.experience is Experience.CLASSIC
    servers = view.config_servers() if classic else view.servers("appliances")
    wanted = view.site.config_server
    if wanted is not None:
        matching = [server for server in servers if same_host(wanted.host, server.get("host_name"), server.get("fqdn"), server.get("name"))
                    or same_host(wanted.ip, server.get("ip_address"))]
        servers = matching or servers
    if not servers:
        role = "configuration server" if classic else "replication appliance"
        yield Result(CS_HEALTH.id, view.site_target, Status.FAIL, f"no {role} is registered in the vault {view.settings.vault}")
        return
    for server in servers:
        yield _classic_config_server(view, server) if classic else _appliance(view, server)


def _classic_config_server(view: AzureView, server: dict[str, Any]) -> Result:
    name = server["host_name"]
    findings = Findings()
    if server["service_status"] != "Running":
        findings.fail(f"its service is {server['service_status'] or 'not reporting'}")
    if problem := view.heartbeat_problem(server["last_heartbeat"], name):
        findings.fail(problem)
    days_left = _days_left(view, server["certificate_expiry"])
    if days_left is not None and days_left < 0:
        findings.fail(f"its certificate expired on {server['certificate_expiry']}")
    elif days_left is not None and days_left < view.site.policy.certificate_warn_days:
        findings.warn(f"its certificate expires in {days_left:.0f} days ({server['certificate_expiry']})")
    add_health_errors(findings, server["fabric_health_errors"], name)
    evidence = {"version": server["version"], "ip_address": server["ip_address"], "last_heartbeat": server["last_heartbeat"],
                "service_status": server["service_status"], "certificate_expiry": server["certificate_expiry"],
                "days_left": None if days_left is None else round(days_left, 1)}
    clean = f"{name} runs (agent {server['version']}), last heartbeat {view.ago(server['last_heartbeat'])}"
    if days_left is not None:
        clean += f", certificate valid for {days_left:.0f} more days"
    return _server_result(CS_HEALTH, f"cs:{name}", findings, clean, evidence, server["fabric_health_errors"])


def _days_left(view: AzureView, expiry: str | None) -> float | None:
    if not expiry:
        return None
    return (dt.datetime.fromisoformat(expiry) - view.collected_at).total_seconds() / 86400


def _appliance(view: AzureView, appliance: dict[str, Any]) -> Result:
    name = appliance["name"]
    findings = Findings()
    _health(findings, appliance["health"], name)
    if problem := view.heartbeat_problem(appliance["last_heartbeat"], name):
        findings.fail(problem)
    add_health_errors(findings, appliance["health_errors"], name)
    evidence = {"fqdn": appliance["fqdn"], "version": appliance["version"], "health": appliance["health"],
                "last_heartbeat": appliance["last_heartbeat"]}
    clean = f"appliance {name} is {appliance['health']} (version {appliance['version']}), last heartbeat {view.ago(appliance['last_heartbeat'])}"
    return _server_result(CS_HEALTH, f"appliance:{name}", findings, clean, evidence, appliance["health_errors"])


# -- ps.health ---------------------------------------------------------------------------------------------------------------
@register(PS_HEALTH)
def ps_health(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    servers = view.servers("process_servers")
    wanted = view.site.process_server
    if wanted is not None:
        servers = [server for server in servers if same_host(wanted.host, server["name"], *server["ip_addresses"])]
        if not servers:
            yield Result(PS_HEALTH.id, f"ps:{wanted.host}", Status.FAIL,
                         f"no process server at {wanted.host} is registered with the configuration server", {"host": wanted.host})
            return
    if not servers:
        yield Result(PS_HEALTH.id, view.site_target, Status.FAIL, f"the vault {view.settings.vault} has no process server registered")
        return
    for server in servers:
        yield _process_server(view, server)


def _process_server(view: AzureView, server: dict[str, Any]) -> Result:
    name = server["name"]
    findings = Findings()
    silent = view.heartbeat_problem(server["last_heartbeat"], name)
    if silent:
        findings.fail(f"{silent} (ASR error 806)")
    if server["service_status"] not in (None, "Running"):
        findings.fail(f"its service is {server['service_status']}")
    _health(findings, server["health"], name)
    total, available = server["total_space_bytes"], server["available_space_bytes"]
    free_percent = round(100 * available / total, 1) if total and available is not None else None
    if free_percent is None:
        findings.warn(f"{name} reports no cache space")
    elif free_percent < MIN_CACHE_FREE_PERCENT:
        findings.fail(f"its cache has {free_percent}% free ({available / 1024**3:.0f} of {total / 1024**3:.0f} GiB); at least "
                      f"{MIN_CACHE_FREE_PERCENT}% is needed")
    add_health_errors(findings, server["health_errors"], name)
    evidence = {"ip_addresses": server["ip_addresses"], "version": server["version"], "last_heartbeat": server["last_heartbeat"],
                "cache_free_percent": free_percent, "min_free_percent": MIN_CACHE_FREE_PERCENT}
    errors = list(server["health_errors"])
    if silent:
        errors.insert(0, {"code": "806", "message": "no heartbeat from the process server"})
    clean = f"{name}: last heartbeat {view.ago(server['last_heartbeat'])}, cache {free_percent}% free"
    return _server_result(PS_HEALTH, f"ps:{name}", findings, clean, evidence, errors)


# -- appliance.health --------------------------------------------------------------------------------------------------------
@register(APPLIANCE_HEALTH)
def appliance_health(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    agents = view.servers("reprotect_agents")
    if not agents:
        yield Result(APPLIANCE_HEALTH.id, view.site_target, Status.FAIL,
                     f"the vault {view.settings.vault} has no reprotect agent: no appliance can write failback data on-premises")
        return
    healthy = []
    for agent in agents:
        result = _reprotect_agent(view, agent)
        if result.status is Status.PASS:
            healthy.append(agent)
        yield result
    datastores = _target_datastores(view, facts)
    if not datastores:
        yield Result(APPLIANCE_HEALTH.id, view.site_target, Status.WARN,
                     "no target datastore is known: set datastore for each [[vms]] entry to verify a reprotect agent sees it")
    for datastore, vms in sorted(datastores.items()):
        yield _datastore(datastore, vms, agents, healthy)


def _reprotect_agent(view: AzureView, agent: dict[str, Any]) -> Result:
    name = agent["name"]
    findings = Findings()
    _health(findings, agent["health"], f"reprotect agent {name}")
    if problem := view.heartbeat_problem(agent["last_heartbeat"], f"reprotect agent {name}"):
        findings.fail(problem)
    add_health_errors(findings, agent["health_errors"], name)
    evidence = {"fqdn": agent["fqdn"], "version": agent["version"], "health": agent["health"], "last_heartbeat": agent["last_heartbeat"],
                "accessible_datastores": agent.get("accessible_datastores", [])}
    clean = f"reprotect agent {name} is {agent['health']} and sees {', '.join(evidence['accessible_datastores']) or 'no datastore'}"
    return _server_result(APPLIANCE_HEALTH, f"appliance:{name}", findings, clean, evidence, agent["health_errors"])


def process_server_problem(facts: Facts, server: dict[str, Any]) -> str | None:
    """ps.health's verdict on one process server when it fails (no heartbeat, full cache, Critical), for `failback run`
    choosing the process server a reprotect names; None when it may serve."""
    result = _process_server(AzureView.of(facts), server)
    return result.message if result.status in (Status.FAIL, Status.ERROR) else None


def reprotect_agent_healthy(facts: Facts, agent: dict[str, Any]) -> bool:
    """appliance.health's verdict on one reprotect agent, for `failback run` choosing the agent a reprotect names."""
    return _reprotect_agent(AzureView.of(facts), agent).status is Status.PASS


def _target_datastores(view: AzureView, facts: Facts) -> dict[str, list[str]]:
    """Datastore -> VMs coming back to it: from the site file, else where vCenter shows their disks, else from ASR
    (known once an item replicates back)."""
    inventory = Inventory.of(facts) if "vcenter" in facts.sources else None
    wanted: dict[str, list[str]] = {}
    for vm in view.site.vms:
        stores = inventory.target_datastores(vm) if inventory is not None else [vm.datastore] if vm.datastore else []
        for store in stores:
            wanted.setdefault(store, []).append(vm.name)
    named = {name for names in wanted.values() for name in names}
    for item in view.items:
        if item.get("target_datastore") and item["friendly_name"] not in named:
            wanted.setdefault(item["target_datastore"], []).append(item["friendly_name"])
    return wanted


def _datastore(datastore: str, vms: list[str], agents: list[dict[str, Any]], healthy: list[dict[str, Any]]) -> Result:
    def sees(agent: dict[str, Any]) -> bool:
        return datastore.lower() in {name.lower() for name in agent.get("accessible_datastores", [])}

    seeing = [agent["name"] for agent in healthy if sees(agent)]
    unhealthy_seeing = [agent["name"] for agent in agents if sees(agent) and agent not in healthy]
    evidence = {"vms": vms, "healthy_agents_seeing_it": seeing, "unhealthy_agents_seeing_it": unhealthy_seeing}
    target = f"datastore:{datastore}"
    if seeing:
        return Result(APPLIANCE_HEALTH.id, target, Status.PASS, f"{datastore} (for {', '.join(vms)}) is seen by healthy reprotect agent "
                                                                f"{', '.join(seeing)}", evidence)
    why = (f"only unhealthy reprotect agent {', '.join(unhealthy_seeing)} sees it" if unhealthy_seeing
           else "no reprotect agent sees it (ASR error 8061 at reprotect)")
    return Result(APPLIANCE_HEALTH.id, target, Status.FAIL, f"{datastore} (for {', '.join(vms)}): {why}", evidence)
