"""The site: what one failback is about, as the site file (TOML) describes it. Validated, never holding a secret."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from failback.checks.model import Experience


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


# ARM endpoint and Entra ID authority of each cloud.
AZURE_CLOUDS = {
    "public": ("https://management.azure.com", "https://login.microsoftonline.com"),
    "usgov": ("https://management.usgovcloudapi.net", "https://login.microsoftonline.us"),
    "china": ("https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}


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
    # Which cloud: sets arm_endpoint and authority when the file does not give them.
    cloud: Literal["public", "usgov", "china"] = "public"
    audience: str | None = None  # the token audience for ARM; defaults to arm_endpoint (set it for private endpoints)
    # Absent: client_secret when client_id and client_secret_env are set, else DefaultAzureCredential.
    credential: Literal["default", "client_secret", "managed_identity", "azure_cli"] | None = None
    max_parallel_calls: int = Field(32, ge=1, le=256)
    # ARM's read limit per identity and subscription (a burst of ten seconds' worth, then this many a second): calls wait
    # for it rather than meet 429s. Lower it when other automation shares the identity.
    arm_reads_per_second: float = Field(25.0, gt=0, le=100000)
    retry_total: int = Field(3, ge=0, le=10)  # throttling (429) and 5xx answers are retried with backoff...
    retry_backoff_seconds: float = Field(0.8, ge=0, le=60)  # ...doubling from this, honouring Retry-After
    poll_interval_seconds: float = Field(5.0, ge=0, le=60)  # between polls of a long-running call that names no Retry-After
    vm_resource_group: str | None = None  # where failed-over Azure VMs are when ASR does not say (classic, after reprotect)
    path_from: list[str] = []  # Azure VMs (names in resource_group, or ids) to test the path from; default: one failed-over VM
    network_watcher: str | None = None  # name in network_watcher_resource_group, or id; default: NetworkWatcher_<VM's region>
    network_watcher_resource_group: str = "NetworkWatcherRG"
    job_history_hours: int = Field(72, ge=1, le=24 * 30)  # how far back ASR jobs are read
    # What `failback run` hands ASR (ids as the portal shows them; absent ones are left to ASR's defaults):
    recovery_point: Literal["latest", "app-consistent", "crash-consistent"] = "latest"
    failback_policy_id: str | None = None  # the replication policy toward on-premises (classic: the profile)
    reprotect_policy_id: str | None = None  # the replication policy back to Azure
    run_as_account_id: str | None = None
    storage_account_id: str | None = None  # classic reprotect back to Azure
    log_storage_account_id: str | None = None
    retention_drive: str | None = None  # classic master target's retention volume; default /mnt/retention (Linux) or R:
    job_poll_seconds: float = Field(30.0, gt=0, le=600)  # how often a running ASR job is read

    @model_validator(mode="before")
    @classmethod
    def _cloud_endpoints(cls, data: object) -> object:
        # `cloud` may be anything here, a list too (unhashable): its own validation says what is wrong with it.
        if isinstance(data, dict) and isinstance(data.get("cloud"), str) and data["cloud"] in AZURE_CLOUDS:
            endpoints = AZURE_CLOUDS[data["cloud"]]
            data = {"arm_endpoint": endpoints[0], "authority": endpoints[1], **data}
        return data

    @model_validator(mode="after")
    def _client_secret_is_complete(self) -> Azure:
        if self.credential == "client_secret" and not (self.tenant_id and self.client_id and self.client_secret_env):
            raise ValueError("credential = \"client_secret\" needs tenant_id, client_id and client_secret_env")
        return self


def _ip_literal(value: str) -> str:
    ipaddress.ip_address(value)  # its ValueError names the bad value
    return value


def _one_jump_host(value: str) -> str:
    if not value.strip() or "," in value or " " in value.strip():
        raise ValueError("must be one bastion as [user@]host[:port]")
    return value


IpAddress = Annotated[str, AfterValidator(_ip_literal)]
# OpenSSH's ProxyJump form, one hop.
JumpHost = Annotated[str, AfterValidator(_one_jump_host)]


class ConfigServer(_Section):
    """The configuration server (classic) or the replication appliance (modernized)."""

    host: str
    ip: IpAddress | None = None  # the address it was registered with
    port: int = Field(443, ge=1, le=65535)
    vm_name: str | None = None  # its VM in vCenter: the host it runs on must see the target datastores
    version: str | None = None  # its agent version, e.g. "9.54.0.0", until the ASR facts tell it
    # Where its backups land: a path on this machine (local or a mounted share), or over SFTP when backup_ssh_user is set.
    backup_path: str | None = None
    backup_ssh_host: str | None = None  # defaults to host
    backup_ssh_port: int = Field(22, ge=1, le=65535)
    backup_ssh_user: str | None = None
    backup_ssh_key: str | None = None  # absent: the SSH agent
    backup_ssh_key_passphrase_env: str | None = None
    backup_ssh_known_hosts: str = "~/.ssh/known_hosts"
    backup_ssh_jump_host: JumpHost | None = None
    backup_ssh_insecure_host_keys: bool = False  # turns host-key verification OFF: explicit and loud, never a default
    backup_timeout_seconds: float = Field(15.0, gt=0, le=600)  # per SSH step, and for listing a local or mounted path

    @property
    def backup_over_sftp(self) -> bool:
        return self.backup_ssh_user is not None


class ProcessServer(_Section):
    host: str
    port: int = Field(9443, ge=1, le=65535)
    version: str | None = None  # its agent version, until the ASR facts tell it


class Dns(_Section):
    onprem_servers: list[str] = []  # "address" or "address:port" ("[v6]:port"); none: this machine's resolver
    azure_servers: list[str] = []
    timeout_seconds: float = Field(3.0, gt=0, le=60)  # per query

    @field_validator("onprem_servers", "azure_servers")
    @classmethod
    def _servers_are_addresses(cls, servers: list[str]) -> list[str]:
        for server in servers:
            parse_server(server)
        return servers


def parse_server(server: str) -> tuple[str, int]:
    """'10.0.0.2', '10.0.0.2:5353', '::1' or '[::1]:5353' -> (address, port); a DNS server must be an IP address."""
    text = server.strip()
    address, port = text, 53
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        if rest:
            port = int(rest.removeprefix(":")) if rest.startswith(":") and rest[1:].isdigit() else -1
    elif text.count(":") == 1:
        address, _, digits = text.partition(":")
        port = int(digits) if digits.isdigit() else -1
    if not 1 <= port <= 65535:
        raise ValueError(f"{server!r}: the port must be a number from 1 to 65535")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{server!r} is not an IP address (optionally with :port)") from None
    return address, port


def is_ip_address(text: str) -> bool:
    """An IP literal, which DNS checks do not resolve."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def normalise_host(name: str) -> str:
    """A host name as the DNS facts key it: case-insensitive, the root dot implied."""
    return name.strip().rstrip(".").lower()


class MasterTarget(_Section):
    name: str  # VM name in vCenter
    host: str | None = None  # address for SSH and the data port
    ssh_user: str = "root"
    ssh_key: str | None = None  # absent: the SSH agent
    known_hosts: str = "~/.ssh/known_hosts"
    port: int = Field(9443, ge=1, le=65535)
    os: Literal["linux", "windows"] = "linux"  # the SSH checks apply to Linux master targets
    ssh_port: int = Field(22, ge=1, le=65535)
    ssh_key_passphrase_env: str | None = None
    jump_host: JumpHost | None = None  # a bastion, as OpenSSH's ProxyJump: [user@]host[:port]
    insecure_host_keys: bool = False  # turns host-key verification OFF: explicit and loud, never a default
    ssh_timeout_seconds: float = Field(15.0, gt=0, le=600)


class Endpoint(_Section):
    """One more TCP endpoint the failback depends on, probed like the configuration server's and process server's ports."""

    name: str
    host: str
    port: int = Field(ge=1, le=65535)
    tls: bool = False  # also complete a TLS handshake and report the certificate


class Vm(_Section):
    name: str  # VM name in vCenter = the protected item's friendlyName in ASR
    recovery_location: Literal["original", "alternate"] = "original"
    master_target: str | None = None  # classic: which master target serves it; defaults to the only one
    target_host: str | None = None  # where it comes back; defaults to the host it ran on
    datastore: str | None = None  # where its disks come back; defaults to where they are
    root_filesystem: str | None = None  # filesystem of its root/boot volume: "xfs" or "reiserfs" need extra master target packages
    # The guest OS account VMware Tools guest operations log in with (to restore its static IP); defaults to [guest_operations].
    guest_user: str | None = None
    guest_password_env: str | None = None  # the environment variable holding its password

    @field_validator("root_filesystem")
    @classmethod
    def _lowercase(cls, value: str | None) -> str | None:
        return value.strip().lower() if value is not None else None


class GuestOperations(_Section):
    """Site-wide defaults for VMware Tools guest operations (the static IP restore after failback)."""

    user: str | None = None  # a guest account that may reconfigure the network (root, or Administrator)
    password_env: str | None = None
    program_timeout_seconds: float = Field(120.0, gt=0, le=3600)  # a script running longer in the guest is stopped
    verify_seconds: float = Field(60.0, gt=0, le=1800)  # how long vCenter's guest info may take to show the restored address


class Policy(_Section):
    """Thresholds a site may tighten or relax; defaults follow Microsoft's guidance where it gives one."""

    time_skew_max_seconds: int = Field(120, ge=1)
    datastore_headroom_percent: int = Field(10, ge=0, le=100)
    # The redo log (snapshot) a reprotect keeps beside each disk while it replicates, as a share of the disk's size.
    reprotect_redo_percent: int = Field(10, ge=0, le=100)
    probe_timeout_seconds: float = Field(5.0, gt=0, le=120)  # a port that takes longer to connect counts as timed out
    certificate_warn_days: int = Field(30, ge=0)  # a certificate expiring sooner is a warning
    backup_max_age_hours: float = Field(24.0, gt=0)
    # ASR's guidance sizes a Linux master target's retention disk at 1 TB: the change log of every disk failing back.
    retention_min_free_gb: float = Field(1024.0, ge=0)
    heartbeat_max_age_minutes: int = Field(15, ge=1)  # an ASR server or agent silent for longer is down (error 806)
    # A source still collecting after this long is abandoned, its checks errors: reads have timeouts, a dripping peer
    # could stretch their sum without end.
    source_deadline_seconds: float = Field(300.0, gt=0, le=3600)


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
    endpoints: list[Endpoint] = []
    guest_operations: GuestOperations = GuestOperations()
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

    def guest_account(self, vm: Vm) -> tuple[str, str] | None:
        """The guest user and the environment variable of its password for this VM, when the site names both."""
        user = vm.guest_user or self.guest_operations.user
        password_env = vm.guest_password_env or self.guest_operations.password_env
        return (user, password_env) if user and password_env else None

    def vms_served_by(self, master_target: MasterTarget) -> list[Vm]:
        return [vm for vm in self.vms if self.master_target_for(vm) == master_target]
