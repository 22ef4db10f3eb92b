"""A lab failback site on the simulator: a healthy baseline every check passes, which tests and the demo then break.

The baseline is what a well-prepared site looks like: supported versions, paid licences, a discovery role with every
privilege propagated from the datacenter, disk.EnableUUID set, no snapshots, room on the datastore and the hosts, clocks
in step. Its two shapes: classic, with a Linux master target (mt01) on LSI Logic with VMware Tools running; modernized,
with no master target, the replication appliance (asr-appliance, the VM whose reprotect agent the fake ASR names alike)
running with VMware Tools on the standalone host, writing the failback disks.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from failback.checks.site import Site
from failback.checks.sitefile import load_site
from failback.checks.vcenter.permissions import required_privileges
from failback.lab.vcenter_admin import VCenterAdmin
from failback.lab.vcsim import VCSim

PASSWORD_ENV = "FAILBACK_LAB_VCENTER_PASSWORD"
DISCOVERY_USER = "asr-discovery@vsphere.local"
DISCOVERY_ROLE = "Azure_Site_Recovery"
PAID_LICENCE = ("AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", "esx.enterprisePlus.cpuPackage", "vSphere 7 Enterprise Plus")
GIB = 1024**3

# Lab VM names, and the simulator's names they replace (govmomi's VPX model with one cluster and one standalone host).
APP, DB, MASTER_TARGET, APPLIANCE = "app01", "db01", "mt01", "asr-appliance"


@dataclass
class LabSite:
    """A running lab vCenter shaped as a failback site, with its site file written to `directory`."""

    sim: VCSim
    admin: VCenterAdmin
    directory: Path
    experience: str
    vms: list[str] = field(default_factory=lambda: [APP, DB])
    master_target: str = MASTER_TARGET
    site_path: Path = Path()
    extra_site_toml: str = ""

    def env(self) -> dict[str, str]:
        return {**os.environ, PASSWORD_ENV: self.sim.password}

    def write_site(self, **vm_settings: dict[str, str]) -> Path:
        """Write the site file; vm_settings adds keys to a VM's [[vms]] entry, e.g. app01={"datastore": "ds2"}."""
        lines = [
            f'name = "lab-{self.experience}"',
            f'experience = "{self.experience}"',
            "[vcenter]",
            f'host = "{self.sim.host}"',
            f"port = {self.sim.port}",
            f'user = "{self.sim.username}"',
            f'password_env = "{PASSWORD_ENV}"',
            f'ca_file = "{self.sim.ca_file}"',
            f'datacenter = "{self.admin.datacenter_name()}"',
            f'discovery_user = "{DISCOVERY_USER}"',
            "timeout_seconds = 10",
            "[config_server]",
            'host = "127.0.0.1"',
            f'vm_name = "{APPLIANCE}"',
        ]
        if self.experience == "classic":
            lines += ["[[master_targets]]", f'name = "{self.master_target}"', 'host = "127.0.0.1"']
        for vm in self.vms:
            lines += ["[[vms]]", f'name = "{vm}"']
            lines += [f'{key} = "{value}"' for key, value in vm_settings.get(vm, {}).items()]
        text = "\n".join(lines) + "\n" + self.extra_site_toml
        self.site_path = self.directory / f"lab-{self.experience}.toml"
        self.site_path.write_text(text)
        return self.site_path

    def site(self) -> Site:
        return load_site(self.site_path)


def grant_discovery_role(admin: VCenterAdmin, role_name: str) -> None:
    """A role with every privilege ASR needs, given to the discovery account on the datacenter, propagated."""
    server_privileges = [p.privId for p in admin.content.authorizationManager.privilegeList]
    role = admin.add_role(role_name, required_privileges(server_privileges))
    admin.set_permission("datacenter", DISCOVERY_USER, role, propagate=True)


def build_lab_site(sim: VCSim, admin: VCenterAdmin, directory: Path, experience: str = "classic") -> LabSite:
    """Shape a fresh simulator (started with 2 VMs per resource pool) into the healthy baseline of the experience
    ("classic" or "modernized") and write its site file."""
    cluster_vms = sorted(name for name in admin.vm_names() if "_C0_" in name)
    standalone_vms = sorted(name for name in admin.vm_names() if "_C0_" not in name)
    # A modernized site has no master target: the simulator's VM keeps its own name there, a bystander.
    master_target = MASTER_TARGET if experience == "classic" else standalone_vms[0]
    for old, new in zip(cluster_vms + standalone_vms, (APP, DB, master_target, APPLIANCE), strict=False):
        if old != new:
            admin.rename_vm(old, new)
    _healthy_hosts_and_datastores(admin)
    _protected_vms_off(admin)
    if experience == "classic":
        admin.set_extra_config(MASTER_TARGET, "disk.EnableUUID", "TRUE")
        admin.set_guest_id(MASTER_TARGET, "ubuntu64Guest")
        admin.use_lsi_logic(MASTER_TARGET)  # the simulator's VMs come with Paravirtual SCSI, which a master target must not use
        admin.set_vm_guest(MASTER_TARGET, tools_running_status="guestToolsRunning", guest_family="linuxGuest")
    else:
        # The replication appliance is a Windows Server VM; its reprotect agent writes the failback disks.
        admin.set_guest_id(APPLIANCE, "windows9Server64Guest")
        admin.set_vm_guest(APPLIANCE, tools_running_status="guestToolsRunning", guest_family="windowsGuest")
    lab = LabSite(sim, admin, directory, experience)
    lab.write_site()
    return lab


def build_standalone_host_site(sim: VCSim, admin: VCenterAdmin, directory: Path) -> LabSite:
    """A modernized site whose [vcenter] host is one ESXi host registered without vCenter (the simulator started with
    esx=True and 2 VMs): its datacenter is ha-datacenter; the appliance runs elsewhere."""
    for old, new in zip(sorted(admin.vm_names()), (APP, DB), strict=True):
        admin.rename_vm(old, new)
    _healthy_hosts_and_datastores(admin)
    _protected_vms_off(admin)
    lab = LabSite(sim, admin, directory, "modernized")
    lab.write_site()
    return lab


def _healthy_hosts_and_datastores(admin: VCenterAdmin) -> None:
    """Supported versions, a paid licence on every host, room on the hosts and the VMFS datastores every host mounts
    read-write, and the discovery role."""
    admin.set_about(version="7.0.3", build="21477706", api_version="7.0.3.0")
    licence = admin.add_license(*PAID_LICENCE)
    for host in admin.host_names():
        admin.set_host(host, version="7.0.3", build="21424296", memory_size_bytes=256 * GIB, memory_usage_mb=16 * 1024)
        admin.assign_license(host, licence)
    every_host_read_write = [{"host": host, "access_mode": "readWrite", "mounted": True, "accessible": True} for host in admin.host_names()]
    for datastore in admin.datastore_names():
        admin.set_datastore(datastore, capacity_bytes=4096 * GIB, free_bytes=2048 * GIB, type="VMFS", host_mounts=every_host_read_write)
    grant_discovery_role(admin, DISCOVERY_ROLE)


def _protected_vms_off(admin: VCenterAdmin) -> None:
    """The protected VMs are off: they run in Azure until failback. Linux, disk.EnableUUID set, on DHCP when last seen."""
    for vm in (APP, DB):
        admin.set_extra_config(vm, "disk.EnableUUID", "TRUE")
        admin.power_off(vm)
        admin.set_guest_id(vm, "ubuntu64Guest")
        admin.set_vm_guest(
            vm,
            guest_family="linuxGuest",
            net=[{"mac": "00:50:56:00:00:01", "network": "VM Network", "dhcp": True, "ips": [{"ip": "10.0.0.50", "prefix": 24, "origin": "dhcp"}]}],
            gateway="10.0.0.1",
            dns=["10.0.0.2"],
        )
