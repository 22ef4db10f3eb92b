"""The demo site: every peer of a classic failback site started on loopback, broken the way sites are found broken.

VMware's simulator plays vCenter, the fake ARM plays Azure and ASR, an sshd plays the Linux master target, listeners
play the configuration server (443, TLS), the process server and the master target's data port (9443), and a folder
plays the configuration server's backup share. Then the site is broken: a snapshot left on a VM, a read-only discovery
account, a host on the free ESXi licence, a Linux VM with a static IP, a closed 9443, a stale backup, a disconnected
VPN tunnel; and ASR's next failover job is scripted to fail once.

`repair_other_teams` plays the colleagues who fix what this tool cannot (the firewall, the backup job, the VPN, vCenter
roles and licences), so a rehearsal can go on to the failback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
from pathlib import Path

import trustme

from failback.lab.endpoints import ClosedPort, OpenPort, TlsPort, certificate
from failback.lab.fake_arm import scenarios
from failback.lab.fake_arm.scenarios import LabAzure, start_lab
from failback.lab.fake_arm.state import JobError, ProtectedItem, SecurityRule
from failback.lab.guest import install_guest
from failback.lab.master_target import LabMasterTarget, ubuntu_master_target
from failback.lab.site import APP, APPLIANCE, DB, DISCOVERY_ROLE, DISCOVERY_USER, PAID_LICENCE, PASSWORD_ENV, LabSite, build_lab_site, grant_discovery_role
from failback.lab.sshd import SshKeys
from failback.lab.vcenter_admin import VCenterAdmin
from failback.lab.vcsim import VCSim

VCENTER_PASSWORD = "demo-Lab-Password-1"  # a lab secret, passed to the tool through the environment like a real one
FREE_LICENCE = ("F7EE0-HYPER-V1SOR-FREE0-00000", "esxBasic", "vSphere 7 Hypervisor")
STATIC_IP = {"ip": "10.20.0.21", "prefix": 24, "gateway": "10.20.0.1", "dns": ["10.20.0.2"]}
APP_MAC = "00:50:56:01:02:03"
DHCP_LEASE = "10.20.0.157/24"  # what app01 gets when it comes back on-prem, until its static address is restored
GUEST_PASSWORD_ENV = "FAILBACK_DEMO_GUEST_PASSWORD"
GUEST_PASSWORD = "demo-Guest-Password-1"
# The failover job ASR fails once: the scripted failure of the rehearsal, with ASR's own words and our hint.
SCRIPTED_FAILURE = JobError(
    "8038", "The virtual machine could not be powered on: the host does not have enough memory.",
    possible_causes="Other virtual machines use the memory of the host the VM fails back to.",
    recommended_action="Free memory on the host (power off or migrate other VMs), then retry the failover.",
)


class DemoSite:
    """Start with `start()` (or `with`), read `site_path` and `env()`, stop with `stop()`: every peer ends with it."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._stack = contextlib.ExitStack()
        self.vcenter: LabSite | None = None
        self.azure: LabAzure | None = None
        self.site_path = directory / "demo-site.toml"
        self.backups = directory / "cs-backups"
        self._data_port: ClosedPort | OpenPort | None = None
        self._vcenter_lock = threading.Lock()  # the fake ARM's request threads and the demo share one vCenter session

    # -- life -------------------------------------------------------------------------------------------------------
    def start(self) -> DemoSite:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The secrets the tool reads from the environment, as on a real site."""
        assert self.vcenter and self.azure
        secrets = {**self.vcenter.env(), **self.azure.env(), GUEST_PASSWORD_ENV: GUEST_PASSWORD}
        return {key: value for key, value in secrets.items() if key.startswith("FAILBACK_")}

    def _start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        sim = VCSim()
        self._stack.callback(sim.stop)
        sim.start(username="administrator@vsphere.local", password=VCENTER_PASSWORD, timeout=120)
        admin = VCenterAdmin(sim)
        self._stack.callback(admin.close)
        (self.directory / "vcenter").mkdir()
        self.vcenter = build_lab_site(sim, admin, self.directory / "vcenter", "classic")

        self.azure = start_lab("classic")
        self._stack.callback(self.azure.arm.stop)
        self.azure.discover_datastores(admin.datastore_names())
        self.azure.discover_vcenter(sim.host, admin.instance_uuid())
        self.azure.arm.actions.polls_per_job = 3  # jobs take a few polls, so the run shows progress

        keys = SshKeys.create(self.directory / "keys")
        master_target = LabMasterTarget(self.directory / "mt01", keys)
        ubuntu_master_target(master_target.scenario)
        self._stack.enter_context(master_target)
        known_hosts = self.directory / "known_hosts"
        known_hosts.write_text(master_target.sshd.known_hosts_line() + "\n")

        ca = trustme.CA()
        config_server = self._stack.enter_context(TlsPort(certificate(ca, "cs01.lab.test", "127.0.0.1", valid_days=400)))
        process_server = self._stack.enter_context(OpenPort("127.0.0.2"))
        self._data_port = ClosedPort("127.0.0.1")  # on the master target's address, beside its sshd
        self._stack.callback(lambda: self._data_port and self._data_port.close())
        self.backups.mkdir()
        self._write_backup(age=dt.timedelta(days=40))

        # app01 is an Ubuntu guest VMware Tools can reach: the run restores its static IP through guest operations.
        guest = install_guest(self.directory / "guests" / APP, "ubuntu-netplan", mac=APP_MAC, dhcp_address=DHCP_LEASE,
                              dhcp_gateway=STATIC_IP["gateway"], dhcp_dns=tuple(STATIC_IP["dns"]), hostname=APP)
        admin.set_guest_operations(APP, guest.root, "root", GUEST_PASSWORD)
        self.azure.arm.actions.on_stage = self._on_prem_follows_asr

        self._write_site(master_target, keys, known_hosts, config_server.port, process_server.port)
        self._break()

    # -- the site file ----------------------------------------------------------------------------------------------
    def _write_site(self, master_target: LabMasterTarget, keys: SshKeys, known_hosts: Path, cs_port: int, ps_port: int) -> None:
        assert self.vcenter and self.azure and self._data_port
        vcenter = self.vcenter
        # The fake's NSG lets the failed-over VMs reach the loopback master target, as the real one lets them reach on-prem.
        nsg = self.azure.world.group(scenarios.RECOVERY_GROUP).security_groups[scenarios.NSG]
        # ASR knows the on-prem servers by the loopback addresses that play them.
        fabric = self.azure.fabric
        fabric.config_server.ip_address = "127.0.0.1"
        next(ps for ps in fabric.process_servers if ps.name == scenarios.PROCESS_SERVER).ip_address = "127.0.0.2"
        # ...and the process server's VM in Azure holds that address (ps.azure_vm finds it by it).
        self.azure.world.group(scenarios.RECOVERY_GROUP).nics[f"{scenarios.PROCESS_SERVER}-nic"].private_ip = "127.0.0.2"
        nsg.rules.append(SecurityRule("Allow-Demo-Master-Target", 120, "Outbound", "Allow", "Tcp", "*", "127.0.0.0/8"))
        lines = [
            'name = "demo-classic"',
            'experience = "classic"',
            "[vcenter]",
            f'host = "{vcenter.sim.host}"',
            f"port = {vcenter.sim.port}",
            f'user = "{vcenter.sim.username}"',
            f'password_env = "{PASSWORD_ENV}"',
            f'ca_file = "{vcenter.sim.ca_file}"',
            f'datacenter = "{vcenter.admin.datacenter_name()}"',
            f'discovery_user = "{DISCOVERY_USER}"',
            "timeout_seconds = 10",
            "[config_server]",
            'host = "127.0.0.1"',
            f"port = {cs_port}",
            'ip = "127.0.0.1"',
            f'vm_name = "{APPLIANCE}"',
            f'backup_path = "{self.backups}"',
            "[process_server]",
            'host = "127.0.0.2"',
            f"port = {ps_port}",
            "[[master_targets]]",
            f'name = "{vcenter.master_target}"',
            'host = "127.0.0.1"',
            f"port = {self._data_port.port}",
            f"ssh_port = {master_target.sshd.port}",
            f'ssh_user = "{master_target.sshd.user}"',
            f'ssh_key = "{keys.user.private_path}"',
            f'known_hosts = "{known_hosts}"',
            "ssh_timeout_seconds = 10",
        ]
        for vm in vcenter.vms:
            lines += ["[[vms]]", f'name = "{vm}"']
            if vm == APP:
                lines += ['guest_user = "root"', f'guest_password_env = "{GUEST_PASSWORD_ENV}"']
        lines += ["[policy]", "probe_timeout_seconds = 2"]
        azure = self.azure.azure_section(job_poll_seconds=0.5, retry_total=2, timeout_seconds=10)
        self.site_path.write_text("\n".join(lines) + "\n" + azure)

    # -- breaking and repairing -------------------------------------------------------------------------------------
    def _break(self) -> None:
        assert self.vcenter and self.azure
        admin = self.vcenter.admin
        admin.create_snapshot(APP, "before-windows-update")
        read_only = admin.add_role("ReadOnly-Discovery", [])
        admin.set_permission("datacenter", DISCOVERY_USER, read_only, propagate=True)
        free = admin.add_license(*FREE_LICENCE)
        admin.assign_license(admin.vm_host(DB), free)
        admin.set_vm_guest(
            APP,
            net=[{"mac": "00:50:56:01:02:03", "network": "VM Network", "dhcp": False,
                  "ips": [{"ip": STATIC_IP["ip"], "prefix": STATIC_IP["prefix"], "origin": "manual"}]}],
            gateway=STATIC_IP["gateway"],
            dns=STATIC_IP["dns"],
        )
        self._vpn_tunnel("NotConnected")
        self.azure.arm.actions.fail_next("UnplannedFailover", SCRIPTED_FAILURE)

    def repair_other_teams(self) -> list[str]:
        """What the colleagues do while the operator uses the tool: each line says who fixed what."""
        assert self.vcenter and self._data_port
        admin = self.vcenter.admin
        done = []
        grant_discovery_role(admin, f"{DISCOVERY_ROLE}-granted")
        done.append(f"vSphere team: gave {DISCOVERY_USER} the Azure Site Recovery privileges on the datacenter")
        paid = admin.add_license(*PAID_LICENCE)
        admin.assign_license(admin.vm_host(DB), paid)
        done.append(f"vSphere team: licensed the host of {DB} with vSphere Enterprise Plus")
        if isinstance(self._data_port, ClosedPort):
            port = self._data_port.port
            self._data_port.close()
            self._data_port = OpenPort("127.0.0.1", port=port)
            done.append(f"network team: opened 9443 (here {port}) on the master target's firewall")
        self._write_backup(age=dt.timedelta(minutes=5))
        done.append("backup team: took a fresh configuration-server backup")
        self._vpn_tunnel("Connected")
        done.append("network team: brought the VPN tunnel back up")
        return done

    def _on_prem_follows_asr(self, item: ProtectedItem, stage: str) -> None:
        """A VM failed over to on-prem powers on there, VMware Tools running, on the DHCP lease it gets back."""
        assert self.vcenter
        if stage != "failed_back" or item.friendly_name not in self.vcenter.vms:
            return
        name = item.friendly_name
        address, prefix = (DHCP_LEASE if name == APP else "10.20.0.158/24").split("/")
        with self._vcenter_lock:
            admin = self.vcenter.admin
            if admin.power_state(name) != "poweredOn":
                admin.power_on(name)
            admin.set_vm_guest(name, tools_running_status="guestToolsRunning", guest_family="linuxGuest",
                               net=[{"mac": APP_MAC if name == APP else "00:50:56:01:02:04", "network": "VM Network", "dhcp": True,
                                     "ips": [{"ip": address, "prefix": int(prefix), "origin": "dhcp"}]}],
                               gateway=STATIC_IP["gateway"], dns=STATIC_IP["dns"])

    def _vpn_tunnel(self, status: str) -> None:
        assert self.azure
        connection = self.azure.world.group(scenarios.ASR_GROUP).connections[scenarios.CONNECTION]
        connection.tunnels[1].status = status

    def _write_backup(self, age: dt.timedelta) -> None:
        path = self.backups / f"cs01-backup-{dt.datetime.now(dt.UTC) - age:%Y%m%d-%H%M}.zip"
        path.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip archive: small, but not an empty file
        stamp = (dt.datetime.now(dt.UTC) - age).timestamp()
        os.utime(path, (stamp, stamp))

