"""guest.network_manager: after failback, a Linux VM whose network NetworkManager configures has it installed and enabled.

Failover to Azure takes NetworkManager out of Linux guests; back on-premises such a VM has no network until it is
reinstalled. The guest source looks inside each VM through VMware Tools guest operations; where it cannot (the VM is
off, Tools do not run, the site names no guest account), the result says why and warns, with the OS ASR replicates
when the Azure facts were collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.azure.view import AzureView
from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import guest_family

NETWORK_MANAGER = CheckMeta(
    id="guest.network_manager",
    title="Linux VMs whose network NetworkManager configures have it installed and enabled after failback",
    severity=Severity.MEDIUM,
    gates=(Gate.AFTER_FAILBACK,),
    experiences=BOTH,
    sources=("guest",),
    optional_sources=("azure",),
    why="Failover to Azure removes NetworkManager from Linux guests; back on-premises, a VM whose network it configured "
        "stays unreachable until it is reinstalled, a step no recovery plan can script.",
    remediation="reinstall-network-manager",
)
LOOK_INSIDE = "guest-operations-access"  # what to do when the guest could not be looked into
# systemctl is-enabled states in which a unit starts at boot.
STARTS_AT_BOOT = {"enabled", "enabled-runtime", "static", "alias", "indirect", "generated"}
# Where a look inside could not be taken but nothing is wrong yet: warn. Any other failure (login refused, timeout): error.
_EXPECTED_BLIND_SPOTS = {"unavailable", "no_credentials", "not_found"}


@register(NETWORK_MANAGER)
def guest_network_manager(facts: Facts) -> Iterator[Result]:
    looked = facts.source("guest")["vms"]
    asr_os = _asr_os(facts)
    for vm in facts.site.vms:
        seen = looked.get(vm.name, {"state": "not_found", "reason": "not looked for"})
        asr = asr_os.get(vm.name.lower(), {})
        family = guest_family(seen) or asr.get("family")
        target = f"vm:{vm.name}"
        evidence: dict[str, Any] = {"os_family": family, "looked": seen["state"], **({"asr_distro": asr["distro"]} if asr.get("distro") else {})}
        if family == "windows":
            yield Result(NETWORK_MANAGER.id, target, Status.PASS, f"{vm.name} runs Windows: nothing to reinstall", evidence)
        elif seen["state"] == "probed":
            yield _judge(vm.name, target, seen["network_manager"], evidence)
        else:
            evidence["reason"] = seen["reason"]
            distro = f" ({asr['distro']})" if asr.get("distro") else ""
            who = f"{vm.name} runs Linux{distro}" if family == "linux" else vm.name
            status = Status.WARN if seen["state"] in _EXPECTED_BLIND_SPOTS else Status.ERROR
            yield Result(NETWORK_MANAGER.id, target, status,
                         f"{who}: could not look inside ({seen['reason']}); once it runs on-premises, check that NetworkManager "
                         "is installed and enabled where it configured the network", evidence, remediation_id=LOOK_INSIDE)


def _judge(name: str, target: str, probe: dict[str, Any], evidence: dict[str, Any]) -> Result:
    installed = probe["daemon"] is not None
    enabled = probe["enabled"] in STARTS_AT_BOOT
    needs, others = _who_configures(probe)
    state = ("installed and enabled" if enabled else f"installed but {probe['enabled']}") if installed else "not installed"
    evidence.update(network_manager=state, active=probe["active"], needed_by=needs or ["nothing"], configured_by=others or ["nothing"])
    if installed and enabled:
        running = "running" if probe["active"] == "active" else f"{probe['active']} now"
        return Result(NETWORK_MANAGER.id, target, Status.PASS, f"{name}: NetworkManager is installed and enabled ({running})", evidence)
    if installed and probe["enabled"] == "unknown":
        return Result(NETWORK_MANAGER.id, target, Status.WARN,
                      f"{name}: NetworkManager is installed; the guest has no systemd to tell whether it starts at boot", evidence)
    if needs:
        return Result(NETWORK_MANAGER.id, target, Status.FAIL,
                      f"{name}: NetworkManager is {state}, yet {'; '.join(needs)}: the VM comes up without that network", evidence)
    if others:
        return Result(NETWORK_MANAGER.id, target, Status.PASS,
                      f"{name} does not use NetworkManager (it is {state}): {'; '.join(others)} configure its network", evidence)
    return Result(NETWORK_MANAGER.id, target, Status.WARN,
                  f"{name}: NetworkManager is {state} and nothing else was found that configures the network: check it at the console",
                  evidence)


def _who_configures(probe: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What in the guest needs NetworkManager, and what configures the network without it."""
    needs, others = [], []
    if probe["profiles"]:
        needs.append(f"its connection profiles {', '.join(probe['profiles'])} need it")
    by_renderer: dict[str, list[str]] = {}
    for entry in probe["netplan"]:
        by_renderer.setdefault(entry["renderer"].lower(), []).append(entry["file"])
    if "networkmanager" in by_renderer:
        needs.append(f"netplan renders {', '.join(by_renderer.pop('networkmanager'))} through it")
    if by_renderer:
        others.append(f"netplan with systemd-networkd ({', '.join(file for files in by_renderer.values() for file in files)})")
    if probe["ifcfg"]:
        # Without systemd ("unknown"), the SysV network script reads them.
        if probe["legacy_network"] in STARTS_AT_BOOT or probe["legacy_network"] == "unknown":
            others.append(f"the network service with {', '.join(probe['ifcfg'])}")
        else:
            needs.append(f"{', '.join(probe['ifcfg'])} have no network service but it to read them")
    if probe["interfaces"]:
        others.append("ifupdown (/etc/network/interfaces: " + ", ".join(f"{i['name']} {i['method']}" for i in probe["interfaces"]) + ")")
    return needs, others


def _asr_os(facts: Facts) -> dict[str, dict[str, str | None]]:
    """By lower-case VM name: the OS family and distribution ASR replicates, when the Azure facts were collected."""
    view = AzureView.of_vault(facts)
    if view is None:
        return {}
    return {(item["friendly_name"] or "").lower(): {"family": (item.get("os_type") or "").lower() or None, "distro": item.get("distro")}
            for item in view.items}
