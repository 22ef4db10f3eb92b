"""vcenter.permissions: the account ASR discovers with holds every privilege failback needs, propagated."""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.vcenter.inventory import Inventory

# From Microsoft's list for the VMware discovery account; a trailing ".*" means every privilege with that prefix
# the server knows (its privilegeList), so new vSphere releases are covered without editing this list.
REQUIRED_PRIVILEGES = (
    "Datastore.AllocateSpace",
    "Datastore.Browse",
    "Datastore.FileManagement",
    "Datastore.DeleteFile",
    "Datastore.UpdateVirtualMachineFiles",
    "Network.Assign",
    "Resource.AssignVMToPool",
    "Resource.ColdMigrate",
    "Resource.HotMigrate",
    "Task.Create",
    "Task.Update",
    "VirtualMachine.Config.*",
    "VirtualMachine.Interact.AnswerQuestion",
    "VirtualMachine.Interact.DeviceConnection",
    "VirtualMachine.Interact.SetCDMedia",
    "VirtualMachine.Interact.SetFloppyMedia",
    "VirtualMachine.Interact.PowerOff",
    "VirtualMachine.Interact.PowerOn",
    "VirtualMachine.Interact.ToolsInstall",
    "VirtualMachine.Inventory.Create",
    "VirtualMachine.Inventory.Register",
    "VirtualMachine.Inventory.Unregister",
    "VirtualMachine.Inventory.CreateFromExisting",
    "VirtualMachine.Provisioning.GetVmFiles",
    "VirtualMachine.Provisioning.PutVmFiles",
    "VirtualMachine.State.RemoveSnapshot",
)

PERMISSIONS = CheckMeta(
    id="vcenter.permissions",
    title="The discovery account holds every privilege ASR needs on the datacenter, propagated to its children",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="With a read-only account failover still succeeds, and reprotect then fails with an empty datastore list.",
    remediation="grant-discovery-privileges",
)


def required_privileges(server_privileges: list[str]) -> list[str]:
    """The required list with each `prefix.*` expanded against what this server defines."""
    required: list[str] = []
    for privilege in REQUIRED_PRIVILEGES:
        if privilege.endswith(".*"):
            prefix = privilege[:-1]
            required.extend(sorted(p for p in server_privileges if p.startswith(prefix)))
        else:
            required.append(privilege)
    return required


@register(PERMISSIONS)
def vcenter_permissions(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    privileges = inventory.facts["privileges"]
    account = privileges["account"]
    entities: dict[str, list[str]] = privileges["entities"]
    on_datacenter = set(entities.get("datacenter", []))
    required = required_privileges(inventory.facts["privilege_ids"])
    missing = [p for p in required if p not in on_datacenter]
    not_propagated = sorted(
        {p for p in required if p in on_datacenter for label, held in entities.items() if label != "datacenter" and p not in held}
    )
    evidence = {
        "account": account,
        "datacenter": inventory.facts["datacenter"],
        "missing": missing,
        "not_propagated": not_propagated,
        "required_count": len(required),
    }
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        message = f"{account} lacks {len(missing)} of {len(required)} required privileges on datacenter {inventory.facts['datacenter']}: {shown}"
        if not on_datacenter - {"System.Anonymous", "System.View", "System.Read"}:
            message += " (the account is read-only or has no permission there)"
        yield Result(PERMISSIONS.id, inventory.vcenter_target, Status.FAIL, message, evidence)
    elif not_propagated:
        evidence["missing"] = not_propagated
        yield Result(
            PERMISSIONS.id,
            inventory.vcenter_target,
            Status.FAIL,
            f"{account} holds the privileges on datacenter {inventory.facts['datacenter']} but they do not propagate to its "
            f"VMs, hosts and datastores ({len(not_propagated)} missing below it): tick 'Propagate to children'",
            evidence,
        )
    else:
        yield Result(
            PERMISSIONS.id,
            inventory.vcenter_target,
            Status.PASS,
            f"{account} holds all {len(required)} required privileges on datacenter {inventory.facts['datacenter']}, propagated",
            evidence,
        )
