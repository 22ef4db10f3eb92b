"""One site file naming every kind of peer at once: the lab vCenter, the fake ARM, a Linux master target over SSH, the
configuration server's backups over SFTP, DNS servers and ports; each at whatever address a test puts in front of it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from failback.lab.fake_arm.scenarios import LabAzure
from failback.lab.site import DISCOVERY_USER, PASSWORD_ENV, LabSite


def toml_table(header: str, keys: dict[str, Any]) -> str:
    """A TOML table of strings, numbers, booleans and lists of them (JSON writes those as TOML does)."""
    return header + "\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items() if value is not None)


@dataclass
class SiteParts:
    vcenter: LabSite
    vcenter_port: int
    azure: LabAzure
    master_target: dict[str, Any]  # a [[master_targets]] entry
    config_server: dict[str, Any] = field(default_factory=dict)  # keys added to host, ip and vm_name
    dns: dict[str, Any] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    azure_overrides: dict[str, Any] = field(default_factory=dict)
    vcenter_extra: dict[str, Any] = field(default_factory=dict)
    vcenter_timeout: float = 1


def whole_site(parts: SiteParts) -> str:
    lab = parts.vcenter
    vcenter = {
        "host": lab.sim.host, "port": parts.vcenter_port, "user": lab.sim.username, "password_env": PASSWORD_ENV,
        "ca_file": lab.sim.ca_file, "datacenter": lab.admin.datacenter_name(), "discovery_user": DISCOVERY_USER,
        "timeout_seconds": parts.vcenter_timeout, **parts.vcenter_extra,
    }
    config_server = {"host": "127.0.0.1", "ip": "127.0.0.1", "vm_name": "asr-appliance", **parts.config_server}
    tables = [
        'name = "hardening"\nexperience = "classic"\n',
        toml_table("[vcenter]", vcenter),
        parts.azure.azure_section(**parts.azure_overrides),
        toml_table("[config_server]", config_server),
        toml_table("[dns]", parts.dns),
        toml_table("[policy]", parts.policy),
        toml_table("[[master_targets]]", parts.master_target),
        *(toml_table("[[vms]]", {"name": vm}) for vm in lab.vms),
    ]
    return "\n".join(tables)
