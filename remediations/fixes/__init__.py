"""Fixes the tool can apply itself, with the operator's consent: by the check whose failure they remove."""

from __future__ import annotations

from failback.remediations.fixes.azure_fixes import StartAzureVm
from failback.remediations.fixes.base import Fix, FixAction, FixError
from failback.remediations.fixes.guest_ip_fix import RestoreStaticIp
from failback.remediations.fixes.ssh_fixes import InstallMasterTargetPackages
from failback.remediations.fixes.vcenter_fixes import EnableDiskUuid, RemoveSnapshots

_FIXES: tuple[Fix, ...] = (RemoveSnapshots(), EnableDiskUuid(), InstallMasterTargetPackages(), StartAzureVm(), RestoreStaticIp())


def fix_for(check_id: str) -> Fix | None:
    return next((fix for fix in _FIXES if check_id in fix.check_ids), None)


def fixable_checks() -> set[str]:
    return {check_id for fix in _FIXES for check_id in fix.check_ids}


__all__ = ["Fix", "FixAction", "FixError", "fix_for", "fixable_checks"]
