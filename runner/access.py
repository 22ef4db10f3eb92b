"""Access to a site's peers: the secrets it names (asked once, kept in memory), and the sources they open.

Shared by every command that talks to a site (check, collect, fix) and by the TUI; nothing here prints or exits.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from failback.checks.facts import Facts
from failback.checks.site import Site
from failback.checks.sitefile import missing_environment
from failback.runner.engine import Collector, Selection, collect, select_collectors

PasswordPrompt = Callable[[str], str]


class AccessError(Exception):
    """A secret the site needs cannot be had: an unset variable (named with file, line and key) or no way to ask."""


class SiteAccess:
    def __init__(self, site: Site, site_path: Path, prompt: PasswordPrompt | None = None):
        self.site = site
        self.site_path = site_path
        self._prompt = prompt  # None: never ask (no terminal)
        self._vcenter_password: str | None = None

    def _unset(self, key_suffix: str) -> None:
        problems = [p for p in missing_environment(self.site, self.site_path) if p.key.endswith(key_suffix)]
        if problems:
            raise AccessError(str(problems[0]))

    def vcenter_password(self) -> str:
        if self._vcenter_password is None:
            settings = self.site.vcenter
            if settings.password_env:
                self._unset("vcenter.password_env")
                self._vcenter_password = os.environ[settings.password_env]
            elif self._prompt is not None:
                self._vcenter_password = self._prompt(f"Password for {settings.user} on {settings.host}: ")
            else:
                raise AccessError(f"{self.site_path}: [vcenter] has no password_env and there is no terminal to ask for the password")
        return self._vcenter_password

    def ssh_passphrases(self) -> dict[str, str]:
        """The key passphrases the site names, by variable; an unset one is a bad site, never a prompt."""
        self._unset("ssh_key_passphrase_env")
        names = [mt.ssh_key_passphrase_env for mt in self.site.master_targets]
        if self.site.config_server is not None:
            names.append(self.site.config_server.backup_ssh_key_passphrase_env)
        return {name: os.environ[name] for name in names if name}

    def azure_secret(self) -> str | None:
        """The client secret, when the site signs in to Azure with one; an unset variable is a bad site, never a prompt."""
        from failback.checks.sources.azure_session import credential_kind

        settings = self.site.azure
        if settings is None or credential_kind(settings) != "client_secret":
            return None
        self._unset("azure.client_secret_env")
        return os.environ[settings.client_secret_env] if settings.client_secret_env else None

    def secrets(self, source: str) -> Any:
        """What a fix of that source needs to log in."""
        return {"vcenter": self.vcenter_password, "ssh": self.ssh_passphrases, "azure": self.azure_secret}[source]()

    def _factories(self, selection: Selection) -> dict[str, Callable[[], Collector]]:
        """Each source's module is imported only when a selected check reads it (paramiko alone takes 0.3 s); vCenter's
        device lists are read for every VM only when a selected check weighs their disks."""
        site = self.site
        selected = {check.meta.id for check in selection.checks()}

        def vcenter() -> Collector:
            source = importlib.import_module("failback.checks.sources.vcenter")
            return source.VCenterSource(site, self.vcenter_password(), every_disk=bool(selected & source.EVERY_DISK_CHECKS)).collect

        return {
            "vcenter": vcenter,
            # Guest passwords are read per VM from the environment: one that is not set is a VM not looked into.
            "guest": lambda: _source("guest", "GuestSource")(site, self.vcenter_password()).collect,
            "tcp": lambda: _source("tcp", "TcpSource")(site).collect,
            "dns": lambda: _source("dns", "DnsSource")(site).collect,
            "ssh": lambda: _source("master_targets", "MasterTargetSource")(site, self.ssh_passphrases()).collect,
            "backup": lambda: _source("backup", "BackupSource")(site, self.ssh_passphrases()).collect,
            "azure": lambda: _source("azure", "AzureSource")(site, self.azure_secret()).collect,
        }

    def collect(self, selection: Selection) -> Facts:
        """Facts from the sources the selected checks read, gathered concurrently."""
        return collect(self.site, select_collectors(self.site, selection, self._factories(selection)))


def _source(module: str, name: str) -> type:
    return getattr(importlib.import_module(f"failback.checks.sources.{module}"), name)
