"""Fixes applied over SSH: install the packages a Linux master target lacks, with its own package manager."""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.site import MasterTarget, Site
from failback.checks.sources.ssh import CommandResult, SshFailure, SshSession, master_target_access
from failback.remediations.fixes.base import FixAction, FixError, subject_name

# apt-get or yum on a slow mirror takes minutes, not the seconds the site allows a query.
INSTALL_TIMEOUT_SECONDS = 900.0

# Non-interactive, by package manager: there is no terminal to answer a prompt, and a prompt would stall the install.
# DEBIAN_FRONTEND is set through env, an argument like any other, so it also reaches apt-get through sudo (which resets
# the environment).
INSTALL_ARGV = {
    "dpkg": ("env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends"),
    "rpm": ("yum", "install", "-y"),
}
# -n: fail at once when sudo wants a password, instead of waiting for one nobody will type.
SUDO = ("sudo", "-n")
# What sudo says when it will not run the command unattended, and what the administrator can do about it.
_SUDO_REFUSALS = {
    "password is required": "asks {user} for a password, and the tool never types one: let {user} run the package manager "
                            "without a password (NOPASSWD in sudoers)",
    "must have a tty": "wants a terminal (Defaults requiretty, CentOS 6's default): add `Defaults:{user} !requiretty` to sudoers",
}

# Debian and RPM package names; anything else (an option such as "-o...", a space) is refused, not passed on.
_PACKAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._-]*")
_STDERR_TAIL_LINES = 5


def install_argv(package_manager: str, packages: Sequence[str], ssh_user: str) -> tuple[str, ...]:
    """The install command as run on the master target: through sudo unless the SSH user is root."""
    as_root = () if ssh_user == "root" else SUDO
    return (*as_root, *INSTALL_ARGV[package_manager], *packages)


def install_failure(name: str, user: str, done: CommandResult) -> FixError:
    """What a failed install says: sudo refusing to run unattended is named as such; otherwise the command's last words."""
    for said, reason in _SUDO_REFUSALS.items():
        if said in done.stderr:
            return FixError(f"nothing was installed: sudo on {name} {reason.format(user=user)}, or connect as root")
    lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
    tail = " | ".join(lines[-_STDERR_TAIL_LINES:]) or "no output"
    return FixError(f"`{done.command}` on {name} exited {done.exit_status}: {tail}")


def _master_target(site: Site, name: str) -> MasterTarget | None:
    return next((mt for mt in site.master_targets if mt.name == name), None)


def _refusal(result: Result, master_target: MasterTarget | None, name: str) -> str | None:
    """Why nothing will be installed on that master target, or None when the evidence says exactly what to install."""
    evidence = result.evidence
    if master_target is None:
        return f"the site file lists no master target named {name}"
    if master_target.os != "linux":
        return f"{name} is a Windows master target: this fix installs packages on Linux master targets over SSH"
    if "failure" in evidence:
        return f"{name} could not be reached or trusted over SSH: {result.message}"
    if evidence.get("package_manager") not in INSTALL_ARGV:
        return f"the package manager of {name} is unknown (neither dpkg nor rpm): {result.message}"
    if evidence.get("host_key_verified") is False:
        return (f"the host key of {name} was not verified (insecure_host_keys = true): the tool installs nothing as root on a host "
                f"it has not identified. Add the key to {master_target.known_hosts} and turn insecure_host_keys off")
    missing = evidence.get("missing") or []
    if not missing:
        return f"nothing is known to be missing on {name}: {result.message}"
    unfit = [package for package in missing if not _PACKAGE_NAME.fullmatch(package)]
    if unfit:
        return f"not package names: {', '.join(map(repr, unfit))}"
    return None


class InstallMasterTargetPackages:
    """Install the packages mt.linux_packages found missing, with apt-get or yum, over the SSH access the check used."""

    check_ids = ("mt.linux_packages",)
    source = "ssh"

    def plan(self, result: Result, facts: Facts) -> FixAction:
        name = subject_name(result)
        master_target = _master_target(facts.site, name)
        refused = _refusal(result, master_target, name)
        if refused is not None:
            return FixAction(result.check, result.target, f"install the missing packages on master target {name}", refused=refused)
        packages = tuple(result.evidence["missing"])
        argv = install_argv(result.evidence["package_manager"], packages, master_target.ssh_user)
        access = master_target_access(master_target)
        through = f" through {access.jump_host}" if access.jump_host else ""
        return FixAction(
            result.check, result.target,
            f"install {', '.join(packages)} on master target {name} ({access.user}@{access.host}:{access.port}{through}): {shlex.join(argv)}",
            details=(("master_target", name), ("packages", packages), ("argv", argv)),
        )

    def apply(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> str:
        name, argv = action.detail("master_target"), action.detail("argv")
        master_target = _master_target(site, name)
        if master_target is None:
            raise FixError(f"the site file no longer lists master target {name}: nothing was installed")
        # Verified whatever the site file says: nothing is installed as root on a host the tool has not identified.
        access = dataclasses.replace(master_target_access(master_target), verify_host_keys=True)
        try:
            with SshSession(access, secrets["ssh"]) as session:
                done = self._install(session, name, argv)
        except SshFailure as failure:
            raise FixError(f"nothing was installed on {name}: {failure.reason}") from None
        if not done.ok:
            raise install_failure(name, access.user, done)
        return f"installed {', '.join(action.detail('packages'))} on {name} with `{done.command}`"

    @staticmethod
    def _install(session: SshSession, name: str, argv: Sequence[str]) -> CommandResult:
        try:
            return session.run(argv, timeout=INSTALL_TIMEOUT_SECONDS)
        except SshFailure as failure:
            # Connected, so the package manager may have started: say so rather than "nothing was installed".
            raise FixError(f"{failure.reason}; the installation on {name} may be incomplete or still running: "
                           f"look at the package manager's log there before trying again") from None
