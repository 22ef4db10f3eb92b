"""The fake's world: one subscription's resource groups, with a Site Recovery vault and the network and compute around it.

Plain dataclasses that tests, the lab scenarios and (later) the runner's actions edit directly; the *_api modules
render them as ARM answers. Names are case-insensitive, as ARM's are; ids are set when a resource is added to its
resource group. Times are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, TypeVar

Resource = TypeVar("Resource")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def minutes_ago(minutes: float) -> dt.datetime:
    return utc_now() - dt.timedelta(minutes=minutes)


def _recent() -> dt.datetime:
    return minutes_ago(2)


def new_guid() -> str:
    return str(uuid.uuid4())


class Named(dict):
    """Resources by name, case-insensitively (ARM names are)."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def pop(self, key: str, *default: Any) -> Any:
        return super().pop(key.lower(), *default)

    def add(self, resource: Resource) -> Resource:
        self[resource.name] = resource  # type: ignore[attr-defined]
        return resource


# -- Site Recovery ------------------------------------------------------------------------------------------------------
@dataclass
class HealthIssue:
    """An ASR health error on an item, a server or a fabric, as the portal shows it."""

    code: str
    message: str
    possible_causes: str = ""
    recommended_action: str = ""
    level: str = "Error"  # Error | Warning


@dataclass
class ConfigServer:
    """Classic: the configuration server a VMware fabric stands for."""

    host_name: str
    ip_address: str
    agent_version: str = "9.54.6652.1"
    last_heartbeat: dt.datetime = field(default_factory=_recent)
    service_status: str = "Running"
    certificate_expiry: dt.datetime = field(default_factory=lambda: utc_now() + dt.timedelta(days=300))


@dataclass
class ProcessServer:
    name: str
    ip_address: str
    agent_version: str = "9.54.6652.1"
    last_heartbeat: dt.datetime = field(default_factory=_recent)
    total_space_bytes: int = 1024**4
    available_space_bytes: int = 600 * 1024**3
    service_status: str = "Running"
    health: str = "Normal"
    health_errors: list[HealthIssue] = field(default_factory=list)
    in_azure: bool = False  # an Azure VM in the failed-over VMs' network: classic failback replicates through it
    cpu_load_percent: int = 25
    total_memory_bytes: int = 32 * 1024**3
    available_memory_bytes: int = 20 * 1024**3
    id: str = field(default_factory=new_guid)


@dataclass
class DataStore:
    """A datastore as a master target's host reports it to the configuration server."""

    symbolic_name: str
    capacity_gb: int = 4096
    free_space_gb: int = 2048
    type: str = "VMFS"
    uuid: str = field(default_factory=new_guid)


@dataclass
class RetentionVolume:
    """A volume of a master target that can hold the failback's retention logs."""

    volume_name: str
    capacity_bytes: int = 1024**4
    free_space_bytes: int = 900 * 1024**3
    threshold_percentage: int = 80


@dataclass
class MasterTarget:
    """Classic: a master target server registered with the configuration server."""

    name: str
    ip_address: str
    os_type: str = "Linux"
    agent_version: str = "9.54.6652.1"
    last_heartbeat: dt.datetime = field(default_factory=_recent)
    disk_count: int = 3
    health_errors: list[HealthIssue] = field(default_factory=list)
    data_stores: list[DataStore] = field(default_factory=list)
    retention_volumes: list[RetentionVolume] = field(default_factory=list)
    id: str = field(default_factory=new_guid)


@dataclass
class RunAsAccount:
    """Classic: an account the configuration server holds (vCenter discovery, push install)."""

    name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4().int % 10**6))


@dataclass
class ReprotectAgent:
    """Modernized: the appliance component that writes failback data to a datastore it can see."""

    name: str
    fqdn: str
    version: str = "9.62.7172.1"
    last_heartbeat: dt.datetime = field(default_factory=_recent)
    health: str = "Normal"
    health_errors: list[HealthIssue] = field(default_factory=list)
    accessible_datastores: list[str] = field(default_factory=list)
    protected_item_count: int = 0
    id: str = field(default_factory=new_guid)


@dataclass
class Appliance:
    """Modernized: a replication appliance, as the vault's RCM proxy list shows it."""

    name: str
    fqdn: str
    version: str = "9.62.7172.1"
    last_heartbeat: dt.datetime = field(default_factory=_recent)
    health: str = "Normal"
    health_errors: list[HealthIssue] = field(default_factory=list)
    id: str = field(default_factory=new_guid)


@dataclass
class RecoveryPoint:
    time: dt.datetime
    type: str = "CrashConsistent"  # or ApplicationConsistent
    name: str = field(default_factory=new_guid)


# What each provider is: forward (on-prem -> Azure) or reverse (Azure -> on-prem), and its experience.
CLASSIC_PROVIDERS = ("InMageAzureV2", "InMage")
MODERNIZED_PROVIDERS = ("InMageRcm", "InMageRcmFailback")


@dataclass
class ProtectedItem:
    """A replicated VM. Its provider and active location say where it is in the failback."""

    friendly_name: str
    provider: str  # InMageAzureV2 | InMage | InMageRcm | InMageRcmFailback
    active_location: str = "Recovery"  # Primary (on-prem) | Recovery (Azure)
    protection_state: str = "FailoverCommitted"
    protection_state_description: str = "Failover committed"
    allowed_operations: list[str] = field(default_factory=lambda: ["ReverseReplicate", "DisableProtection"])
    replication_health: str = "Normal"
    health_errors: list[HealthIssue] = field(default_factory=list)
    current_job: str | None = None  # name of a running job in the vault
    os_type: str = "Linux"
    distro: str | None = "Ubuntu-20.04-64"
    disk_sizes_gb: list[int] = field(default_factory=lambda: [64])  # each protected disk's size on-premises, the OS disk first
    # Each protected disk's id as ASR reports it (modernized: the vCenter disk's UUID); unset, "disk-<index>".
    source_disk_ids: list[str] = field(default_factory=list)
    azure_vm_id: str | None = None
    source_ip_address: str = "10.0.0.50"
    source_ip_type: str = "Static"  # how the on-prem NIC got its address, as ASR discovered it
    process_server_id: str | None = None
    master_target_id: str | None = None
    reprotect_agent_id: str | None = None
    target_datastore: str | None = None
    # Where replication to Azure kept its data and logs (classic: the item's; modernized: every protected disk's).
    storage_account_id: str | None = None
    log_storage_account_id: str | None = None
    run_as_account_id: str | None = None
    multi_vm_group: str | None = None  # the replication group: its VMs fail over (and back) consistently, together
    agent_version: str = "9.54.6652.1"
    agent_last_heartbeat: dt.datetime = field(default_factory=_recent)
    agent_registered_after_failover: bool = True
    recovery_points: list[RecoveryPoint] = field(default_factory=list)
    # The vCenter ASR discovered the VM through: classic vCenterInfrastructureId; modernized discoveredVmDetails'
    # vCenterId and vCenterFqdn (and InMageRcmFailback's targetvCenterId).
    vcenter_id: str | None = None
    vcenter_fqdn: str | None = None
    # Modernized replication's own state: a resynchronisation it needs (InMageRcm, InMageRcmFailback), and how the last
    # planned failover back on-premises ended (InMageRcmFailback: Succeeded | Failed | Cancelled | Unknown).
    resync_required: bool = False
    resync_state: str = "None"  # None | PreparedForResynchronization | StartedResynchronization
    resync_progress_percent: int | None = None
    last_planned_failover_status: str | None = None
    last_planned_failover_start: dt.datetime | None = None
    name: str = field(default_factory=new_guid)
    # Set when added to a container.
    fabric_name: str = ""
    container_name: str = ""

    def source_disk_id(self, index: int) -> str:
        return self.source_disk_ids[index] if index < len(self.source_disk_ids) else f"disk-{index}"

    def azure_disk_name(self, index: int) -> str:
        """The managed disk failover created in Azure for protected disk `index`."""
        return f"{self.friendly_name}-disk{index}"


@dataclass
class Container:
    name: str
    friendly_name: str
    items: Named = field(default_factory=Named)

    def add_item(self, fabric: Fabric, item: ProtectedItem) -> ProtectedItem:
        item.fabric_name, item.container_name = fabric.name, self.name
        return self.items.add(item)


@dataclass
class DiscoveredVCenter:
    """Classic: a vCenter the configuration server discovers, as the vault lists it (replicationvCenters). ASR leaves the
    meaning of its id fields undocumented; the lab keeps the vCenter's instance UUID in infrastructure_id."""

    name: str
    friendly_name: str
    ip_address: str  # the address or FQDN it was added with
    internal_id: str | None = None
    infrastructure_id: str | None = None
    port: int = 443
    discovery_status: str = "Completed"
    last_heartbeat: dt.datetime = field(default_factory=_recent)


@dataclass
class Fabric:
    name: str
    friendly_name: str
    kind: str  # VMware (classic, a configuration server) | InMageRcm (modernized, a site of appliances)
    config_server: ConfigServer | None = None
    process_servers: list[ProcessServer] = field(default_factory=list)
    master_targets: list[MasterTarget] = field(default_factory=list)
    reprotect_agents: list[ReprotectAgent] = field(default_factory=list)
    appliances: list[Appliance] = field(default_factory=list)
    run_as_accounts: list[RunAsAccount] = field(default_factory=list)
    health_errors: list[HealthIssue] = field(default_factory=list)
    containers: Named = field(default_factory=Named)
    vcenters: list[DiscoveredVCenter] = field(default_factory=list)  # classic


@dataclass
class JobError:
    """One error of a failed job: ASR's service error and, when the provider said more, its error."""

    code: str
    message: str
    possible_causes: str = ""
    recommended_action: str = ""
    provider_code: int | None = None
    provider_message: str | None = None


@dataclass
class Job:
    scenario_name: str  # e.g. ReverseReplicate (reprotect), UnplannedFailover, PlannedFailover, Commit
    target_object_name: str
    target_object_id: str = ""
    state: str = "InProgress"  # NotStarted | InProgress | Succeeded | Failed | Cancelled
    start_time: dt.datetime = field(default_factory=utc_now)
    end_time: dt.datetime | None = None
    errors: list[JobError] = field(default_factory=list)
    name: str = field(default_factory=new_guid)

    @property
    def friendly_name(self) -> str:
        return {"ReverseReplicate": "Reprotect", "UnplannedFailover": "Unplanned failover", "PlannedFailover": "Planned failover",
                "Commit": "Commit"}.get(self.scenario_name, self.scenario_name)

    def finish(self, succeeded: bool = True, errors: list[JobError] | None = None) -> None:
        self.state = "Succeeded" if succeeded else "Failed"
        self.end_time = utc_now()
        self.errors = list(errors or [])


@dataclass
class RecoveryPlan:
    name: str
    item_names: list[str] = field(default_factory=list)  # ARM names of protected items
    allowed_operations: list[str] = field(default_factory=lambda: ["PlannedFailover", "UnplannedFailover", "TestFailover"])

    @property
    def friendly_name(self) -> str:
        return self.name


@dataclass
class Policy:
    """A replication policy; `provider` is its providerSpecificDetails' instanceType (InMageAzureV2, InMage, InMageRcm,
    InMageRcmFailback): the provider of the replication it governs."""

    name: str
    provider: str
    recovery_point_history_minutes: int = 4320
    app_consistent_frequency_minutes: int = 240


@dataclass
class ContainerMapping:
    """A policy associated with a protection container (classic: the configuration server's; modernized: the site's)."""

    name: str
    policy_name: str
    fabric_name: str
    container_name: str
    target_container_id: str = "Microsoft Azure"
    state: str = "Paired"


@dataclass
class Vault:
    name: str
    location: str = "westeurope"
    fabrics: Named = field(default_factory=Named)
    plans: Named = field(default_factory=Named)
    jobs: Named = field(default_factory=Named)
    policies: Named = field(default_factory=Named)
    mappings: list[ContainerMapping] = field(default_factory=list)

    def protected_items(self) -> list[tuple[Fabric, Container, ProtectedItem]]:
        return [(fabric, container, item) for fabric in self.fabrics.values() for container in fabric.containers.values()
                for item in container.items.values()]

    def item_named(self, friendly_name: str) -> ProtectedItem:
        """The protected item of that VM name (tests' handle on an item)."""
        return next(item for _, _, item in self.protected_items() if item.friendly_name.lower() == friendly_name.lower())

    def add_job(self, job: Job) -> Job:
        return self.jobs.add(job)


# -- network -------------------------------------------------------------------------------------------------------------
@dataclass
class BgpPeer:
    neighbor: str
    asn: int = 65010
    state: str = "Connected"  # Unknown | Stopped | Idle | Connecting | Connected
    routes_received: int = 12
    local_address: str = "10.1.255.30"


@dataclass
class VirtualNetworkGateway:
    name: str
    location: str = "westeurope"
    bgp_peers: list[BgpPeer] = field(default_factory=list)
    id: str = ""


@dataclass
class LocalNetworkGateway:
    """The on-prem side of a VPN: its public address, its prefixes and its BGP speaker."""

    name: str
    gateway_ip: str = "203.0.113.10"
    address_prefixes: list[str] = field(default_factory=lambda: ["10.0.0.0/16"])
    bgp_peering_address: str | None = None
    asn: int = 65010
    id: str = ""


@dataclass
class Tunnel:
    name: str
    status: str = "Connected"  # Unknown | Connecting | Connected | NotConnected
    ingress_bytes: int = 123_456_789
    egress_bytes: int = 98_765_432


@dataclass
class VpnConnection:
    name: str
    gateway: str  # a VirtualNetworkGateway's name in the same resource group, or its id
    local_gateway: str  # a LocalNetworkGateway's name in the same resource group, or its id
    status: str = "Connected"
    tunnels: list[Tunnel] = field(default_factory=list)
    enable_bgp: bool = False
    connection_type: str = "IPsec"
    provisioning_state: str = "Succeeded"
    id: str = ""


@dataclass
class Peering:
    peering_type: str  # AzurePrivatePeering | MicrosoftPeering | AzurePublicPeering
    state: str = "Enabled"
    provisioning_state: str = "Succeeded"

    @property
    def name(self) -> str:
        return self.peering_type


@dataclass
class Circuit:
    name: str
    provider_state: str = "Provisioned"  # NotProvisioned | Provisioning | Provisioned | Deprovisioning
    circuit_state: str = "Enabled"  # Enabled | Disabled
    peerings: list[Peering] = field(default_factory=lambda: [Peering("AzurePrivatePeering")])
    service_provider: str = "Equinix"
    peering_location: str = "Amsterdam"
    bandwidth_mbps: int = 1000
    id: str = ""


@dataclass
class SecurityRule:
    name: str
    priority: int
    direction: str  # Inbound | Outbound
    access: str  # Allow | Deny
    protocol: str = "Tcp"  # Tcp | Udp | *
    destination_port_range: str = "*"
    destination_address_prefix: str = "*"
    source_address_prefix: str = "*"
    source_port_range: str = "*"


@dataclass
class SecurityGroup:
    name: str
    rules: list[SecurityRule] = field(default_factory=list)
    id: str = ""


@dataclass
class Subnet:
    name: str
    address_prefix: str
    security_group_id: str | None = None


@dataclass
class VirtualNetwork:
    name: str
    address_space: list[str] = field(default_factory=lambda: ["10.1.0.0/16"])
    subnets: Named = field(default_factory=Named)
    id: str = ""

    def subnet_id(self, subnet: str) -> str:
        return f"{self.id}/subnets/{self.subnets[subnet].name}"


@dataclass
class NetworkInterface:
    name: str
    subnet_id: str
    private_ip: str
    allocation: str = "Dynamic"  # Dynamic | Static
    vm_id: str | None = None
    security_group_id: str | None = None
    id: str = ""


@dataclass
class ConnectivityIssue:
    type: str  # NetworkSecurityRule | UserDefinedRoute | GuestFirewall | Platform | PortThrottled | DnsResolution | Socket ...
    origin: str = "Outbound"  # Local | Inbound | Outbound
    severity: str = "Error"
    context: dict[str, str] = field(default_factory=dict)


@dataclass
class ConnectivityVerdict:
    """What Network Watcher finds from a VM to address:port; `failing_hop` is the address where it stops."""

    status: str = "Reachable"  # Reachable | Unreachable | Degraded | Unknown
    failing_hop: str | None = None
    issues: list[ConnectivityIssue] = field(default_factory=list)
    latency_ms: int = 12


@dataclass
class NetworkWatcher:
    name: str
    location: str = "westeurope"
    # (address, port) -> verdict; unlisted destinations are reachable.
    verdicts: dict[tuple[str, int], ConnectivityVerdict] = field(default_factory=dict)
    id: str = ""

    def verdict(self, address: str, port: int) -> ConnectivityVerdict:
        return self.verdicts.get((address.lower(), port), ConnectivityVerdict())

    def set_verdict(self, address: str, port: int, verdict: ConnectivityVerdict) -> None:
        self.verdicts[(address.lower(), port)] = verdict


# -- compute ---------------------------------------------------------------------------------------------------------------
@dataclass
class ManagedDisk:
    """A managed disk attached to a VM: its OS disk (lun None) or a data disk; resizing it in Azure sets size_gb."""

    name: str
    size_gb: int
    lun: int | None = None


def managed_disk_id(vm_id: str, name: str) -> str:
    """A managed disk's ARM id: failover creates a VM's disks in the VM's own resource group."""
    return f"{vm_id.partition('/providers/')[0]}/providers/Microsoft.Compute/disks/{name}"


@dataclass
class VirtualMachine:
    name: str
    location: str = "westeurope"
    os_type: str = "Linux"
    power_state: str = "running"  # running | stopped | deallocated | starting | stopping
    agent_status: str = "Ready"  # Ready | Not Ready
    agent_version: str = "2.10.0.8"
    started_at: dt.datetime = field(default_factory=lambda: minutes_ago(60))
    nic_ids: list[str] = field(default_factory=list)
    size: str = "Standard_D2s_v3"
    id: str = ""
    disks: list[ManagedDisk] = field(default_factory=list)  # the OS disk first


# -- the resource groups and the world -----------------------------------------------------------------------------------
# Resource kinds a group holds: the ARM type of each and the group attribute it lives in.
_KINDS: dict[type, tuple[str, str]] = {
    Vault: ("Microsoft.RecoveryServices/vaults", "vaults"),
    VirtualNetworkGateway: ("Microsoft.Network/virtualNetworkGateways", "gateways"),
    LocalNetworkGateway: ("Microsoft.Network/localNetworkGateways", "local_gateways"),
    VpnConnection: ("Microsoft.Network/connections", "connections"),
    Circuit: ("Microsoft.Network/expressRouteCircuits", "circuits"),
    SecurityGroup: ("Microsoft.Network/networkSecurityGroups", "security_groups"),
    VirtualNetwork: ("Microsoft.Network/virtualNetworks", "networks"),
    NetworkInterface: ("Microsoft.Network/networkInterfaces", "nics"),
    NetworkWatcher: ("Microsoft.Network/networkWatchers", "watchers"),
    VirtualMachine: ("Microsoft.Compute/virtualMachines", "vms"),
}


@dataclass
class ResourceGroup:
    subscription_id: str
    name: str
    vaults: Named = field(default_factory=Named)
    gateways: Named = field(default_factory=Named)
    local_gateways: Named = field(default_factory=Named)
    connections: Named = field(default_factory=Named)
    circuits: Named = field(default_factory=Named)
    security_groups: Named = field(default_factory=Named)
    networks: Named = field(default_factory=Named)
    nics: Named = field(default_factory=Named)
    watchers: Named = field(default_factory=Named)
    vms: Named = field(default_factory=Named)

    @property
    def id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"

    def resource_id(self, kind: type, name: str) -> str:
        return f"{self.id}/providers/{_KINDS[kind][0]}/{name}"

    def add(self, resource: Resource) -> Resource:
        arm_type, attribute = _KINDS[type(resource)]
        if hasattr(resource, "id"):
            resource.id = f"{self.id}/providers/{arm_type}/{resource.name}"  # type: ignore[attr-defined]
        getattr(self, attribute).add(resource)
        return resource


@dataclass
class World:
    """Everything the fake knows: one tenant, its app registrations, one subscription."""

    tenant_id: str = field(default_factory=new_guid)
    subscription_id: str = field(default_factory=new_guid)
    apps: dict[str, str] = field(default_factory=dict)  # client id -> secret
    resource_groups: Named = field(default_factory=Named)
    # Held while a request reads or changes the world; hold it too when editing the world during requests.
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def register_app(self, client_id: str, secret: str) -> None:
        self.apps[client_id] = secret

    def group(self, name: str) -> ResourceGroup:
        """The resource group of that name, created on first use."""
        if name not in self.resource_groups:
            self.resource_groups[name] = ResourceGroup(self.subscription_id, name)
        return self.resource_groups[name]

    def find(self, resource_id: str) -> Any:
        """The resource an ARM id names (vault, VM, NIC, NSG...), or None."""
        parts = resource_id.strip("/").split("/")
        lowered = [part.lower() for part in parts]
        if len(parts) < 8 or lowered[0] != "subscriptions" or lowered[2] != "resourcegroups" or lowered[4] != "providers":
            return None
        group = self.resource_groups.get(parts[3])
        if group is None:
            return None
        arm_type = f"{parts[5]}/{parts[6]}".lower()
        for _, (kind_type, attribute) in _KINDS.items():
            if kind_type.lower() == arm_type:
                resource = getattr(group, attribute).get(parts[7])
                if len(parts) >= 10 and isinstance(resource, VirtualNetwork) and lowered[8] == "subnets":
                    return resource.subnets.get(parts[9])
                return resource
        return None
