"""The site: what one failback is about, as the site file (TOML) describes it. Validated, never holding a secret."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from checks.model import Experience


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VCenter(_Section):
    host: str
    port: int = Field(443, ge=1, le=65535)
    user: str
    password_env: str | None = None  # absent: prompted for when stdin is a terminal
    ca_file: str | None = None
    thumbprint: str | None = None  # SHA-256 (or SHA-1) of the server certificate, "AB:CD:..."
    insecure: bool = False  # turns certificate verification off: explicit and loud, never a default
    datacenter: str
    discovery_user: str | None = None  # the account ASR discovers with; defaults to user
    target_hosts: list[str] = []  # ESXi hosts VMs may come back to, besides the hosts they ran on
    timeout_seconds: float = Field(20.0, gt=0, le=600)

    @field_validator("thumbprint")
    @classmethod
    def _thumbprint_is_hex(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = value.replace(":", "").strip()
        if len(digits) not in (40, 64) or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ValueError("must be the certificate's SHA-256 (or SHA-1) fingerprint in hex, like 'AB:CD:...'")
        return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2)).upper()

    @property
    def discovery_account(self) -> str:
        return self.discovery_user or self.user


class Azure(_Section):
    subscription_id: str
    resource_group: str
    vault: str
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: str | None = None
    arm_endpoint: str = "https://management.azure.com"
    authority: str = "https://login.microsoftonline.com"
    ca_file: str | None = None
    vpn_connections: list[str] = []
    expressroute_circuits: list[str] = []
    recovery_plan: str | None = None
    timeout_seconds: float = Field(30.0, gt=0, le=600)


class ConfigServer(_Section):
    """The configuration server (classic) or the replication appliance (modernized)."""

    host: str
    ip: str | None = None  # the address it was registered with
    port: int = Field(443, ge=1, le=65535)
    vm_name: str | None = None  # its VM in vCenter: the host it runs on must see the target datastores


class ProcessServer(_Section):
    host: str
    port: int = Field(9443, ge=1, le=65535)


class Dns(_Section):
    onprem_servers: list[str] = []
    azure_servers: list[str] = []


class MasterTarget(_Section):
    name: str  # VM name in vCenter
    host: str | None = None  # address for SSH and the data port
    ssh_user: str = "root"
    ssh_key: str | None = None
    known_hosts: str = "~/.ssh/known_hosts"
    port: int = Field(9443, ge=1, le=65535)


class Vm(_Section):
    name: str  # VM name in vCenter = the protected item's friendlyName in ASR
    recovery_location: Literal["original", "alternate"] = "original"
    master_target: str | None = None  # classic: which master target serves it; defaults to the only one
    target_host: str | None = None  # where it comes back; defaults to the host it ran on
    datastore: str | None = None  # where its disks come back; defaults to where they are


class Policy(_Section):
    """Thresholds a site may tighten or relax; defaults follow Microsoft's guidance where it gives one."""

    time_skew_max_seconds: int = Field(120, ge=1)
    datastore_headroom_percent: int = Field(10, ge=0, le=100)


class Site(_Section):
    name: str | None = None
    experience: Experience
    vcenter: VCenter
    azure: Azure | None = None
    config_server: ConfigServer | None = None
    process_server: ProcessServer | None = None
    dns: Dns = Dns()
    master_targets: list[MasterTarget] = []
    vms: list[Vm] = []
    policy: Policy = Policy()
    # Not a file key: the file's stem, so reports can name a site whose file has no `name`.
    source_stem: str | None = None

    @model_validator(mode="after")
    def _names_refer_to_what_exists(self) -> Site:
        mt_names = {mt.name for mt in self.master_targets}
        for vm in self.vms:
            if vm.master_target is not None and vm.master_target not in mt_names:
                raise ValueError(f"vm {vm.name!r} names master_target {vm.master_target!r}, which no [[master_targets]] defines")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.source_stem or "site"

    def master_target_for(self, vm: Vm) -> MasterTarget | None:
        if vm.master_target is not None:
            return next(mt for mt in self.master_targets if mt.name == vm.master_target)
        return self.master_targets[0] if len(self.master_targets) == 1 else None

    def vms_served_by(self, master_target: MasterTarget) -> list[Vm]:
        return [vm for vm in self.vms if self.master_target_for(vm) == master_target]
