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
    # -- host-level checks: ports, DNS, master targets over SSH, the configuration server's backup ------------------------
    Remediation(
        "open-failback-ports",
        "Open the path from here to {role} at {target_name}",
        (
            "Probe result: {outcome} ({reason}).",
            "refused: start the service on {target_name} (configuration server: the IIS/cxprocessserver services; process "
            "server and master target: the InMage Scout Application service / svagents), or open its host firewall.",
            "timeout: a firewall, NSG or the VPN drops the traffic: allow TCP from this machine (and from the Azure VNet) to "
            "{target_name}; check the site-to-site VPN or ExpressRoute private peering is up.",
            "tls_timeout / tls_error: something else answers on that port (a proxy, a TLS-inspecting firewall): make the port "
            "reach the ASR component directly.",
            "Then run `failback check --only network.ports` again.",
        ),
        (_ASR_VMWARE_FAILBACK, _ASR_SUPPORT_MATRIX),
    ),
    Remediation(
        "renew-certificate",
        "Renew the certificate of {role} at {target_name}",
        (
            "Subject {subject}, issued by {issuer}, valid until {not_after} ({days_left} days left); SHA-256 {sha256}.",
            "Classic configuration server: renew from the Azure portal (vault > Site Recovery infrastructure > Configuration "
            "Servers > Renew certificates), then restart the agents' registration where asked.",
            "Modernized appliance: renew from the vault's replication appliance blade, or re-register the appliance.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "fix-dns-records",
        "Make {target_name} resolve the same, correct way everywhere",
        (
            "Found: {problems}.",
            "NXDOMAIN or no record: add the A record (and its PTR) on the on-prem DNS servers; make the Azure-side DNS "
            "servers forward the on-prem zone to them (conditional forwarder) so both sides answer alike.",
            "Disagreement: the stale side still holds an old record (often the Azure DNS after failover): delete it or fix the forwarder.",
            "Reverse mismatch: correct the PTR record of the address in the reverse zone.",
            "Timeout: the DNS server does not answer from here: check the VPN/ExpressRoute path and its firewall (UDP and TCP 53).",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "ssh-access",
        "Let failback log in to {target_name} over SSH",
        (
            "List the host in the site file with host, ssh_user, ssh_key (or an SSH agent) and known_hosts; add jump_host "
            "when it is only reachable through a bastion.",
            "Refused or timed out: start sshd on the host and open TCP 22 (or ssh_port) from this machine or the bastion.",
            "Refused login: put the public key of ssh_key in the user's ~/.ssh/authorized_keys; an encrypted key needs "
            "ssh_key_passphrase_env naming the variable that holds its passphrase.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "trust-ssh-host-key",
        "Verify the SSH host key of {target_name}, then record it in known_hosts",
        (
            "The host presents {host_key_sha256}. Compare it with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` run "
            "on the host's own console; a different fingerprint means someone else answers: stop there.",
            "If they match: ssh-keygen -R '{known_hosts_entry}' (drops a stale line), then ssh-keyscan the host into the "
            "known_hosts file the site file names, and check that file's new line has that fingerprint (ssh-keygen -lf).",
            "Then remove insecure_host_keys from the site file if it is set.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "rebuild-linux-master-target",
        "Run the master target {target_name} on a supported OS and kernel, without LVM and without automatic updates",
        (
            "Found on {target_name}: {problems}. Supported: {supported}.",
            "A kernel off the list: install a supported one (Ubuntu: apt-get install linux-image-4.4.0-81-generic), boot it and "
            "hold it (apt-mark hold linux-image-generic).",
            "Automatic updates on: Ubuntu: set APT::Periodic::Unattended-Upgrade \"0\" in "
            "/etc/apt/apt.conf.d/20auto-upgrades; CentOS: remove yum-cron.",
            "LVM in use: the master target must use plain partitions: rebuild it from Microsoft's master target template.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "install-master-target-packages",
        "Install the missing packages on master target {target_name}",
        (
            "Missing ({package_manager}): {missing}.",
            "On {target_name} as root: {install_command}",
        ),
        (_ASR_MASTER_TARGET,),
        automatable=True,
    ),
    Remediation(
        "prepare-retention-volume",
        "Give master target {target_name} a retention volume of its own at {path}",
        (
            "Found: {problems}.",
            "Add a disk to the master target VM (at least {min_free_gb} GB free), format it ext4 (not FAT), mount it at {path} "
            "and add it to /etc/fstab (by UUID) so it survives a reboot.",
            "Do not use the OS disk or the agent's installation volume for retention.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "align-master-target-version",
        "Keep master target {target_name}'s agent at or below the configuration and process servers' versions",
        (
            "Master target agent: {version}; other components: {compared_with}.",
            "Upgrade the configuration server first, then the process server, then the master target (run the unified agent "
            "installer; `cat /usr/local/.vx_version` shows the result).",
            "If the versions are not known yet, set [config_server] version and [process_server] version in the site file "
            "from the vault's Site Recovery infrastructure blade.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "backup-config-server",
        "Take a fresh configuration-server backup and keep the server's registered IP",
        (
            "Found: {problems}.",
            "Back up the configuration server now (its MySQL database and the ASR folders, as Microsoft describes) to {backup_path}, "
            "and schedule it at least every {max_age_hours} h.",
            "A restored configuration server must come back with the IP it was registered with ([config_server] ip: "
            "{registered_ip}); it has now: {current_ips}. Fix the DNS record, or the server's address, before reprotect.",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-manage-configuration-server",),
    ),
)

CATALOG: dict[str, Remediation] = {entry.id: entry for entry in _ENTRIES}


def get(remediation_id: str) -> Remediation:
    return CATALOG[remediation_id]
