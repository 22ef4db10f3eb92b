"""Healthy lab sites on the fake ARM: what a well-prepared failback looks like from Azure, ready for tests to break.

Classic: a VMware fabric (configuration server cs01, the process server ps01 running as an Azure VM, a Linux master
target mt01), items replicated with InMageAzureV2. Modernized: an InMageRcm fabric with one appliance (its process
server and reprotect agent seeing the target datastores), items replicated with InMageRcm. Both: the failed-over VMs
running in rg-recovery behind an NSG that lets them reach on-prem, a BGP VPN with two tunnels up, an ExpressRoute circuit
with private (classic: and Microsoft) peering, a Network Watcher, a recovery plan of all items.

`stage` places every item in the failback: "in_azure" (failed over and committed, reprotect next), "replicating_back"
(reprotected, failover to on-prem next, recovery points present), "failed_back" (failed over to on-prem, commit next),
"back_on_prem" (committed on-prem, reprotect to Azure next).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from failback.lab.fake_arm.server import FakeArm
from failback.lab.fake_arm.stages import set_stage
from failback.lab.fake_arm.state import (
    CLASSIC_PROVIDERS,
    Appliance,
    BgpPeer,
    Circuit,
    ConfigServer,
    Container,
    ContainerMapping,
    DataStore,
    DiscoveredVCenter,
    Fabric,
    Job,
    LocalNetworkGateway,
    ManagedDisk,
    MasterTarget,
    NetworkInterface,
    NetworkWatcher,
    Peering,
    Policy,
    ProcessServer,
    ProtectedItem,
    RecoveryPlan,
    ReprotectAgent,
    RetentionVolume,
    RunAsAccount,
    SecurityGroup,
    SecurityRule,
    Subnet,
    Tunnel,
    Vault,
    VirtualMachine,
    VirtualNetwork,
    VirtualNetworkGateway,
    VpnConnection,
    World,
    minutes_ago,
)

CLIENT_ID = "5e1f0b7a-0000-4000-8000-00000000f00d"
SECRET_ENV = "FAILBACK_LAB_AZURE_SECRET"
LAB_SECRET = "lab-Azure-Secret-never-shown-7"
ASR_GROUP, RECOVERY_GROUP, WATCHER_GROUP = "rg-asr", "rg-recovery", "NetworkWatcherRG"
VAULT, PLAN, CONNECTION, CIRCUIT = "vault-asr", "rp-app", "cn-onprem", "er-onprem"
GATEWAY, LOCAL_GATEWAY, WATCHER, NSG = "vpngw-asr", "lng-onprem", "NetworkWatcher_westeurope", "nsg-recovery"
CONFIG_SERVER_HOST, CONFIG_SERVER_IP = "cs01.lab.test", "10.0.0.5"
PROCESS_SERVER, PROCESS_SERVER_IP = "ps01", "10.1.0.4"
MASTER_TARGET, MASTER_TARGET_IP = "mt01", "10.0.0.7"
APPLIANCE, APPLIANCE_IP = "asr-appliance", "10.0.0.6"
DATASTORE = "datastore1"
# The vCenter the lab's Azure-only site names, as ASR discovered it (a lab with the simulator discovers that instead).
VCENTER_HOST, VCENTER_INSTANCE_UUID = "vcenter.lab.test", "5a1b0c2d-7e3f-4a5b-8c6d-0123456789ab"
FORWARD_POLICY, FAILBACK_POLICY = "policy-asr", "policy-asr-failback"
REPLICATION_GROUP = "rg-app"
CACHE_STORAGE, TARGET_STORAGE = "asrcache01", "asrtarget01"
ON_PREM_BGP_PEER = "10.0.255.1"

@dataclass
class LabAzure:
    """A lab site's Azure side: the world, the fake serving it, and the site-file text that points the tool at it."""

    world: World
    arm: FakeArm
    experience: str
    vm_names: list[str]
    secret: str = LAB_SECRET
    extra_azure_keys: dict[str, object] = field(default_factory=dict)

    @property
    def vault(self) -> Vault:
        return self.world.group(ASR_GROUP).vaults[VAULT]

    @property
    def fabric(self) -> Fabric:
        return next(iter(self.vault.fabrics.values()))

    def item(self, vm_name: str) -> ProtectedItem:
        return self.vault.item_named(vm_name)

    def discover_datastores(self, names: list[str]) -> None:
        """What ASR learns from vCenter: the datastores the master targets' hosts and the reprotect agents see."""
        with self.world.lock:
            for master_target in self.fabric.master_targets:
                master_target.data_stores = [DataStore(name) for name in names]
            for agent in self.fabric.reprotect_agents:
                agent.accessible_datastores = list(names)

    def discover_vcenter(self, host: str, instance_uuid: str | None) -> None:
        """What ASR records of the vCenter it discovers the VMs through: its address and its instance UUID."""
        with self.world.lock:
            discover_vcenter(self.vault, host, instance_uuid)

    def master_target(self, name: str = MASTER_TARGET) -> MasterTarget:
        """A classic master target by name (the configuration server's own one serves replication to Azure)."""
        return next(server for server in self.fabric.master_targets if server.name == name)

    def vm(self, vm_name: str) -> VirtualMachine:
        return self.world.group(RECOVERY_GROUP).vms[vm_name]

    def env(self) -> dict[str, str]:
        return {SECRET_ENV: self.secret}

    def azure_section(self, **overrides: object) -> str:
        """The [azure] table for this lab; overrides replace or add keys (None removes one)."""
        keys: dict[str, object] = {
            "subscription_id": self.world.subscription_id,
            "resource_group": ASR_GROUP,
            "vault": VAULT,
            "tenant_id": self.world.tenant_id,
            "client_id": CLIENT_ID,
            "client_secret_env": SECRET_ENV,
            "arm_endpoint": self.arm.url,
            "authority": self.arm.url,
            "ca_file": self.arm.ca_file,
            "vpn_connections": [CONNECTION],
            "expressroute_circuits": [CIRCUIT],
            "recovery_plan": PLAN,
            "vm_resource_group": RECOVERY_GROUP,  # where the classic reverse provider's VMs are (it does not name them)
            "retry_total": 0,  # tests that want retries say so
            "retry_backoff_seconds": 0,
            "poll_interval_seconds": 0,
            "timeout_seconds": 5,
            **({"path_from": [self.vm(PROCESS_SERVER).id]} if self.experience == "classic" else {}),
            **self.extra_azure_keys,
            **overrides,
        }
        return "[azure]\n" + "".join(f"{key} = {_toml(value)}\n" for key, value in keys.items() if value is not None)

    def site_text(self, **azure_overrides: object) -> str:
        """A whole site file: a vCenter entry that is never contacted, the [azure] table, the on-prem peers, the VMs."""
        lines = [
            f'name = "lab-azure-{self.experience}"',
            f'experience = "{self.experience}"',
            "[vcenter]",
            f'host = "{VCENTER_HOST}"',
            'user = "administrator@vsphere.local"',
            'datacenter = "DC1"',
            self.azure_section(**azure_overrides),
        ]
        if self.experience == "classic":
            lines += ["[config_server]", f'host = "{CONFIG_SERVER_HOST}"', f'ip = "{CONFIG_SERVER_IP}"',
                      "[process_server]", f'host = "{PROCESS_SERVER_IP}"', "port = 9443",
                      "[[master_targets]]", f'name = "{MASTER_TARGET}"', f'host = "{MASTER_TARGET_IP}"']
        else:
            lines += ["[config_server]", f'host = "{APPLIANCE}.lab.test"', f'ip = "{APPLIANCE_IP}"']
        for name in self.vm_names:
            lines += ["[[vms]]", f'name = "{name}"', f'datastore = "{DATASTORE}"']
        return "\n".join(lines) + "\n"

    def write_site(self, directory: Path, **azure_overrides: object) -> Path:
        path = directory / f"lab-azure-{self.experience}.toml"
        path.write_text(self.site_text(**azure_overrides))
        return path


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_world(experience: str = "classic", vm_names: list[str] | tuple[str, ...] = ("app01", "db01"),
                stage: str = "in_azure", secret: str = LAB_SECRET) -> World:
    world = World()
    world.register_app(CLIENT_ID, secret)
    asr, recovery, watchers = world.group(ASR_GROUP), world.group(RECOVERY_GROUP), world.group(WATCHER_GROUP)

    # The network: a BGP VPN with two tunnels, an ExpressRoute circuit, the recovery VNet behind an NSG.
    asr.add(VirtualNetworkGateway(GATEWAY, bgp_peers=[BgpPeer(ON_PREM_BGP_PEER)]))
    asr.add(LocalNetworkGateway(LOCAL_GATEWAY, address_prefixes=["10.0.0.0/16"], bgp_peering_address=ON_PREM_BGP_PEER))
    asr.add(VpnConnection(CONNECTION, GATEWAY, LOCAL_GATEWAY, tunnels=[Tunnel("tunnel-0"), Tunnel("tunnel-1")], enable_bgp=True))
    peerings = [Peering("AzurePrivatePeering")] + ([Peering("MicrosoftPeering")] if experience == "classic" else [])
    asr.add(Circuit(CIRCUIT, peerings=peerings))
    nsg = recovery.add(SecurityGroup(NSG, rules=[
        SecurityRule("Allow-ASR-Control", 100, "Outbound", "Allow", "Tcp", "443", "10.0.0.0/16"),
        SecurityRule("Allow-ASR-Data", 110, "Outbound", "Allow", "Tcp", "9443", "10.0.0.0/16"),
    ]))
    network = recovery.add(VirtualNetwork("vnet-recovery", ["10.1.0.0/16"]))
    network.subnets.add(Subnet("default", "10.1.0.0/24", nsg.id))
    watchers.add(NetworkWatcher(WATCHER))

    def azure_vm(name: str, address: str) -> VirtualMachine:
        vm = recovery.add(VirtualMachine(name))
        nic = recovery.add(NetworkInterface(f"{name}-nic", network.subnet_id("default"), address, vm_id=vm.id))
        vm.nic_ids = [nic.id]
        return vm

    # ASR: the fabric of the experience and its servers.
    vault = asr.add(Vault(VAULT))
    storage = f"{asr.id}/providers/Microsoft.Storage/storageAccounts"
    if experience == "classic":
        fabric = vault.fabrics.add(Fabric("cs01-fabric", CONFIG_SERVER_HOST, "VMware", ConfigServer(CONFIG_SERVER_HOST, CONFIG_SERVER_IP)))
        # The configuration server runs a process server and a Windows master target of its own: they serve replication
        # to Azure. Failback needs the process server in Azure (ps01) and an on-prem master target of the VMs' OS (mt01).
        fabric.process_servers = [ProcessServer(CONFIG_SERVER_HOST, CONFIG_SERVER_IP),
                                  ProcessServer(PROCESS_SERVER, PROCESS_SERVER_IP, in_azure=True)]
        fabric.master_targets = [
            MasterTarget(CONFIG_SERVER_HOST, CONFIG_SERVER_IP, os_type="Windows", data_stores=[DataStore(DATASTORE), DataStore("datastore2")],
                         retention_volumes=[RetentionVolume("R:")]),
            MasterTarget(MASTER_TARGET, MASTER_TARGET_IP, data_stores=[DataStore(DATASTORE), DataStore("datastore2")],
                         retention_volumes=[RetentionVolume("/mnt/retention")]),
        ]
        fabric.run_as_accounts = [RunAsAccount("vcenter-discovery"), RunAsAccount("linux-push-install")]
        process_server_vm = azure_vm(PROCESS_SERVER, PROCESS_SERVER_IP)
        process_server_vm.os_type, process_server_vm.size = "Windows", "Standard_D8s_v3"  # 8 cores, as Microsoft sizes it
        forward, reverse = "InMageAzureV2", "InMage"
    else:
        fabric = vault.fabrics.add(Fabric("vmware-site-fabric", "vmware-site", "InMageRcm"))
        fabric.appliances = [Appliance(APPLIANCE, f"{APPLIANCE}.lab.test")]
        fabric.process_servers = [ProcessServer(APPLIANCE, APPLIANCE_IP, agent_version="9.62.7172.1")]
        fabric.reprotect_agents = [ReprotectAgent(APPLIANCE, f"{APPLIANCE}.lab.test", accessible_datastores=[DATASTORE, "datastore2"])]
        forward, reverse = "InMageRcm", "InMageRcmFailback"
    container = fabric.containers.add(Container("cloud_1", "cloud_1"))
    # As the portal sets them up: the replication policy and its failback twin, both associated with the container.
    for policy in (Policy(FORWARD_POLICY, forward), Policy(FAILBACK_POLICY, reverse)):
        vault.policies.add(policy)
        vault.mappings.append(ContainerMapping(f"{policy.name}-mapping", policy.name, fabric.name, container.name))

    for index, name in enumerate(vm_names):
        vm = azure_vm(name, f"10.1.0.{10 + index % 240}")
        item = container.add_item(fabric, ProtectedItem(name, "InMageAzureV2", azure_vm_id=vm.id, source_ip_address=f"10.0.1.{10 + index % 240}"))
        item.log_storage_account_id = f"{storage}/{CACHE_STORAGE}"
        item.multi_vm_group = REPLICATION_GROUP  # the application's VMs fail over consistently, together
        item.process_server_id = fabric.process_servers[0].id  # replication to Azure went through the on-prem process server
        if experience == "classic":
            item.master_target_id = fabric.master_targets[0].id
            item.storage_account_id = f"{storage}/{TARGET_STORAGE}"
            item.run_as_account_id = fabric.run_as_accounts[0].id
        else:
            item.reprotect_agent_id = fabric.reprotect_agents[0].id
            item.agent_version = "9.62.7172.1"
        item.target_datastore = DATASTORE
        # Failover created a managed disk of each protected disk's size: the OS disk, then data disks on luns 0, 1...
        vm.disks = [ManagedDisk(item.azure_disk_name(index), size, index - 1 if index else None) for index, size in enumerate(item.disk_sizes_gb)]
        set_stage(item, experience, stage)
        finished = vault.add_job(Job("UnplannedFailover", name, target_object_id="", start_time=minutes_ago(240)))
        finished.finish()
    vault.plans.add(RecoveryPlan(PLAN, [item.name for _, _, item in vault.protected_items()]))
    _point_jobs_at_items(world, vault)
    discover_vcenter(vault, VCENTER_HOST, VCENTER_INSTANCE_UUID)
    return world


def discover_vcenter(vault: Vault, host: str, instance_uuid: str | None) -> None:
    """Classic: the configuration server's one vCenter (added by its address; the lab keeps the instance UUID in its
    infrastructure id, which the items name). Modernized: the vCenter each item was discovered in."""
    for fabric in vault.fabrics.values():
        if fabric.kind == "VMware":
            fabric.vcenters = [DiscoveredVCenter("vcenter-1", host.split(".")[0], host, internal_id=host, infrastructure_id=instance_uuid)]
    for _, _, item in vault.protected_items():
        item.vcenter_id = instance_uuid
        item.vcenter_fqdn = None if item.provider in CLASSIC_PROVIDERS else host


def _point_jobs_at_items(world: World, vault: Vault) -> None:
    """Jobs name their target item by id, which exists once the item sits in its container."""
    from failback.lab.fake_arm.asr_api import item_id

    group = world.group(ASR_GROUP)
    by_name = {item.friendly_name: item for _, _, item in vault.protected_items()}
    for job in vault.jobs.values():
        if job.target_object_name in by_name and not job.target_object_id:
            job.target_object_id = item_id(group, vault, by_name[job.target_object_name])


def start_lab(experience: str = "classic", vm_names: list[str] | tuple[str, ...] = ("app01", "db01"), stage: str = "in_azure",
              latency: float = 0.0) -> LabAzure:
    """Build the world and start its fake; stop it with `lab.arm.stop()`."""
    world = build_world(experience, vm_names, stage)
    return LabAzure(world, FakeArm(world, latency=latency).start(), experience, list(vm_names))


def add_failed_job(lab: LabAzure, vm_name: str, scenario: str, code: str, message: str, *, possible_causes: str = "",
                   recommended_action: str = "", age_minutes: float = 30) -> Job:
    """A job of `scenario` on the VM's item that failed with ASR error `code`, newest of the item's jobs."""
    from failback.lab.fake_arm.asr_api import item_id
    from failback.lab.fake_arm.state import JobError

    vault = lab.vault
    item = lab.item(vm_name)
    job = vault.add_job(Job(scenario, vm_name, item_id(lab.world.group(ASR_GROUP), vault, item),
                            start_time=minutes_ago(age_minutes)))
    job.finish(False, [JobError(code, message, possible_causes, recommended_action, provider_code=int(code) if code.isdigit() else None)])
    job.end_time = job.start_time + dt.timedelta(minutes=5)
    return job
