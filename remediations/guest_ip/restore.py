"""Restoring one VM's recorded static IP: probe the guest, plan the exact script, run it, verify it from vCenter.

plan() only reads (the probe changes nothing); apply() runs the planned script, then waits until vCenter's guest
info shows every recorded address with origin "manual". Any failure is a RestoreError whose message ends with what
to set by hand from the VM console.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from failback.checks.site import Site
from failback.checks.sources.errors import SourceError
from failback.checks.sources.vcenter_session import vcenter_session, vms_named
from failback.remediations.guest_ip.config import GuestNic, RecordError, StaticNic, nics_manual_steps, static_nics
from failback.remediations.guest_ip.guest_ops import GuestLogin, GuestOperations, GuestOpsError
from failback.remediations.guest_ip.methods import configuration_script
from failback.remediations.guest_ip.probe import LINUX_PROBE, WINDOWS_PROBE, ProbeError, parse_findings

_ADVICE = {
    "login": "check guest_user and the password in the variable guest_password_env names (the account must be root or an Administrator)",
    "unavailable": "power the VM on and wait until VMware Tools run in it (vCenter: VM > Summary > VMware Tools), then try again",
}


class RestoreError(Exception):
    """The restore could not be planned or done; the message says why and what to set by hand (problem: only why)."""

    def __init__(self, message: str, problem: str | None = None):
        super().__init__(message)
        self.problem = problem or message


@dataclass(frozen=True)
class RestorePlan:
    vm: str
    windows: bool
    current: tuple[str, ...]  # what vCenter and the probe say the VM has now
    changes: tuple[tuple[StaticNic, GuestNic], ...]
    script: str  # exactly what apply() runs in the guest

    def describe(self) -> list[str]:
        lines = [f"now: {line}" for line in self.current]
        lines += [f"target: {found.interface} ({found.method}" + (f", connection {found.connection}" if found.connection else "")
                  + f"): {nic.describe()}" for nic, found in self.changes]
        lines += ["commands:"] + [f"  {line}" for line in self.script.splitlines() if not line.startswith(("#!/", "# failback:"))]
        return lines


def guest_login(site: Site, vm_name: str, environ: Mapping[str, str] = os.environ) -> GuestLogin | None:
    """The guest account the site names for this VM, its password from the environment; None when the site names none."""
    vm = next((vm for vm in site.vms if vm.name == vm_name), None)
    account = site.guest_account(vm) if vm is not None else None
    if account is None:
        return None
    user, password_env = account
    if password_env not in environ:
        raise RestoreError(f"environment variable {password_env} (the guest password of {user} on {vm_name}) is not set")
    return GuestLogin(user, environ[password_env])


def _file_stem(vm_name: str) -> str:
    return "failback-ip-" + re.sub(r"[^A-Za-z0-9._-]", "_", vm_name)


class StaticIpRestore:
    def __init__(self, site: Site, vcenter_password: str, vm_name: str, record: Mapping[str, Any], login: GuestLogin,
                 sleep: Callable[[float], None] = time.sleep):
        self.site, self.vm_name, self.windows = site, vm_name, record.get("os_family") == "windows"
        self._password, self._login, self._sleep = vcenter_password, login, sleep
        try:
            self.nics = static_nics(record)
        except (RecordError, ValueError, KeyError, TypeError) as exc:
            raise RestoreError(f"{vm_name}: the recorded configuration cannot be restored automatically: {exc}") from None

    # -- what the operator reads on failure -----------------------------------------------------------------------
    def manual_steps(self) -> tuple[str, ...]:
        return nics_manual_steps(self.vm_name, self.nics)

    def _failed(self, problem: str, kind: str | None = None) -> RestoreError:
        advice = f" ({_ADVICE[kind]})" if kind in _ADVICE else ""
        why = f"{self.vm_name}: {problem}{advice}"
        return RestoreError(f"{why}. Restore it by hand: {' '.join(self.manual_steps())}", why)

    @contextmanager
    def _guest(self) -> Iterator[tuple[Any, GuestOperations]]:
        failure: Exception | None = None
        try:
            with vcenter_session(self.site.vcenter, self._password) as session:
                try:
                    matches = vms_named(session.si, self.vm_name)
                    if len(matches) != 1:
                        raise self._failed(f"expected one VM named {self.vm_name} in vCenter, found {len(matches)}")
                    ops = GuestOperations(session.si, matches[0], self._login, self.site.vcenter, self._sleep)
                    ops.ensure_ready()
                    yield matches[0], ops
                except (GuestOpsError, RestoreError) as exc:
                    failure = exc  # raised once logged out: the session would report it as a fault of its own
        except SourceError as exc:
            raise self._failed(exc.reason) from None
        if isinstance(failure, GuestOpsError):
            raise self._failed(failure.message, failure.kind)
        if failure is not None:
            raise failure

    def _run_script(self, ops: GuestOperations, name: str, script: str, keep: bool = True) -> tuple[int, str]:
        return ops.run_script(name, script, self.windows, self.site.guest_operations.program_timeout_seconds, keep)

    # -- plan, apply, verify --------------------------------------------------------------------------------------
    def plan(self) -> RestorePlan:
        """Read-only: what the VM has now (vCenter and the probe) and the exact script that would restore the record."""
        with self._guest() as (vm, ops):
            current = [f"vCenter: {line}" for line in _vcenter_addresses(vm)] or ["vCenter: no guest network information"]
            probe = WINDOWS_PROBE if self.windows else LINUX_PROBE
            code, output = self._run_script(ops, _file_stem(self.vm_name) + "-probe", probe, keep=False)
        if code != 0:
            raise self._failed(f"the read-only probe failed in the guest (exit {code}): {_tail(output)}")
        findings = parse_findings(output, self.windows)
        try:
            changes = tuple((nic, findings.guest_nic(nic)) for nic in self.nics)
        except ProbeError as exc:
            raise self._failed(str(exc)) from None
        for _, found in changes:
            now = ", ".join(findings.addresses.get(found.interface, [])) or "no IPv4 address"
            current.append(f"guest: {found.interface} (MAC {findings.links.get(found.interface, '?')}) configured by {found.method}: {now}")
        return RestorePlan(self.vm_name, self.windows, tuple(current), changes, configuration_script(list(changes)))

    def apply(self, plan: RestorePlan) -> str:
        with self._guest() as (vm, ops):
            code, output = self._run_script(ops, _file_stem(self.vm_name), plan.script)
            if code != 0:
                # Windows applies each cmdlet at once, so its script undoes a half-done change (see powershell_script).
                back = "; it then tried to put the adapter back on DHCP, as the probe found it" if plan.windows else ""
                raise self._failed(f"the configuration script failed in the guest (exit {code}): {_tail(output)}{back}")
            self._verify(vm)
        done = "; ".join(f"{nic.describe()} set on {found.interface} through {found.method}" for nic, found in plan.changes)
        return f"{done}; vCenter shows it as manual"

    def _verify(self, vm: Any) -> None:
        wanted = {str(interface.ip) for nic in self.nics for interface in nic.interfaces}
        limit = self.site.guest_operations.verify_seconds
        deadline = time.monotonic() + limit
        while True:
            manual = {address for address, origin in _guest_addresses(vm) if origin == "manual"}
            if wanted <= manual:
                return
            if time.monotonic() > deadline:
                now = ", ".join(_vcenter_addresses(vm)) or "nothing"
                raise self._failed(f"the script ran, but after {limit:g} s vCenter's guest info shows {now}, "
                                   f"not {', '.join(sorted(wanted))} as manual")
            self._sleep(2.0)


def _guest_addresses(vm: Any) -> list[tuple[str, str | None]]:
    return [(address.ipAddress, address.origin) for nic in (vm.guest.net or []) if nic.ipConfig
            for address in nic.ipConfig.ipAddress or [] if ":" not in address.ipAddress]


def _vcenter_addresses(vm: Any) -> list[str]:
    return [f"{address.ipAddress}/{address.prefixLength} ({address.origin or 'unknown origin'}) on MAC {nic.macAddress}"
            for nic in (vm.guest.net or []) if nic.ipConfig for address in nic.ipConfig.ipAddress or [] if ":" not in address.ipAddress]


def _tail(output: str, lines: int = 5) -> str:
    return " | ".join(line for line in output.strip().splitlines()[-lines:]) or "no output"
