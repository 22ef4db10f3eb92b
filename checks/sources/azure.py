"""The Azure source: Site Recovery's view of the failback and the network around it, gathered in parallel.

What it reads, every call on one bounded pool, each following up as soon as its own answer is in:
- the vault: fabrics (configuration server or appliances, process servers, master targets, reprotect agents), every
  protected item (their providers tell the experience), the recovery plan, the recent jobs;
- for each item the failback is about (its friendly name is a [[vms]] name, or it is in the recovery plan), followed
  as soon as the page of items naming it arrives: its recovery points when it replicates back, its Azure VM, the
  effective security rules of its NICs (once per NSG and subnet pair: NICs that share both share their rules);
- Azure VMs in bulk: each resource group's VMs listed once (their models: OS, NICs, region), then each VM's instance
  view (power state, guest agent), which ARM serves per VM only (a group's listing expands no instance view without a
  scale-set filter; the subscription's statusOnly listing tells power states, not the guest agent). A VM missing from
  its group's listing is asked for alone, so it is reported alone, in ARM's words;
- each VPN connection (tunnels; BGP peers from its gateway) and ExpressRoute circuit the site names;
- Network Watcher's connectivity check from an Azure VM to the configuration server/appliance and the data ports: on
  classic sites from the process server in Azure (the VM holding [process_server]'s address, its size's cores too),
  which failback data flows through; on modernized sites from a failed-over VM.

Signing in must work, or the source fails and every Azure check says why. A vault that cannot be read (a wrong name,
no access) is recorded as `vault_failure`: the checks that read the vault say so, while the VPN connections and
ExpressRoute circuits, which do not need it, are still judged one by one. A resource the site names that is missing or
fails (a connection, the plan, a VM) is recorded where its facts would be, and only the checks about it say so.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from failback.checks.model import Experience
from failback.checks.azure.view import same_host
from failback.checks.site import Site, is_ip_address
from failback.checks.sources.azure_asr import (
    REVERSE_PROVIDERS,
    container_mapping_facts,
    fabric_facts,
    item_facts,
    job_facts,
    plan_facts,
    policy_facts,
    recovery_point_summary,
    vcenter_facts,
)
from failback.checks.sources.azure_compute import vm_facts, vm_model_facts, vm_status_facts
from failback.checks.sources.azure_errors import describe_failure, failure_record
from failback.checks.sources.azure_network import (
    bgp_peer_facts,
    circuit_facts,
    connection_facts,
    connectivity_facts,
    effective_security_facts,
    local_gateway_facts,
    nic_facts,
)
from failback.checks.sources.azure_session import COMPUTE_API_VERSION, SITE_RECOVERY_API_VERSION, AzureSession, credential_kind
from failback.checks.sources.azure_values import ArmId, resource_id
from failback.checks.sources.errors import SourceError
from failback.checks.sources.fanout import Fanout

VM_TYPE = "Microsoft.Compute/virtualMachines"
VAULT_TYPE = "Microsoft.RecoveryServices/vaults"
# A long-running call (effective rules, BGP status, connectivity check) may take this many request timeouts.
OPERATION_TIMEOUT_FACTOR = 4
# Answers about the vault alone: a wrong vault name or group (404), no role on the vault (403).
VAULT_ONLY_STATUSES = (403, 404)
# Modernized appliances take replication data on the process server's port.
APPLIANCE_DATA_PORT = 9443
# What the facts keep of every vault item replicating back, the failback's own or not: the servers it loads already.
REVERSE_ITEM_KEYS = ("friendly_name", "provider", "active_location", "allowed_operations", "reprotect_agent_id", "master_target_id",
                     "disk_count")


class AzureSource:
    name = "azure"

    def __init__(self, site: Site, secret: str | None):
        self._site = site
        self._secret = secret

    def collect(self) -> dict[str, Any]:
        settings = self._site.azure
        if settings is None:
            raise SourceError("config", "the site file has no [azure] section: add subscription_id, resource_group and vault")
        try:
            session = AzureSession(settings, self._secret, pool_size=settings.max_parallel_calls)
        except SourceError:
            raise
        except Exception as exc:  # a credential refusing its settings (a malformed tenant id...)
            raise describe_failure(exc, "Azure credential", settings) from None
        try:
            session.sign_in()
            return _Collection(self._site, session).run()
        finally:
            session.close()


class _VmGroup:
    """One resource group's VM listing: the models by lower-case name once listed, or why the listing failed."""

    def __init__(self) -> None:
        self.listed = False
        self.models: dict[str, dict[str, Any]] = {}
        self.failure: Exception | None = None
        self.waiting: list[str] = []  # VM ids wanted while the listing was under way


class _Collection:
    """One collection's calls and what they found; the Fanout's threads write here under `lock`."""

    def __init__(self, site: Site, session: AzureSession):
        self.site = site
        self.settings = settings = site.azure
        assert settings is not None
        self.session = session
        self.fanout = Fanout(settings.max_parallel_calls, "azure")
        self.lock = threading.Lock()
        self.vault_label = f"Recovery Services vault '{settings.vault}' in resource group '{settings.resource_group}'"
        self.operation_timeout = settings.timeout_seconds * OPERATION_TIMEOUT_FACTOR
        # The vault.
        self.fabrics: list[dict[str, Any]] = []
        self.items: list[dict[str, Any]] = []
        self.plan: dict[str, Any] | None = None
        self.jobs: list[dict[str, Any]] = []
        self.jobs_error: dict[str, str] | None = None
        self.policies: dict[str, Any] = {"policies": [], "mappings": [], "error": None}
        self.vcenters: dict[str, Any] = {"vcenters": [], "error": None}
        self.vault_failure: dict[str, Any] | None = None
        self.recovery_points: dict[str, dict[str, Any]] = {}
        self._awaiting = {"items", "plan"} if settings.recovery_plan else {"items"}
        self._vm_names = {vm.name.lower() for vm in site.vms}
        # Azure VMs, their NICs and effective rules (keys are lower-case ids: ARM ids are case-insensitive).
        self.vms: dict[str, dict[str, Any]] = {}
        self.nics: dict[str, dict[str, Any]] = {}
        self.nic_group_errors: dict[str, dict[str, str]] = {}
        self.security: dict[str, dict[str, Any]] = {}
        self._wanted_nics: set[str] = set()
        self._vm_groups: dict[str, _VmGroup] = {}  # by "<subscription>/<group>", lower-case
        self._requested: set[str] = set()  # "vm:<id>", "nics:<sub>/<group>", "security:<key>", "bgp:<id>", "lng:<id>"
        self.path_sources: set[str] = set()
        self.process_server_vm: dict[str, Any] | None = None  # classic: the process server in Azure as an Azure VM
        self.vm_sizes: dict[str, dict[str, Any]] = {}  # region -> {"cores": size name -> cores}, for the regions of VMs read
        self.connectivity: list[dict[str, Any]] = []
        # The network the site names.
        self.connections: dict[str, dict[str, Any]] = {}
        self.local_gateways: dict[str, dict[str, Any]] = {}
        self.bgp: dict[str, dict[str, Any]] = {}
        self.circuits: dict[str, dict[str, Any]] = {}

    # -- the plan of calls -------------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        settings = self.settings
        start = self.fanout.start
        start(self._list_fabrics)
        start(self._list_items)
        start(self._list_jobs)
        start(self._list_policies)
        if self.site.experience is Experience.CLASSIC:  # modernized items name their vCenter themselves
            start(self._list_vcenters)
        if settings.recovery_plan:
            start(self._get_plan)
        for reference in settings.vpn_connections:
            start(self._get_connection, reference)
        for reference in settings.expressroute_circuits:
            start(self._get_circuit, reference)
        for reference in settings.path_from:
            vm = ArmId.of(reference, settings.subscription_id, settings.resource_group)
            vm_id = resource_id(vm.subscription_id, vm.resource_group, VM_TYPE, vm.name)
            self.path_sources.add(vm_id.lower())
            self._want_vm(vm_id)
        self.fanout.wait()
        return self._facts()

    def _once(self, key: str) -> bool:
        """True the first time a call is asked for: several items may lead to the same NIC group or gateway."""
        with self.lock:
            if key in self._requested:
                return False
            self._requested.add(key)
            return True

    def _finish(self, poller: Any, what: str) -> Any:
        """The result of a long-running call, within the operation timeout."""
        result = poller.result(timeout=self.operation_timeout)
        if not poller.done():
            raise SourceError("timeout", f"{what}: Azure did not finish within {self.operation_timeout:g} s")
        return result

    def _record(self, what: str, call: Callable[[], Any]) -> Any:
        """Run a call about one resource: its facts, or {"error": ...} saying what went wrong with it alone."""
        try:
            return call()
        except Exception as exc:
            return {"error": failure_record(exc, what, self.settings)}

    # -- the vault ---------------------------------------------------------------------------------------------------------
    def _vault_call(self, call: Callable[[], Any]) -> Any:
        """A call every vault check depends on. A vault that is not there or not readable by this identity (404, 403)
        is the vault's failure: those checks say so and the rest of the source goes on. Any other failure (sign-in
        refused, ARM unreachable, untrusted, timing out, failing) would meet every other call too: it is the source's."""
        try:
            return call()
        except Exception as exc:
            failure = describe_failure(exc, self.vault_label, self.settings)
            if getattr(exc, "status_code", None) not in VAULT_ONLY_STATUSES:
                raise failure from None
            with self.lock:
                if self.vault_failure is None:
                    self.vault_failure = {"reason": failure.reason, "kind": failure.kind, "evidence": failure.evidence}
            return []

    def _vault_args(self) -> dict[str, str]:
        return {"resource_group_name": self.settings.resource_group, "resource_name": self.settings.vault}

    def _list_fabrics(self) -> None:
        fabrics = self.session.asr.replication_fabrics
        self.fabrics = self._vault_call(lambda: [fabric_facts(fabric) for fabric in fabrics.list(**self._vault_args())])
        if self.site.experience is Experience.CLASSIC and self.site.process_server is not None:
            self.fanout.start(self._find_process_server_vm)

    def _list_items(self) -> None:
        vault = resource_id(self.settings.subscription_id, self.settings.resource_group, VAULT_TYPE, self.settings.vault)

        def listed() -> list[dict[str, Any]]:
            found = []
            for item in self.session.read_list(f"{vault}/replicationProtectedItems", SITE_RECOVERY_API_VERSION):
                found.append(item_facts(item))
                self._item_listed(found[-1])
            return found

        self.items = self._vault_call(listed)
        self._arrived("items")

    def _get_plan(self) -> None:
        name = self.settings.recovery_plan
        plans = self.session.asr.replication_recovery_plans
        found = self._record(f"recovery plan '{name}' in {self.vault_label}",
                             lambda: plan_facts(plans.get(recovery_plan_name=name, **self._vault_args())))
        self.plan = {"name": name, **found}
        self._arrived("plan")

    def _list_jobs(self) -> None:
        since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=self.settings.job_history_hours)
        query = f"startTime eq '{since:%Y-%m-%dT%H:%M:%SZ}'"
        jobs = self.session.asr.replication_jobs
        found = self._record(f"{self.vault_label} (asked for its jobs)",
                             lambda: [job_facts(job) for job in jobs.list(filter=query, **self._vault_args())])
        if isinstance(found, dict):
            self.jobs_error = found["error"]
        else:
            self.jobs = found

    def _list_policies(self) -> None:
        """The replication policies and the containers each is associated with: failback's reprotects name a policy."""
        client = self.session.asr
        found = self._record(f"{self.vault_label} (asked for its replication policies)", lambda: {
            "policies": [policy_facts(policy) for policy in client.replication_policies.list(**self._vault_args())],
            "mappings": [container_mapping_facts(mapping) for mapping in
                         client.replication_protection_container_mappings.list(**self._vault_args())]})
        self.policies = {"policies": [], "mappings": [], "error": found.get("error"), **found}

    def _list_vcenters(self) -> None:
        """Classic: the vCenters the configuration server discovers, as the vault records them."""
        vcenters = self.session.asr.replicationv_centers
        found = self._record(f"{self.vault_label} (asked for its vCenters)",
                             lambda: {"vcenters": [vcenter_facts(vcenter) for vcenter in vcenters.list(**self._vault_args())]})
        self.vcenters = {"vcenters": [], "error": found.get("error"), **found}

    def _arrived(self, part: str) -> None:
        """The items and the plan both decide which items the failback is about; follow the rest once both are in."""
        with self.lock:
            self._awaiting.discard(part)
            if self._awaiting or "subjects" in self._requested:
                return
            self._requested.add("subjects")
        self._follow_subjects()

    def subjects(self) -> list[dict[str, Any]]:
        in_plan = {item_id.lower() for item_id in (self.plan or {}).get("item_ids", [])}
        return [item for item in self.items if (item["friendly_name"] or "").lower() in self._vm_names or item["id"].lower() in in_plan]

    def _item_listed(self, item: dict[str, Any]) -> None:
        """An item the site names is followed from its page of the listing: its calls overlap the pages still to come."""
        if (item["friendly_name"] or "").lower() in self._vm_names:
            self._follow(item)

    def _follow_subjects(self) -> None:
        subjects = sorted(self.subjects(), key=lambda item: (item["friendly_name"] or "").lower())
        for item in subjects:
            self._follow(item)
        if not self.settings.path_from and self.site.experience is Experience.MODERNIZED:
            # One failed-over VM proves the path from its network; the site names more in path_from. (Classic data flows
            # from the process server in Azure instead: _find_process_server_vm.)
            first = next((item["azure_vm_id"] for item in subjects if item.get("azure_vm_id")), None)
            if first:
                with self.lock:
                    self.path_sources.add(first.lower())
                    placed = self.vms.get(first.lower())
                if placed is not None and "error" not in placed:
                    self._check_paths(placed)

    def _follow(self, item: dict[str, Any]) -> None:
        if not self._once(f"item:{item['id'].lower()}"):
            return
        if not item.get("azure_vm_id") and self.settings.vm_resource_group:
            item["azure_vm_id"] = resource_id(self.settings.subscription_id, self.settings.vm_resource_group, VM_TYPE,
                                              item["friendly_name"])
            item["azure_vm_id_from"] = "[azure] vm_resource_group"
        if item["provider"] in REVERSE_PROVIDERS:
            self.fanout.start(self._list_recovery_points, item, leaf=True)
        if item.get("azure_vm_id"):
            self._want_vm(item["azure_vm_id"])

    def _list_recovery_points(self, item: dict[str, Any]) -> None:
        found = self._record(f"protected item {item['friendly_name']} (asked for its recovery points)", lambda: recovery_point_summary(list(
            self.session.read_list(f"{item['id']}/recoveryPoints", SITE_RECOVERY_API_VERSION))))
        self.recovery_points[item["id"].lower()] = found

    # -- the process server in Azure (classic) ------------------------------------------------------------------------------
    def process_server_addresses(self) -> list[str]:
        """[process_server]'s address, and those ASR lists for the process server it names."""
        wanted = self.site.process_server
        addresses = {wanted.host} if is_ip_address(wanted.host) else set()
        for fabric in self.fabrics:
            for server in fabric["process_servers"]:
                if same_host(wanted.host, server["name"], *server["ip_addresses"]):
                    addresses.update(server["ip_addresses"])
        return sorted(addresses)

    def _find_process_server_vm(self) -> None:
        """The Azure VM whose NIC holds the process server's address: one listing of the subscription's NICs, since the
        process server may sit in any resource group of the failed-over VMs' network."""
        addresses = self.process_server_addresses()
        subscription = self.settings.subscription_id
        interfaces = self.session.network(subscription).network_interfaces
        found = self._record(f"subscription {subscription} (asked for its network interfaces, to find the process server's VM)",
                             lambda: [nic_facts(nic) for nic in interfaces.list_all()])
        if isinstance(found, dict):
            self.process_server_vm = {"addresses": addresses, **found}
            return
        nic = next((nic for nic in found if any(config["private_ip"] in addresses for config in nic["ip_configurations"])), None)
        self.process_server_vm = {"addresses": addresses, "nic_id": nic["id"] if nic else None, "vm_id": nic["vm_id"] if nic else None}
        if nic is None or not nic["vm_id"]:
            return
        if not self.settings.path_from:
            with self.lock:
                self.path_sources.add(nic["vm_id"].lower())
                placed = self.vms.get(nic["vm_id"].lower())
            if placed is not None and "error" not in placed:
                self._check_paths(placed)  # placed before it was known to be the process server's
        self._want_vm(nic["vm_id"])  # its NICs follow, as any VM's do

    def _list_vm_sizes(self, subscription_id: str, location: str) -> None:
        sizes = self.session.compute(subscription_id).virtual_machine_sizes
        found = self._record(f"region {location} (asked for its VM sizes)",
                             lambda: {"cores": {size.name: size.number_of_cores for size in sizes.list(location)}})
        self.vm_sizes[location.lower()] = found

    # -- Azure VMs, NICs, effective security rules, the path from Azure ----------------------------------------------------
    def _want_vm(self, vm_id: str) -> None:
        """A VM is placed from its resource group's listing, asked for once per group however many VMs live there."""
        if not self._once(f"vm:{vm_id.lower()}"):
            return
        vm = ArmId.parse(vm_id)
        if vm is None:
            self.vms[vm_id.lower()] = {"id": vm_id, "error": {"kind": "config", "reason": f"{vm_id} is not an Azure VM id"}}
            return
        key = f"{vm.subscription_id}/{vm.resource_group}".lower()
        with self.lock:
            group = self._vm_groups.setdefault(key, _VmGroup())
            listed = group.listed
            if not listed:
                group.waiting.append(vm_id)  # placed by the listing when it ends
        if self._once(f"vms:{key}"):
            self.fanout.start(self._list_vms, vm.subscription_id, vm.resource_group, key)
        if listed:
            self._place_vm(vm_id, group)

    def _list_vms(self, subscription_id: str, group_name: str, key: str) -> None:
        machines = self.session.compute(subscription_id).virtual_machines
        group = self._vm_groups[key]
        try:
            models = {vm.name.lower(): vm_model_facts(vm) for vm in machines.list(group_name)}
        except Exception as exc:  # told on each VM of the group, as a read of each would have
            models, group.failure = {}, exc
        with self.lock:
            group.models, group.listed = models, True
            waiting, group.waiting = group.waiting, []
        for vm_id in waiting:
            self._place_vm(vm_id, group)

    def _place_vm(self, vm_id: str, group: _VmGroup) -> None:
        vm = ArmId.parse(vm_id)
        assert vm is not None
        model = group.models.get(vm.name.lower())
        if group.failure is not None:
            self.vms[vm_id.lower()] = {"id": vm_id, "error": failure_record(group.failure, self._vm_label(vm_id), self.settings)}
        elif model is None:
            self.fanout.start(self._get_vm, vm_id)  # not listed: its own answer says why (deleted, moved...)
        else:
            with self.lock:
                self.vms[vm_id.lower()] = placed = {"id": vm_id, **model}
            self.fanout.start(self._read_vm_status, vm_id, leaf=True)
            self._follow_vm(placed)

    @staticmethod
    def _vm_label(vm_id: str) -> str:
        vm = ArmId.parse(vm_id)
        assert vm is not None
        return f"Azure VM '{vm.name}' in resource group '{vm.resource_group}'"

    def _read_vm_status(self, vm_id: str) -> None:
        status = self._record(f"{self._vm_label(vm_id)} (asked for its instance view)",
                              lambda: vm_status_facts(self.session.read(f"{vm_id}/instanceView", COMPUTE_API_VERSION)))
        with self.lock:
            if "error" in status:
                self.vms[vm_id.lower()] = {"id": vm_id, **status}
            else:
                self.vms[vm_id.lower()].update(status)

    def _get_vm(self, vm_id: str) -> None:
        """A VM the listing of its group did not hold: its own answer says why (deleted, moved...)."""
        vm = ArmId.parse(vm_id)
        assert vm is not None
        machines = self.session.compute(vm.subscription_id).virtual_machines
        found = self._record(self._vm_label(vm_id), lambda: vm_facts(machines.get(vm.resource_group, vm.name, expand="instanceView")))
        self.vms[vm_id.lower()] = placed = {"id": vm_id, **found}
        if "error" not in found:
            self._follow_vm(placed)

    def _follow_vm(self, vm: dict[str, Any]) -> None:
        """What a VM's model makes possible: its NICs and their rules, the cores of its size (classic: the process
        server's among them), and the path checks when it is a path source."""
        if self.site.experience is Experience.CLASSIC and self._once(f"sizes:{vm['location']}".lower()):
            # One listing per region gives the cores of every size there.
            subscription = (ArmId.parse(vm["id"]) or ArmId(self.settings.subscription_id, "", "")).subscription_id
            self.fanout.start(self._list_vm_sizes, subscription, vm["location"])
        for nic_id in vm["nic_ids"]:
            self._want_nic(nic_id)
        if vm["id"].lower() in self.path_sources:
            self._check_paths(vm)

    def _check_paths(self, vm: dict[str, Any]) -> None:
        if self._once(f"paths:{vm['id'].lower()}"):
            for destination in self.destinations():
                self.fanout.start(self._check_path, vm, destination)

    def _want_nic(self, nic_id: str) -> None:
        """NICs are listed per resource group (one call for all the VMs there), then their rules are asked once per key."""
        nic = ArmId.parse(nic_id)
        if nic is None:
            return
        with self.lock:
            self._wanted_nics.add(nic_id.lower())
            listed = nic_id.lower() in self.nics
        if self._once(f"nics:{nic.subscription_id}/{nic.resource_group}".lower()):
            self.fanout.start(self._list_nics, nic.subscription_id, nic.resource_group)
        if listed:
            self._want_security(nic_id.lower())

    def _list_nics(self, subscription_id: str, group: str) -> None:
        interfaces = self.session.network(subscription_id).network_interfaces
        found = self._record(f"resource group '{group}' (asked for its network interfaces)",
                             lambda: [nic_facts(nic) for nic in interfaces.list(group)])
        if isinstance(found, dict):
            self.nic_group_errors[f"{subscription_id}/{group}".lower()] = found["error"]
            return
        with self.lock:
            for nic in found:
                self.nics[nic["id"].lower()] = nic
            wanted = [nic["id"].lower() for nic in found if nic["id"].lower() in self._wanted_nics]
        for nic_id in wanted:
            self._want_security(nic_id)

    def _want_security(self, nic_id: str) -> None:
        nic = self.nics[nic_id]
        primary = next((config for config in nic["ip_configurations"] if config["primary"]), None) or next(iter(nic["ip_configurations"]), {})
        key = f"{nic['security_group_id'] or '-'}|{primary.get('subnet_id') or '-'}".lower()
        nic["security_key"] = key
        if self._once(f"security:{key}"):
            self.fanout.start(self._effective_security, key, nic)

    def _effective_security(self, key: str, nic: dict[str, Any]) -> None:
        where = ArmId.parse(nic["id"])
        assert where is not None
        interfaces = self.session.network(where.subscription_id).network_interfaces
        what = f"NIC '{where.name}' in resource group '{where.resource_group}' (asked for its effective security rules)"
        found = self._record(what, lambda: {"groups": effective_security_facts(self._finish(
            interfaces.begin_list_effective_network_security_groups(where.resource_group, where.name), what))})
        self.security[key] = {"nic": nic["name"], **found}

    def destinations(self) -> list[dict[str, Any]]:
        """Where Azure must reach on-prem: the configuration server/appliance (control) and the data ports."""
        site = self.site
        found = []
        config_server = site.config_server
        if config_server is not None:
            role = "configuration server" if site.experience is Experience.CLASSIC else "replication appliance"
            found.append({"role": role, "address": config_server.ip or config_server.host, "port": config_server.port})
        if site.experience is Experience.CLASSIC:
            found += [{"role": f"master target {mt.name}", "address": mt.host, "port": mt.port} for mt in site.master_targets if mt.host]
        elif site.process_server is not None:
            found.append({"role": "process server", "address": site.process_server.host, "port": site.process_server.port})
        elif config_server is not None:
            found.append({"role": "replication appliance (data)", "address": config_server.ip or config_server.host, "port": APPLIANCE_DATA_PORT})
        return found

    def _check_path(self, vm: dict[str, Any], destination: dict[str, Any]) -> None:
        settings = self.settings
        source = ArmId.parse(vm["id"])
        assert source is not None
        if settings.network_watcher:
            watcher = ArmId.of(settings.network_watcher, source.subscription_id, settings.network_watcher_resource_group)
        else:
            watcher = ArmId(source.subscription_id, settings.network_watcher_resource_group, f"NetworkWatcher_{vm['location']}")
        what = (f"Network Watcher '{watcher.name}' in resource group '{watcher.resource_group}' (asked to check {vm['name']} -> "
                f"{destination['address']}:{destination['port']})")

        def check() -> dict[str, Any]:
            from azure.mgmt.network.models import ConnectivityDestination, ConnectivityParameters, ConnectivitySource

            parameters = ConnectivityParameters(source=ConnectivitySource(resource_id=vm["id"]), protocol="Tcp",
                                                destination=ConnectivityDestination(address=destination["address"], port=destination["port"]))
            watchers = self.session.network(watcher.subscription_id).network_watchers
            return connectivity_facts(self._finish(watchers.begin_check_connectivity(watcher.resource_group, watcher.name, parameters), what))

        found = self._record(what, check)
        with self.lock:
            self.connectivity.append({**destination, "source_vm": vm["name"], "source_vm_id": vm["id"], "watcher": watcher.name, **found})

    # -- the network the site names ---------------------------------------------------------------------------------------
    def _read_named(self, reference: str, label: str, operations: str, to_facts: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """A resource the site file names (by name in its resource group, or by id): its facts or why they are missing."""
        settings = self.settings
        where = ArmId.of(reference, settings.subscription_id, settings.resource_group)
        getter = getattr(self.session.network(where.subscription_id), operations)
        found = self._record(f"{label} '{where.name}' in resource group '{where.resource_group}'",
                             lambda: to_facts(getter.get(where.resource_group, where.name)))
        return {"name": where.name, "resource_group": where.resource_group, **found}

    def _get_connection(self, reference: str) -> None:
        found = self._read_named(reference, "VPN connection", "virtual_network_gateway_connections", connection_facts)
        self.connections[reference] = found
        if "error" in found or not found["enable_bgp"]:
            return
        if found["gateway_id"] and self._once(f"bgp:{found['gateway_id'].lower()}"):
            self.fanout.start(self._get_bgp_peers, found["gateway_id"])
        if found["local_gateway_id"] and self._once(f"lng:{found['local_gateway_id'].lower()}"):
            self.fanout.start(self._get_local_gateway, found["local_gateway_id"])

    def _get_circuit(self, reference: str) -> None:
        self.circuits[reference] = self._read_named(reference, "ExpressRoute circuit", "express_route_circuits", circuit_facts)

    def _get_bgp_peers(self, gateway_id: str) -> None:
        gateway = ArmId.parse(gateway_id)
        assert gateway is not None
        gateways = self.session.network(gateway.subscription_id).virtual_network_gateways
        what = f"virtual network gateway '{gateway.name}' in resource group '{gateway.resource_group}' (asked for its BGP peers)"
        found = self._record(what, lambda: {"peers": bgp_peer_facts(self._finish(
            gateways.begin_get_bgp_peer_status(gateway.resource_group, gateway.name), what))})
        self.bgp[gateway_id.lower()] = {"gateway": gateway.name, **found}

    def _get_local_gateway(self, gateway_id: str) -> None:
        gateway = ArmId.parse(gateway_id)
        assert gateway is not None
        gateways = self.session.network(gateway.subscription_id).local_network_gateways
        found = self._record(f"local network gateway '{gateway.name}' in resource group '{gateway.resource_group}'",
                             lambda: local_gateway_facts(gateways.get(gateway.resource_group, gateway.name)))
        self.local_gateways[gateway_id.lower()] = {"name": gateway.name, **found}

    # -- the facts -----------------------------------------------------------------------------------------------------------
    def _last_jobs(self) -> dict[str, dict[str, Any]]:
        """The newest job of each item, by the item's id."""
        newest: dict[str, dict[str, Any]] = {}
        for job in sorted(self.jobs, key=lambda job: job["started"] or ""):
            if job["target_id"]:
                newest[job["target_id"].lower()] = job
        return newest

    def _facts(self) -> dict[str, Any]:
        settings = self.settings
        last_jobs = self._last_jobs()
        items = []
        for item in sorted(self.subjects(), key=lambda item: (item["friendly_name"] or "").lower()):
            items.append({**item, "recovery_points": self.recovery_points.get(item["id"].lower()),
                          "last_job": last_jobs.get(item["id"].lower())})
        return {
            "arm_endpoint": settings.arm_endpoint,
            "authority": settings.authority,
            "cloud": settings.cloud,
            "credential": credential_kind(settings),
            "vault": {"subscription_id": settings.subscription_id, "resource_group": settings.resource_group, "name": settings.vault},
            "vault_failure": self.vault_failure,
            "experience": {
                "fabric_kinds": sorted({fabric["kind"] for fabric in self.fabrics if fabric["kind"]}),
                "providers": dict(Counter(item["provider"] for item in self.items if item["provider"])),
            },
            "fabrics": self.fabrics,
            "vault_item_count": len(self.items),
            "reverse_items": [{key: item.get(key) for key in REVERSE_ITEM_KEYS} for item in self.items
                              if item["provider"] in REVERSE_PROVIDERS],
            "items": items,
            "recovery_plan": self.plan,
            "jobs_error": self.jobs_error,
            "policies": self.policies["policies"],
            "container_mappings": self.policies["mappings"],
            "policies_error": self.policies["error"],
            "vcenters": self.vcenters["vcenters"],
            "vcenters_error": self.vcenters["error"],
            "azure_vms": dict(sorted(self.vms.items())),
            "nics": {nic_id: self.nics[nic_id] for nic_id in sorted(self._wanted_nics) if nic_id in self.nics},
            "nic_group_errors": self.nic_group_errors,
            "security": dict(sorted(self.security.items())),
            "destinations": self.destinations(),
            "path_sources": sorted(self.path_sources),
            "process_server_vm": self.process_server_vm,
            "vm_sizes": self.vm_sizes,
            "connectivity": sorted(self.connectivity, key=lambda record: (record["source_vm"], record["address"], record["port"])),
            "vpn_connections": self.connections,
            "local_gateways": self.local_gateways,
            "bgp": self.bgp,
            "expressroute_circuits": self.circuits,
        }
