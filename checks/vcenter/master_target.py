"""What a classic master target VM must be: LSI Logic controllers only, VMware Tools running, the OS family of the VMs it serves.

vCenter tells the OS families; where it cannot (no Tools report, a generic guest id, a VM not in vCenter), ASR's view
does when the Azure facts were collected: the OS each protected item replicates, the master target's registration.
"""

from __future__ import annotations

from collections.abc import Iterator

from failback.checks.azure.master_target import asr_master_target, asr_os_families
from failback.checks.facts import Facts
from failback.checks.model import CLASSIC_ONLY, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register
from failback.checks.site import MasterTarget
from failback.checks.vcenter.inventory import FoundVm, Inventory, guest_family
from failback.checks.vcenter.subjects import Verdict, judge_master_targets

# The controllers ASR can hot-add failback disks to, and the names an administrator knows them by. Every other disk
# controller (Paravirtual, BusLogic, NVMe, AHCI) is one ASR's master target does not support.
LSI_LOGIC = {"VirtualLsiLogicController": "LSI Logic Parallel", "VirtualLsiLogicSASController": "LSI Logic SAS"}
OTHER_CONTROLLERS = {
    "ParaVirtualSCSIController": "VMware Paravirtual",
    "VirtualBusLogicController": "BusLogic Parallel",
    "VirtualNVMEController": "NVMe",
    "VirtualAHCIController": "SATA (AHCI)",
    "VirtualSATAController": "SATA",
}

SCSI = CheckMeta(
    id="mt.scsi_controller",
    title="The master target's disk controllers are LSI Logic (Parallel or SAS) only",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("vcenter",),
    why="ASR hot-adds the failback disks to the master target's LSI Logic controller; on a Paravirtual, BusLogic, NVMe or "
        "AHCI controller the attach, and the reprotect, fails.",
    remediation="master-target-lsi-logic",
)
TOOLS = CheckMeta(
    id="mt.vmware_tools",
    title="VMware Tools (or open-vm-tools) runs on the master target",
    severity=Severity.HIGH,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("vcenter",),
    why="ASR drives disk attach and discovery on the master target through VMware Tools.",
    remediation="start-vmware-tools",
)
OS_MATCH = CheckMeta(
    id="mt.os_match",
    title="Each master target runs the OS family (Windows/Linux) of every VM it serves",
    severity=Severity.CRITICAL,
    gates=(Gate.REPROTECT,),
    experiences=CLASSIC_ONLY,
    sources=("vcenter",),
    optional_sources=("azure",),
    why="A Windows master target cannot receive Linux disks, nor the reverse: reprotect fails.",
    remediation="match-master-target-os",
)


def lsi_logic_only(found: FoundVm, entry: object = None) -> Verdict:
    controllers = found.detail.get("controllers", [])
    named = [LSI_LOGIC.get(kind) or OTHER_CONTROLLERS.get(kind) or kind for kind in controllers]
    evidence = {"controllers": controllers or ["none"], "controller_names": named or ["none"]}
    unsupported = sorted({OTHER_CONTROLLERS.get(kind, kind) for kind in controllers if kind not in LSI_LOGIC})
    if unsupported:
        return Status.FAIL, f"{found.name} has a {', '.join(unsupported)} controller; ASR supports only LSI Logic (Parallel or SAS)", evidence
    if not controllers:
        return Status.FAIL, f"{found.name} has no SCSI controller: ASR needs an LSI Logic one to attach the failback disks", evidence
    return Status.PASS, f"{found.name} uses {', '.join(sorted(set(named)))}", evidence


def tools_running(found: FoundVm, entry: object = None) -> Verdict:
    status = found.detail.get("tools_running_status") or "unknown"
    evidence = {"tools_status": status, "power_state": found.power_state}
    if status == "guestToolsRunning":
        return Status.PASS, f"VMware Tools runs on {found.name}", evidence
    return Status.FAIL, f"VMware Tools is not running on {found.name} ({status}, VM {found.power_state})", evidence


@register(SCSI)
def mt_scsi_controller(facts: Facts) -> Iterator[Result]:
    return judge_master_targets(SCSI, facts, lsi_logic_only)


@register(TOOLS)
def mt_vmware_tools(facts: Facts) -> Iterator[Result]:
    return judge_master_targets(TOOLS, facts, tools_running)


@register(OS_MATCH)
def mt_os_match(facts: Facts) -> Iterator[Result]:
    inventory = Inventory.of(facts)
    asr_families = {name.lower(): family for name, family in asr_os_families(facts).items()}
    unknown_to = "vCenter and ASR" if "azure" in facts.sources else "vCenter"

    def vm_family(name: str) -> tuple[str | None, str | None]:
        found = inventory.vm(name)
        return first_known(guest_family(found.detail) if found else None, asr_families.get(name.lower()))

    def same_family(found: FoundVm, master_target: MasterTarget) -> Verdict:
        mt_family, mt_told_by = first_known(guest_family(found.detail), (asr_master_target(facts, master_target) or {}).get("os_type"))
        served = facts.site.vms_served_by(master_target)
        told = {vm.name: vm_family(vm.name) for vm in served}
        families = {name: family for name, (family, _) in told.items()}
        evidence: dict = {"mt_family": mt_family, "served": families,
                          "told_by": {found.name: mt_told_by, **{name: by for name, (_, by) in told.items()}}}
        if mt_family is None:
            return Status.ERROR, f"the OS of {found.name} is unknown to {unknown_to}", evidence
        if not served:
            return Status.PASS, f"{found.name} ({mt_family}) serves no VM of this site", evidence
        mismatched = sorted(name for name, family in families.items() if family is not None and family != mt_family)
        unknown = sorted(name for name, family in families.items() if family is None)
        evidence["mismatched"] = [f"{name} ({families[name]})" for name in mismatched]
        if mismatched:
            return Status.FAIL, f"{found.name} runs {mt_family} but serves {', '.join(evidence['mismatched'])}", evidence
        if unknown:
            return Status.WARN, f"{found.name} runs {mt_family}; the OS of {', '.join(unknown)} is unknown to {unknown_to}", evidence
        return Status.PASS, f"{found.name} and the {len(served)} VM(s) it serves all run {mt_family}", evidence

    return judge_master_targets(OS_MATCH, facts, same_family)


def first_known(vcenter_family: str | None, asr_os_type: str | None) -> tuple[str | None, str | None]:
    """An OS family ("windows" | "linux") and who told it: vCenter first, ASR where vCenter cannot tell."""
    if vcenter_family:
        return vcenter_family, "vcenter"
    if asr_os_type:
        return asr_os_type.lower(), "asr"
    return None, None
