"""The guest source: what the site's VMs say from inside, through VMware Tools guest operations.

Each VM is looked at only when it can be: found in vCenter, powered on, Tools running, not Windows, and the site names a
guest account for it (its password from the environment). What stops a look is recorded per VM, with the reason; the
others run a read-only probe (NetworkManager's state) at most PARALLEL_GUESTS at a time, each bounded by
[guest_operations] program_timeout_seconds and the vCenter session's timeout. One retrieval finds every VM of the
site; the probes themselves cost a few calls per VM, which is why this is a source of its own, gathered only for the
checks that read it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from failback.checks.site import Site, Vm
from failback.checks.sources.network_manager_probe import NETWORK_MANAGER_PROBE, parse_network_manager_probe
from failback.checks.sources.vcenter import VCenterSource, _container_view, _objects_filter, _retrieve, _view_filter
from failback.checks.sources.vcenter_session import vcenter_session
from failback.checks.vcenter.inventory import guest_family
from failback.remediations.guest_ip.guest_ops import GuestLogin, GuestOperations, GuestOpsError

PARALLEL_GUESTS = 4  # within pyVmomi's pool of five connections per session
_VM_PROPS = ["name", "runtime.powerState", "guest.toolsRunningStatus", "guest.guestFamily", "config.guestId"]


class GuestSource:
    name = "guest"

    def __init__(self, site: Site, vcenter_password: str | None, environ: Mapping[str, str] = os.environ):
        self._site = site
        self._password = vcenter_password or ""
        self._environ = environ

    def collect(self) -> dict[str, Any]:
        with vcenter_session(self._site.vcenter, self._password) as session:
            found = self._site_vms(session.si)
            with ThreadPoolExecutor(max_workers=PARALLEL_GUESTS, thread_name_prefix="guest") as pool:
                looks = {vm.name: pool.submit(self._look, session.si, vm, found.get(vm.name)) for vm in self._site.vms}
            return {"vms": {name: look.result() for name, look in looks.items()}}

    def _site_vms(self, si: Any) -> dict[str, tuple[Any, dict[str, Any]]]:
        """The site's VMs in its datacenter, by name (the first of namesakes: vm.name_clash judges those)."""
        from pyVmomi import vim

        content = si.RetrieveContent()
        collector = content.propertyCollector
        datacenter, _ = VCenterSource(self._site, self._password)._find_datacenter(content, collector)
        wanted = {vm.name for vm in self._site.vms}
        with _container_view(content, datacenter, [vim.VirtualMachine]) as view:
            named = [obj for obj, props in _retrieve(collector, [_view_filter(view, {vim.VirtualMachine: ["name"]})])
                     if props.get("name") in wanted]
        found: dict[str, tuple[Any, dict[str, Any]]] = {}
        for obj, props in _retrieve(collector, [_objects_filter(named, vim.VirtualMachine, _VM_PROPS)]) if named else []:
            found.setdefault(props["name"], (obj, props))
        return found

    def _look(self, si: Any, vm: Vm, found: tuple[Any, dict[str, Any]] | None) -> dict[str, Any]:
        if found is None:
            return {"state": "not_found", "reason": f"no VM named {vm.name} in datacenter {self._site.vcenter.datacenter}"}
        obj, props = found
        seen = {
            "power_state": str(props.get("runtime.powerState") or "unknown"),
            "tools_running_status": props.get("guest.toolsRunningStatus"),
            "guest_family": props.get("guest.guestFamily"),
            "guest_id": props.get("config.guestId"),
        }
        if guest_family(seen) == "windows":
            return {**seen, "state": "not_probed", "reason": "a Windows guest"}
        if seen["power_state"] != "poweredOn":
            return {**seen, "state": "unavailable", "reason": f"the VM is {seen['power_state']}"}
        if seen["tools_running_status"] != "guestToolsRunning":
            return {**seen, "state": "unavailable", "reason": f"VMware Tools do not run in it ({seen['tools_running_status'] or 'unknown'})"}
        login, missing = self._login(vm)
        if login is None:
            return {**seen, "state": "no_credentials", "reason": missing}
        ops = GuestOperations(si, obj, login, self._site.vcenter)
        stem = "failback-nm-probe-" + re.sub(r"[^A-Za-z0-9._-]", "_", vm.name)
        try:
            code, output = ops.run_script(stem, NETWORK_MANAGER_PROBE, False, self._site.guest_operations.program_timeout_seconds, keep=False)
        except GuestOpsError as exc:
            return {**seen, "state": exc.kind, "reason": exc.message}
        if code != 0:
            last = " | ".join(output.strip().splitlines()[-3:]) or "no output"
            return {**seen, "state": "failed", "reason": f"the read-only probe exited with {code}: {last}"}
        return {**seen, "state": "probed", "network_manager": parse_network_manager_probe(output)}

    def _login(self, vm: Vm) -> tuple[GuestLogin | None, str]:
        """The guest account the site names for the VM, or why there is none (never the password)."""
        account = self._site.guest_account(vm)
        if account is None:
            return None, "the site file names no guest account for it (guest_user and guest_password_env, or [guest_operations])"
        user, password_env = account
        if password_env not in self._environ:
            return None, f"environment variable {password_env} (the guest password of {user}) is not set"
        return GuestLogin(user, self._environ[password_env]), ""
