"""vm.name_clash: ASR error 78052, another VM of the same name where the failback VM is written."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Experience, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import Inventory

NAME_CLASH = CheckMeta(
    id="vm.name_clash",
    title="No other VM of the same name is on the failback target host",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="ASR error 78052: reprotect stops when a VM of the same name already exists on the master target's host.",
    remediation="resolve-name-clash",
)


@register(NAME_CLASH)
def vm_name_clash(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    for vm in facts.site.vms:
        namesakes = inventory.vms_named(vm.name)
        if vm.recovery_location == "original":
            # Several VMs of the name make the original ambiguous, wherever they are.
            clashes = namesakes if len(namesakes) > 1 else []
        else:
            hosts = {inventory.target_host(vm)}
            if facts.site.experience is Experience.CLASSIC and (mt := facts.site.master_target_for(vm)):
                mt_vm = inventory.master_target_vm(mt)
                hosts.add(mt_vm.host if mt_vm else None)
            clashes = [found for found in namesakes if found.host in hosts - {None}]
        listed = [f"{found.name} ({found.moref}) on {inventory.host_name(found.host) or 'no host'}" for found in clashes]
        evidence = {"clashes": listed, "recovery_location": vm.recovery_location}
        if clashes:
            yield Result(NAME_CLASH.id, f"vm:{vm.name}", Status.FAIL, f"{len(clashes)} VMs named {vm.name}: {'; '.join(listed)}", evidence)
        else:
            yield Result(NAME_CLASH.id, f"vm:{vm.name}", Status.PASS, f"no other VM named {vm.name} where it comes back", evidence)
