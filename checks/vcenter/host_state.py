"""host.state: every ESXi host the failback uses is connected to vCenter and out of maintenance mode."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import Inventory
from failback.checks.vcenter.placement import failback_hosts

HOST_STATE = CheckMeta(
    id="host.state",
    title="Every ESXi host the failback uses is connected to vCenter and out of maintenance mode",
    severity=Severity.CRITICAL,
    # Before failover too: a host that went into maintenance after reprotect cannot power the VMs on.
    gates=(Gate.REPROTECT, Gate.FAILOVER),
    experiences=BOTH,
    sources=("vcenter",),
    why="A disconnected host, or one in maintenance mode, can neither run the master target or appliance that writes the "
        "failback disks nor power on the VMs that come back to it: reprotect or failover fails on it.",
    remediation="restore-host-state",
)


def unusable_because(host: dict[str, Any]) -> str | None:
    """Why vCenter cannot place or run VMs on the host; None when it can."""
    problems = []
    if host["connection_state"] != "connected":
        problems.append(f"{host['connection_state']} from vCenter")
    if host["maintenance"]:
        problems.append("in maintenance mode")
    return " and ".join(problems) or None


@register(HOST_STATE)
def host_state(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    roles = failback_hosts(inventory)
    if not roles:
        yield Result(HOST_STATE.id, inventory.vcenter_target, Status.WARN,
                     "vCenter knows no host this failback uses: no VM of the site is found and no target_hosts are listed", {})
        return
    for moref in sorted(roles, key=lambda moref: inventory.host_name(moref) or moref):
        host = inventory.host(moref)
        evidence = {"connection_state": host["connection_state"], "maintenance": host["maintenance"], "roles": roles[moref]}
        problem = unusable_because(host)
        if problem:
            yield Result(HOST_STATE.id, f"host:{host['name']}", Status.FAIL,
                         f"{host['name']} is {problem}, yet {'; '.join(roles[moref])}", {**evidence, "problem": problem})
        else:
            yield Result(HOST_STATE.id, f"host:{host['name']}", Status.PASS,
                         f"{host['name']} is connected and out of maintenance mode", evidence)
