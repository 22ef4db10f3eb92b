"""What classic failback replicates through, and what every failback names, as the vault holds them:

- ps.azure_vm: the process server in Azure is an Azure VM in the failed-over VMs' virtual network, sized as Microsoft
  sizes it (at least 8 cores) and not saturated (CPU and memory under 70%, as ASR reports them);
- mt.replication_group: the VMs of one replication group (multi-VM consistency) fail back through one master target;
- asr.failback_policy: the failback policy exists in the vault and is associated with the items' protection
  container (the configuration server's, or the appliance's site).

The master target and the policy are chosen by checks/azure/choices.py, the rules `failback run` names them with.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.choices import POLICY_PROVIDER, Choices, NoChoice
from failback.checks.azure.stages import FORWARD_PROVIDERS
from failback.checks.azure.view import AzureView, not_verified
from failback.checks.facts import Facts
from failback.checks.findings import Findings
from failback.checks.model import BOTH, CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

AZURE_PROCESS_SERVER = CheckMeta(
    id="ps.azure_vm",
    title="The process server in Azure sits in the failed-over VMs' virtual network, with at least 8 cores and CPU and memory "
          "under 70%",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("azure",),
    why="Classic failback data flows from the Azure VMs through the process server in Azure: outside their network it does "
        "not see them; undersized or saturated, replication back falls behind and reprotect stalls.",
    remediation="size-azure-process-server",
)
REPLICATION_GROUP = CheckMeta(
    id="mt.replication_group",
    title="The VMs of one replication group fail back through one master target",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("azure",),  # with vCenter's facts when the run read them: the VMs' OS family picks their master target
    why="A multi-VM replication group keeps crash-consistent points across its VMs: ASR fails them back together, through "
        "one master target; VMs of the group split across master targets fail reprotect.",
    remediation="one-master-target-per-group",
)
FAILBACK_POLICY = CheckMeta(
    id="asr.failback_policy",
    title="The failback policy exists in the vault and is associated with the protection container of every item",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("azure",),
    why="Reprotect toward on-premises names the failback policy associated with the configuration server (classic) or the "
        "appliance's site (modernized); without it ASR refuses the reprotect.",
    remediation="associate-failback-policy",
)
MIN_CORES = 8
MAX_LOAD_PERCENT = 70


def _virtual_network(subnet_id: str | None) -> str | None:
    return subnet_id.lower().split("/subnets/")[0] if subnet_id else None


def _nic_networks(view: AzureView, vm: dict[str, Any]) -> set[str]:
    return {network for nic_id in vm.get("nic_ids", []) if (nic := view.nic(nic_id))
            for config in nic["ip_configurations"] if (network := _virtual_network(config["subnet_id"]))}


# -- ps.azure_vm ------------------------------------------------------------------------------------------------------------
@register(AZURE_PROCESS_SERVER)
def ps_azure_vm(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    wanted = view.site.process_server
    if wanted is None:
        yield Result(AZURE_PROCESS_SERVER.id, view.site_target, Status.FAIL,
                     "the site file names no [process_server]: classic failback needs the process server in Azure",
                     remediation_id="set-azure-process-server")
        return
    target = f"ps:{wanted.host}"
    registered = view.servers("process_servers")  # its VM is looked for from the vault's fabrics
    found = view.facts.get("process_server_vm") or {}
    if "error" in found:
        yield not_verified(AZURE_PROCESS_SERVER.id, target, found["error"])
        return
    addresses = found.get("addresses") or [wanted.host]
    if not found.get("vm_id"):
        yield Result(AZURE_PROCESS_SERVER.id, target, Status.FAIL,
                     f"no Azure VM of the subscription holds {', '.join(addresses)}: the process server failback replicates "
                     "through is not in Azure", {"addresses": addresses}, remediation_id="set-azure-process-server")
        return
    vm = view.vm(found["vm_id"])
    if vm is None or "error" in vm:
        yield not_verified(AZURE_PROCESS_SERVER.id, target, (vm or {}).get("error") or {"kind": "error", "reason": "its VM was not read"})
        return
    server = next((server for server in registered if set(server["ip_addresses"]) & set(addresses)), None)
    yield _judge_process_server(view, target, vm, addresses, server)


def _judge_process_server(view: AzureView, target: str, vm: dict[str, Any], addresses: list[str], server: dict[str, Any] | None) -> Result:
    findings = Findings()
    evidence: dict[str, Any] = {"vm": vm["name"], "size": vm.get("size"), "addresses": addresses}
    # The network: the failed-over VMs' virtual networks (known while they run in Azure).
    own = _nic_networks(view, vm)
    theirs = {network for item in view.items if (item_vm := view.vm(item.get("azure_vm_id"))) and "error" not in item_vm
              for network in _nic_networks(view, item_vm)}
    evidence.update(virtual_networks=sorted(network.rsplit("/", 1)[-1] for network in own),
                    vms_virtual_networks=sorted(network.rsplit("/", 1)[-1] for network in theirs))
    if theirs and not own & theirs:
        findings.fail(f"{vm['name']} is in {', '.join(evidence['virtual_networks']) or 'no virtual network'}, not in the failed-over "
                      f"VMs' {', '.join(evidence['vms_virtual_networks'])}")
    # Its size.
    sizes = view.facts.get("vm_sizes", {}).get((vm.get("location") or "").lower()) or {}
    cores = sizes.get("cores", {}).get(vm.get("size") or "")
    evidence["cores"] = cores
    if "error" in sizes:
        findings.error(f"the cores of {vm.get('size')} are not known: {sizes['error']['reason']}")
    elif cores is None:
        findings.warn(f"Azure lists no size {vm.get('size')} in {vm.get('location')}: its cores are unknown")
    elif cores < MIN_CORES:
        findings.fail(f"{vm['name']} ({vm['size']}) has {cores} cores; a process server in Azure needs at least {MIN_CORES}")
    # Its load, as ASR last heard it.
    cpu = server.get("cpu_load_percent") if server else None
    total, available = (server.get("memory_total_bytes"), server.get("memory_available_bytes")) if server else (None, None)
    memory = round(100 * (total - available) / total, 1) if total and available is not None else None
    evidence.update(cpu_percent=cpu, memory_percent=memory, max_percent=MAX_LOAD_PERCENT)
    if server is None:
        findings.fail(f"ASR lists no process server at {', '.join(addresses)}")
    for what, value in (("CPU", cpu), ("memory", memory)):
        if value is None and server is not None:
            findings.warn(f"ASR reports no {what} load for {server['name']}")
        elif value is not None and value >= MAX_LOAD_PERCENT:
            findings.fail(f"its {what} is at {value:g}% (under {MAX_LOAD_PERCENT}% is needed)")
    evidence.update(problems=findings.texts(), min_cores=MIN_CORES)
    clean = (f"{vm['name']} ({vm.get('size')}, {cores} cores) is in the failed-over VMs' network; CPU {cpu:g}%, memory {memory:g}%"
             if cpu is not None and memory is not None else f"{vm['name']} is in Azure")
    return Result(AZURE_PROCESS_SERVER.id, target, findings.status, findings.message(clean), evidence)


# -- mt.replication_group ------------------------------------------------------------------------------------------------------
@register(REPLICATION_GROUP)
def mt_replication_group(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    choices = Choices(facts)
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in view.items:
        if item.get("provider") == "InMageAzureV2" and item.get("replication_group"):
            groups.setdefault(item["replication_group"], []).append(item)
    if not groups:
        yield Result(REPLICATION_GROUP.id, view.site_target, Status.SKIP, "no VM of this failback is in a multi-VM replication group")
        return
    for group, items in sorted(groups.items()):
        through: dict[str, str] = {}
        unknown: dict[str, str] = {}
        for item in sorted(items, key=lambda item: item["friendly_name"]):
            try:
                through[item["friendly_name"]] = choices.master_target(choices.fabric(item), item)[0]["name"]
            except NoChoice as missing:
                unknown[item["friendly_name"]] = missing.missing
        evidence = {"group": group, "master_targets": through, "unresolved": unknown}
        target = f"item:{group}"
        servers = sorted(set(through.values()))
        if len(servers) > 1:
            split = "; ".join(f"{', '.join(sorted(v for v, s in through.items() if s == server))} -> {server}" for server in servers)
            yield Result(REPLICATION_GROUP.id, target, Status.FAIL, f"replication group {group} would fail back through {len(servers)} "
                                                                    f"master targets ({split})", evidence)
        elif unknown:
            yield Result(REPLICATION_GROUP.id, target, Status.ERROR, f"replication group {group}: no master target for "
                                                                     + "; ".join(f"{vm}: {why}" for vm, why in unknown.items()),
                         evidence, remediation_id="match-master-target-os")
        else:
            yield Result(REPLICATION_GROUP.id, target, Status.PASS, f"replication group {group} ({', '.join(sorted(through))}) fails "
                                                                    f"back through {servers[0]}", evidence)


# -- asr.failback_policy -----------------------------------------------------------------------------------------------------
@register(FAILBACK_POLICY)
def asr_failback_policy(facts: Facts) -> Iterator[Result]:
    view = AzureView.of(facts)
    waiting = [item for item in view.items if item.get("provider") in FORWARD_PROVIDERS]
    if view.facts.get("policies_error"):
        yield not_verified(FAILBACK_POLICY.id, view.site_target, view.facts["policies_error"])
        return
    choices = Choices(facts)
    if not waiting:
        yield Result(FAILBACK_POLICY.id, view.site_target, Status.SKIP, "no item of this failback waits for its reprotect toward on-premises")
        return
    configured = view.settings.failback_policy_id
    for item in sorted(waiting, key=lambda item: item["friendly_name"]):
        wanted = POLICY_PROVIDER[item["provider"]]
        evidence = {"provider": wanted, "container": item["container"],
                    "associated": sorted(f"{p['name']} ({p['provider']})" for p in choices.associated_policies(item))}
        try:
            policy = choices.policy(item, wanted, configured, "failback_policy_id")
        except NoChoice as missing:
            yield Result(FAILBACK_POLICY.id, f"item:{item['friendly_name']}", Status.FAIL, missing.missing,
                         {**evidence, "missing": missing.missing}, remediation_id=missing.remediation_id)
            continue
        yield Result(FAILBACK_POLICY.id, f"item:{item['friendly_name']}", Status.PASS,
                     f"{policy.name} ({wanted}) is associated with container {item['container']}", {**evidence, "policy": policy.name})
