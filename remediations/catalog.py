"""Remediations for the vCenter side of a failback. Steps name the finding's evidence in `{braces}`."""

from __future__ import annotations

from remediations.model import Remediation

_ASR_VMWARE_FAILBACK = "https://learn.microsoft.com/azure/site-recovery/vmware-azure-failback"
_ASR_MODERNIZED_FAILBACK = "https://learn.microsoft.com/azure/site-recovery/failover-failback-overview-modernized"
_ASR_SUPPORT_MATRIX = "https://learn.microsoft.com/azure/site-recovery/vmware-physical-azure-support-matrix"
_ASR_VCENTER_ACCOUNT = "https://learn.microsoft.com/azure/site-recovery/vmware-azure-tutorial-prepare-on-premises"
_ASR_REPROTECT = "https://learn.microsoft.com/azure/site-recovery/vmware-azure-reprotect"
_ASR_MASTER_TARGET = "https://learn.microsoft.com/azure/site-recovery/vmware-azure-install-linux-master-target"

_ENTRIES = (
    Remediation(
        "vcenter-connect",
        "Make vCenter {target_name} reachable and trusted",
        (
            "Check that this machine reaches {target_name} on the configured port (firewall, VPN, proxy).",
            "Check the user and the password in the environment variable the site file names (password_env).",
            "If the certificate is not trusted: export the vCenter root CA (https://{target_name}/certs/download.zip) "
            "and set [vcenter] ca_file, or pin the certificate with [vcenter] thumbprint = \"{thumbprint_sha256}\" "
            "after checking that fingerprint with your vCenter administrator.",
        ),
        (_ASR_VCENTER_ACCOUNT,),
    ),
    Remediation(
        "vcenter-upgrade",
        "Run a vCenter and ESXi version Site Recovery supports",
        (
            "Supported for this experience: {supported}. Found: {version}.",
            "Upgrade vCenter first, then the ESXi hosts (vSphere Lifecycle Manager), or fail back to hosts that run a supported version.",
        ),
        (_ASR_SUPPORT_MATRIX,),
    ),
    Remediation(
        "grant-discovery-privileges",
        "Grant the discovery account every privilege ASR needs on datacenter {datacenter}",
        (
            "Missing for {account}: {missing}.",
            "vSphere Client: Administration > Roles: add those privileges to the role the account holds (or create an "
            "'Azure_Site_Recovery' role with the full list).",
            "On datacenter {datacenter}: Permissions > Add: user {account}, that role, tick 'Propagate to children'.",
            "PowerCLI: New-VIPermission -Entity (Get-Datacenter '{datacenter}') -Principal '{account}' -Role "
            "'Azure_Site_Recovery' -Propagate:$true",
        ),
        (_ASR_VCENTER_ACCOUNT, _ASR_REPROTECT),
    ),
    Remediation(
        "license-esxi",
        "Assign a paid vSphere licence to host {target_name}",
        (
            "Host {target_name} runs '{edition}' ({license_name}); a free ESXi licence lets failover work and makes failback fail.",
            "vSphere Client: Administration > Licenses > Assets > Hosts: assign a vSphere Standard/Enterprise licence to {target_name}.",
            "govc: govc license.assign -host {target_name} <licence key>",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "remove-snapshots",
        "Delete every snapshot of {target_name}",
        (
            "Snapshots on {target_name}: {snapshots}. Reprotect fails while a VM to fail back onto has snapshots.",
            "vSphere Client: right-click {target_name} > Snapshots > Manage Snapshots > Delete All, then Consolidate if offered.",
            "PowerCLI: Get-VM '{target_name}' | Get-Snapshot | Remove-Snapshot -Confirm:$false",
            "govc: govc snapshot.remove -vm '{target_name}' '*'",
        ),
        (_ASR_REPROTECT,),
        automatable=True,
    ),
    Remediation(
        "resolve-name-clash",
        "Leave one VM named {target_name} on the target host",
        (
            "VMs named {target_name}: {clashes}. ASR refuses with error 78052 when another VM of that name is on the host.",
            "Rename or remove the VM that is not the failback target (vSphere Client: Rename / Remove from Inventory), "
            "or fail back to an alternate location.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "set-disk-enableuuid",
        "Set disk.EnableUUID = TRUE on {target_name}",
        (
            "Power off {target_name}: the setting is read at power-on.",
            "vSphere Client: Edit Settings > VM Options > Advanced > Edit Configuration: add disk.EnableUUID = TRUE.",
            "PowerCLI: New-AdvancedSetting -Entity (Get-VM '{target_name}') -Name disk.EnableUUID -Value TRUE -Confirm:$false",
            "govc: govc vm.change -vm '{target_name}' -e disk.enableUUID=TRUE",
        ),
        (_ASR_MASTER_TARGET,),
        automatable=True,
    ),
    Remediation(
        "master-target-lsi-logic",
        "Give master target {target_name} an LSI Logic SCSI controller",
        (
            "Controllers found: {controllers}. ASR cannot attach failback disks to a Paravirtual SCSI controller.",
            "Power off {target_name}, Edit Settings: change the SCSI controller type to LSI Logic SAS (or LSI Logic Parallel), power on.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "start-vmware-tools",
        "Run VMware Tools on master target {target_name}",
        (
            "Tools status: {tools_status}.",
            "Linux: sudo apt-get install open-vm-tools (or yum install open-vm-tools); sudo systemctl enable --now open-vm-tools.",
            "Windows: install or repair VMware Tools from the vSphere Client (Guest OS > Install VMware Tools), then reboot.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "match-master-target-os",
        "Use a master target of the same OS family as every VM it serves",
        (
            "Master target {target_name} is {mt_family}; it serves {mismatched}.",
            "Windows VMs fail back through a Windows master target (the configuration server's built-in one); Linux VMs "
            "through a Linux master target. Install the missing one and set master_target for those VMs in the site file.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "mount-datastore",
        "Mount datastore {target_name} read-write on every host that needs it",
        (
            "Hosts without read-write access: {hosts_without_access}. ASR error 8061: the datastore is not accessible from the host.",
            "vSphere Client: Datastore {target_name} > Actions > Mount Datastore to additional hosts; check the host's storage adapters rescan.",
            "If the mount is read-only, fix the export/LUN permissions on the array for those hosts.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "use-vmfs-datastore",
        "Fail back to a VMFS or vSAN datastore",
        (
            "Datastore {target_name} is {type}; ASR offers only VMFS and vSAN datastores for failback.",
            "Pick a VMFS or vSAN datastore seen by the master target's (or appliance's) host and set it as datastore for the VMs in the site file.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "free-datastore-space",
        "Free {shortfall_gb} GB on datastore {target_name}",
        (
            "Needed: {required_gb} GB for {vms} (plus {headroom_percent}% headroom); free: {free_gb} GB.",
            "Delete old snapshots and orphaned VMDKs, Storage vMotion other VMs away, or choose another datastore.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "free-host-memory",
        "Make {shortfall_mb} MB of memory available on host {target_name}",
        (
            "The VMs coming back to {target_name} need {required_mb} MB; {available_mb} MB is free. ASR error 8038.",
            "vMotion other VMs away, or set target_host for some of {vms} in the site file.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "sync-clocks",
        "Synchronise the clocks of this machine, vCenter and the ESXi hosts",
        (
            "Skew found: {skew_seconds} s (allowed {max_seconds} s).",
            "Point vCenter (VAMI > Time) and every host (Configure > Time Configuration) at the same NTP servers as this machine.",
        ),
        (),
    ),
    Remediation(
        "plan-static-ip-restore",
        "Plan the restore of {target_name}'s static IP after failback",
        (
            "{target_name} has a static address on-premises today: {addresses} (gateway {gateway}, DNS {dns}).",
            "It comes back on DHCP. Keep this report; after failback log on through the VM console and set the address back.",
            "Then run `failback check --gate after-failback` to confirm it.",
        ),
        (_ASR_VMWARE_FAILBACK, _ASR_MODERNIZED_FAILBACK),
    ),
    Remediation(
        "find-vm",
        "Make {target_name} findable in vCenter, or fail back to an alternate location",
        (
            "No VM named {target_name} is in datacenter {datacenter}. Check the name in the site file (it must equal the VM name in vCenter).",
            "If the original VM was deleted, set recovery_location = \"alternate\" for it in the site file.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
)

CATALOG: dict[str, Remediation] = {entry.id: entry for entry in _ENTRIES}


def get(remediation_id: str) -> Remediation:
    return CATALOG[remediation_id]
