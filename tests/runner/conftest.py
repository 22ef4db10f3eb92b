"""A whole lab site for the runner: the lab vCenter and the fake ARM together, the host-level peers waived."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from failback.checks.registry import all_checks
from failback.lab.fake_arm import scenarios
from failback.lab.fake_arm.scenarios import LabAzure, start_lab
from failback.lab.fake_arm.state import SecurityRule
from failback.lab.site import LabSite

HOST_LEVEL_SOURCES = {"tcp", "dns", "ssh", "backup"}


@dataclass
class RunLab:
    vcenter: LabSite
    azure: LabAzure
    site_path: Path
    waivers: Path
    state_dir: Path

    def env(self) -> dict[str, str]:
        return {**self.vcenter.env(), **self.azure.env()}

    def failback(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "failback.cli", "run", "--site", str(self.site_path), "--waivers", str(self.waivers),
                   "--state-dir", str(self.state_dir), *args]
        return subprocess.run(command, capture_output=True, text=True, env=self.env(), timeout=timeout, stdin=subprocess.DEVNULL)


def write_run_site(vcenter: LabSite, azure: LabAzure, directory: Path, **azure_overrides: object) -> Path:
    text = vcenter.site_path.read_text().replace('experience = "classic"', f'experience = "{azure.experience}"')
    # Every on-prem peer stays on loopback: the tool probes them, and tests reach nothing else. The configuration
    # server's registered address is the one the Azure side knows; the fake's NSG lets the lab master target's port out.
    registered = scenarios.CONFIG_SERVER_IP if azure.experience == "classic" else scenarios.APPLIANCE_IP
    text = text.replace('[config_server]\nhost = "127.0.0.1"', f'[config_server]\nhost = "127.0.0.1"\nip = "{registered}"')
    nsg = azure.world.group(scenarios.RECOVERY_GROUP).security_groups[scenarios.NSG]
    nsg.rules.append(SecurityRule("Allow-Lab-Master-Target", 120, "Outbound", "Allow", "Tcp", "9443", "127.0.0.0/8"))
    if azure.experience == "modernized":
        text = text.split("[[master_targets]]")[0] + "[[vms]]" + text.split("[[vms]]", 1)[1]
    else:  # classic failback replicates through the process server in Azure, which the site names
        text += f'[process_server]\nhost = "{scenarios.PROCESS_SERVER_IP}"\n'
    azure.discover_datastores(vcenter.admin.datastore_names())
    azure.discover_vcenter(vcenter.sim.host, vcenter.admin.instance_uuid())
    path = directory / "run-site.toml"
    path.write_text(text + azure.azure_section(job_poll_seconds=0.05, **azure_overrides))
    return path


def host_level_waivers(directory: Path) -> Path:
    """The lab starts vCenter and ARM for these tests, not the SSH, DNS and port peers: their checks are waived."""
    lines = []
    for check in all_checks():
        if set(check.meta.sources) <= HOST_LEVEL_SOURCES:
            lines += ["[[waiver]]", f'check = "{check.meta.id}"', 'justification = "runner tests start no SSH, DNS or port peers"',
                      'approver = "test suite"', "expires = 2099-12-31", ""]
    path = directory / "waivers.toml"
    path.write_text("\n".join(lines))
    return path


@pytest.fixture(params=["classic", "modernized"])
def run_lab(request, lab, tmp_path) -> RunLab:
    azure = start_lab(request.param)
    try:
        yield RunLab(lab, azure, write_run_site(lab, azure, tmp_path), host_level_waivers(tmp_path), tmp_path / "state")
    finally:
        azure.arm.stop()
