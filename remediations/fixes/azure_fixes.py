"""Fixes applied through Azure: start a failed-over Azure VM that is stopped (ASR error 78093 at reprotect)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.site import Site
from failback.checks.sources.errors import SourceError
from failback.remediations.fixes.base import FixAction, FixError


class StartAzureVm:
    """Start the VM; a running one whose agent does not report is not touched (a restart is the operator's call)."""

    check_ids = ("azure.vm_running",)
    source = "azure"

    def plan(self, result: Result, facts: Facts) -> FixAction:
        vm_id = result.evidence.get("azure_vm_id")
        name = result.evidence.get("vm_name") or (vm_id or "").rsplit("/", 1)[-1]
        description = f"start Azure VM {name} ({vm_id})"
        if not vm_id:
            return FixAction(result.check, result.target, description, refused="ASR does not name the Azure VM of this item")
        power = result.evidence.get("power_state")
        if power == "running":
            return FixAction(result.check, result.target, description,
                             refused=f"{name} already runs; its agents do not report: restarting it is a decision for the operator")
        return FixAction(result.check, result.target, f"start Azure VM {name} (now {power or 'in an unknown state'})", details=(("vm_id", vm_id),))

    def apply(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> str:
        from azure.core.exceptions import AzureError

        from failback.checks.sources.azure_session import AzureSession

        parts = action.detail("vm_id").split("/")
        subscription, group, name = parts[2], parts[4], parts[-1]
        try:
            session = AzureSession(site.azure, secrets.get("azure"), pool_size=2)
        except SourceError as exc:
            raise FixError(f"starting {name}: {exc.reason}") from None
        try:
            session.sign_in()
            session.compute(subscription).virtual_machines.begin_start(group, name).result(timeout=site.azure.timeout_seconds * 20)
        except SourceError as exc:
            raise FixError(f"starting {name}: {exc.reason}") from None
        except AzureError as exc:
            raise FixError(f"starting {name} failed in Azure: {getattr(exc, 'message', exc)}") from None
        finally:
            session.close()
        return f"started Azure VM {name}"
