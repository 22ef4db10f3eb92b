"""Remediations for the vCenter side of a failback. Steps name the finding's evidence in `{braces}`."""

from __future__ import annotations

from failback.remediations.model import Remediation

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
        "rediscover-vcenter",
        "Make ASR discover the VMs through vCenter {target_name}",
        (
            "ASR records: {asr_records}. vCenter {target_name} has instance UUID {instance_uuid}.",
            "If the site file names the wrong vCenter, fix [vcenter] host.",
            "A rebuilt or replaced vCenter is a new vCenter to ASR. Classic: on the configuration server, add it (or edit the "
            "vCenter's address and account: vault > Site Recovery infrastructure > Configuration servers > the server > "
            "vCenter servers) and refresh the server so it discovers the VMs again. Modernized: in the appliance's "
            "configuration manager, update the vCenter server's address and credentials and let discovery run.",
            "VMs whose on-premises copies went with the old vCenter fail back to an alternate location (a new VM).",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-manage-vcenter", _ASR_REPROTECT),
    ),
    Remediation(
        "license-esxi",
        "Assign a paid vSphere licence to host {target_name}",
        (
            "Host {target_name} runs '{edition}' ({license_name}); a free ESXi licence lets failover work and makes failback fail.",
            "vSphere Client: Administration > Licenses > Assets > Hosts: assign a vSphere Standard/Enterprise licence to {target_name}.",
            "govc: govc license.assign -host {target_name} <licence key>",
            "A standalone host the site registers without vCenter: ESXi Host Client > Manage > Licensing > Assign license, "
            "or PowerCLI connected to the host: Set-VMHost -VMHost {target_name} -LicenseKey <licence key>.",
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
            "Controllers found: {controller_names} ({controllers}). ASR attaches failback disks only to LSI Logic (Parallel or "
            "SAS) controllers; Paravirtual, BusLogic, NVMe and AHCI are not supported on a master target.",
            "Power off {target_name}, Edit Settings: change each SCSI controller's type to LSI Logic SAS (or LSI Logic Parallel); "
            "move disks on an NVMe or SATA controller to an LSI Logic one (the guest must have its driver first), then power on.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "master-target-own-identity",
        "Give master target {target_name} an identity of its own",
        (
            "{target_name} (BIOS UUID {bios_uuid}, instance UUID {instance_uuid}) shares it with {shared_with}: both were "
            "cloned from one template or copied. ASR tells machines apart by these UUIDs, so reprotect through it fails.",
            "Deploy a new master target on a fresh VM, not cloned from the protected VMs' template (Linux: the master "
            "target installer on a supported Ubuntu; Windows: the configuration server's own), register it with the "
            "configuration server, and set master_target for the VMs in the site file.",
            "Compare the identities with PowerCLI: Get-VM | Select Name, @{{n='BiosUuid';e={{$_.ExtensionData.Config.Uuid}}}}, "
            "@{{n='InstanceUuid';e={{$_.ExtensionData.Config.InstanceUuid}}}}",
        ),
        (_ASR_MASTER_TARGET, _ASR_REPROTECT),
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
            "Needed: {required_gb} GB for {vms} ({growth_summary}, plus {headroom_percent}% headroom); free: {free_gb} GB.",
            "What grows: {growth}.",
            "Delete old snapshots and orphaned VMDKs, Storage vMotion other VMs away, or choose another datastore "
            "(datastore for the VMs in the site file, and recovery_location = \"alternate\").",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "free-host-memory",
        "Make {shortfall_mb} MB of memory available on host {target_name}",
        (
            "The VMs coming back to {target_name} need {required_mb} MB; {available_mb} MB is free (ASR error 8038).",
            "Free memory on the host the VMs come back to: vMotion other VMs away, or power off what can wait.",
            "Or set target_host for some of {vms} in the site file, to bring them back to another host.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "restore-host-state",
        "Bring host {target_name} back: connected to vCenter and out of maintenance mode",
        (
            "{target_name} is {problem}; the failback needs it: {roles}.",
            "Disconnected or not responding: check the host's management network and that hostd and vpxa run on it (DCUI > "
            "Troubleshooting Options > Restart Management Agents), then vSphere Client: right-click the host > Connection > Connect. "
            "PowerCLI: Get-VMHost '{target_name}' | Set-VMHost -State Connected",
            "In maintenance mode: once its work is done, vSphere Client: right-click the host > Maintenance Mode > Exit. "
            "PowerCLI: Get-VMHost '{target_name}' | Set-VMHost -State Connected; govc: govc host.maintenance.exit '{target_name}'",
            "Or bring the VMs back to another host: set target_host for them in the site file.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "sync-clocks",
        "Synchronise the clocks of this machine, vCenter and the ESXi hosts",
        (
            "{target_name}'s clock is off by {skew_seconds} s (allowed {max_seconds} s).",
            "Point vCenter (VAMI > Time) and every host (Configure > Time Configuration) at the same NTP servers as this machine.",
            "For an ESXi host, PowerCLI: `Get-VMHost <host> | Add-VMHostNtpServer -NtpServer <ntp>`, then "
            "`Get-VMHost <host> | Get-VMHostService | Where-Object Key -eq ntpd | Start-VMHostService`; "
            "or govc: `govc host.date.change -host <host> -server <ntp>` and `govc host.service -host <host> start ntpd`.",
        ),
        (),
    ),
    Remediation(
        "plan-static-ip-restore",
        "Plan the restore of {target_name}'s static IP after failback",
        (
            "{target_name} has a static address on-premises today: {addresses} (gateway {gateway}, DNS {dns}).",
            "It comes back on DHCP. Keep this report as JSON: it is the record of what to restore.",
            "After failback, `failback fix --check guest.ip_mode --target {target} --record REPORT.json` sets it again inside "
            "the guest through VMware Tools guest operations (`failback run` does it at its static-IP step), when the site file "
            "gives the VM guest_user and guest_password_env; --dry-run shows the exact commands first.",
            "Without guest credentials, log on through the VM console and set the address back by hand.",
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
            "A restored configuration server must come back with the IP it was registered with ({registered_ip}, as "
            "{registered_told_by} records it); it has now: {current_ips}. Fix the DNS record, or the server's address, before "
            "reprotect.",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-manage-configuration-server",),
    ),
    # -- Azure and ASR: access, the network from Azure, the protected items and the ASR servers ---------------------------
    Remediation(
        "azure-access",
        "Let failback sign in to Azure and read the vault",
        (
            "Sign-in: [azure] credential chooses the identity (client_id with client_secret_env: a service principal). Check "
            "tenant_id and client_id, and that the variable holds the secret's value (not its id) and the secret has not expired.",
            "Names: [azure] subscription_id, resource_group and vault must be the Recovery Services vault's (portal: the vault > "
            "Properties).",
            "Permissions: the identity needs Site Recovery Reader (or Reader) on the vault, Reader on the VPN, ExpressRoute, NICs "
            "and VMs, and Network Contributor on the Network Watcher for its connectivity check.",
            "Reach: this machine must reach the ARM endpoint and the authority over HTTPS (a proxy: HTTPS_PROXY; a TLS-inspecting "
            "one: its CA in [azure] ca_file); sovereign clouds set [azure] cloud.",
        ),
        (_ASR_SUPPORT_MATRIX,),
    ),
    Remediation(
        "azure-resource-names",
        "Name an Azure resource that exists",
        (
            "{reason}.",
            "Check the name in the site file (case does not matter) and its resource group; a resource in another group or "
            "subscription is given by its full resource id (portal: the resource > Properties > Resource ID).",
            "Network Watcher exists per region as NetworkWatcher_<region> in NetworkWatcherRG once enabled: enable it there, or "
            "set [azure] network_watcher (and network_watcher_resource_group) to yours.",
        ),
        (),
    ),
    Remediation(
        "restore-vpn-connection",
        "Bring the site-to-site VPN {target_name} up",
        (
            "Found: status {status}; tunnels {tunnels}; BGP peers {bgp_peers}.",
            "Portal: the connection > Troubleshoot, or Reset the virtual network gateway; the shared key and IPsec/IKE policy "
            "must match the on-prem device's.",
            "On the on-prem device: tunnel status and logs; its public address must be the local network gateway's.",
            "BGP: the local network gateway's BGP peer address and ASN must be the device's, and the device must announce the "
            "on-prem prefixes.",
            "Sites without VPN list their circuits in [azure] expressroute_circuits; sites with one list it in vpn_connections.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "enable-expressroute-circuit",
        "Make ExpressRoute circuit {target_name} carry the failback",
        (
            "Found: provider {provider_state}, circuit {circuit_state}, peerings {peerings}.",
            "Not provisioned: give the circuit's service key to {service_provider} and have them provision it.",
            "Private peering: portal: the circuit > Peerings > Azure private: configure and enable it, and connect the gateway of "
            "the failed-over VMs' VNet to the circuit.",
            "Classic: Microsoft peering with a route filter allowing the region's Azure Storage and Site Recovery, for replication "
            "to Azure after failback.",
        ),
        (_ASR_SUPPORT_MATRIX,),
    ),
    Remediation(
        "open-azure-path",
        "Open the path from Azure VM {source_vm} to {role} at {target_name}",
        (
            "Network Watcher: {status}; stops at hop {failing_hop}: {issues}.",
            "NetworkSecurityRule: allow the flow in that NSG (network.nsg shows the rule). UserDefinedRoute: send the on-prem "
            "prefixes through the VPN/ExpressRoute gateway or a firewall that allows them. GuestFirewall: open the port in the VM.",
            "No issue on the last hop: the on-prem firewall drops it or nothing listens (configuration server/appliance 443, master "
            "target/process server 9443).",
            "[azure] path_from names the VMs to test from (classic: the process server's VM); [azure] network_watcher the watcher.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "allow-failback-flows-in-nsg",
        "Allow {target_name}'s failback traffic in its network security groups",
        (
            "Denied: {denied}.",
            "Add an outbound rule with a lower priority number than the denying rule: TCP to the configuration server/appliance "
            "on 443 and to the process server or master target on 9443, e.g. az network nsg rule create -g <group> --nsg-name "
            "<nsg> -n Allow-ASR-Failback --direction Outbound --access Allow --protocol Tcp --destination-address-prefixes "
            "<on-prem prefix> --destination-port-ranges 443 9443 --priority <n>.",
            "A flow must pass both the NIC's NSG and its subnet's NSG.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "prepare-protected-item",
        "Get {target_name} ready for its next failback operation",
        (
            "It is {stage}; next comes {next_operation}; ASR allows now: {allowed_operations}.",
            "ASR's errors: {asr_errors}.",
            "A job is running: let it finish (vault > Site Recovery jobs). An operation not allowed: resolve the item's errors "
            "first (vault > Replicated items > the VM > Error details), then refresh its state.",
            "Then run `failback check --only asr.item_state` again.",
        ),
        (_ASR_REPROTECT, _ASR_MODERNIZED_FAILBACK),
    ),
    Remediation(
        "find-protected-item",
        "Make {target_name} a protected item the tool finds in the vault",
        (
            "A [[vms]] name must be the replicated item's name in the vault (vault > Replicated items); or name the items' "
            "recovery plan in [azure] recovery_plan.",
            "A VM that is not replicated cannot fail back: enable its replication first.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "match-site-experience",
        "Make the site file's experience the vault's",
        (
            "Site file: {declared}; the vault runs {vault_runs}.",
            "experience = \"classic\" when the vault replicates with InMageAzureV2/InMage (a configuration server), "
            "\"modernized\" with InMageRcm/InMageRcmFailback (a replication appliance).",
            "A vault moving from classic to modernized holds both: fail back each VM with its own provider's experience, one "
            "site file per experience.",
        ),
        (_ASR_MODERNIZED_FAILBACK,),
    ),
    Remediation(
        "wait-for-recovery-point",
        "Let {target_name} produce a recovery point before failing over",
        (
            "Found: {count} recovery point(s); the latest {latest}; the latest application-consistent {latest_app_consistent}.",
            "Replication back must finish its initial copy (vault > Replicated items > the VM shows its progress); if it does not "
            "progress, check the process server or appliance (ps.health, appliance.health).",
            "A multi-VM plan wants an application-consistent point: wait for the replication policy's next one.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "resync-protected-item",
        "Resynchronise {target_name}'s replication before failing over",
        (
            "ASR: resyncRequired {resync_required}, resyncState {resync_state}.",
            "Vault > Replicated items > {target_name} > Resynchronize (REST: POST .../replicationProtectedItems/<item>/"
            "repairReplication), then wait until the item shows Protected and a new recovery point arrives.",
            "A resynchronisation that does not progress: check the appliance's process server and reprotect agent "
            "(appliance.health) and the item's health errors (asr.item_state).",
        ),
        (_ASR_MODERNIZED_FAILBACK,),
    ),
    Remediation(
        "retry-planned-failover",
        "Resolve {target_name}'s failed planned failover, then run it again",
        (
            "ASR: its last planned failover, started {last_planned_failover_started}, {last_planned_failover_status}.",
            "Read the failed job's error (vault > Site Recovery jobs, or asr.item_state's evidence) and fix its cause first.",
            "Run the planned failover again (vault > Replicated items > {target_name} > Planned failover; PowerShell: "
            "Start-AzRecoveryServicesAsrPlannedFailoverJob -Direction RecoveryToPrimary), or, where the item is left in a "
            "failover state, Cancel failover (REST: POST .../failoverCancel) and start over.",
            "An item that also needs resynchronisation: resynchronise it first (resync-protected-item).",
        ),
        (_ASR_MODERNIZED_FAILBACK,),
    ),
    Remediation(
        "failback-to-alternate-location",
        "Fail {target_name} back to an alternate location: its disks grew in Azure",
        (
            "Grown in Azure: {resized}.",
            "Failback to the original location writes into the on-premises disks, which are now too small, and Azure cannot "
            "shrink a managed disk: fail back to an alternate location, a new VM whose disks take the Azure sizes.",
            "ASR creates that new VM when the original VM is no longer on-premises: unregister (or rename) the original VM in "
            "vCenter before reprotect, and keep its files until the failback is verified.",
            "In the site file set recovery_location = \"alternate\" and the datastore to come back to in {target_name}'s [[vms]] "
            "entry: datastore.free_space then counts the grown disks there.",
        ),
        (_ASR_REPROTECT, _ASR_MODERNIZED_FAILBACK),
    ),
    Remediation(
        "start-azure-vm",
        "Start Azure VM {target_name} and let its agents report (ASR error 78093)",
        (
            "Found: power {power_state}; guest agent {guest_agent}; ASR agent registered since failover: {registered_after_failover}.",
            "Start it (portal, or az vm start -g <group> -n {target_name}); a hung VM: restart it and read its boot diagnostics.",
            "Give its agents up to 15 minutes after boot, then run the check again.",
        ),
        (_ASR_REPROTECT,),
        automatable=True,
    ),
    Remediation(
        "azure-vm-reach-config-server",
        "Let the Azure VM's agent reach the configuration server (ASR error 95226)",
        (
            "From the VM: TCP 443 to the configuration server/appliance and 9443 to the process server must connect "
            "(Test-NetConnection <host> -Port 443, or nc -zv <host> 443).",
            "Check the VM's NSG and routes (network.nsg, network.azure_path) and the VPN or ExpressRoute (network.vpn).",
            "In the VM: the InMage Scout Application service (svagents) must run; restart it.",
        ),
        (_ASR_REPROTECT,),
    ),
    Remediation(
        "restore-config-server-health",
        "Bring {target_name} back to health",
        (
            "ASR reports: {asr_errors}.",
            "Classic configuration server: its services (cxprocessserver, tmansvc, InMage Scout Application, IIS) must run and "
            "reach Azure on 443; renew an expiring certificate in the vault (Site Recovery infrastructure > Configuration "
            "Servers > Renew certificates).",
            "Modernized appliance: in its configuration manager every service must be connected; re-register it if its "
            "heartbeat stopped.",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-manage-configuration-server",),
    ),
    Remediation(
        "restore-process-server-health",
        "Bring process server {target_name} back: heartbeat and cache space",
        (
            "Found: last heartbeat {last_heartbeat}; cache {cache_free_percent}% free (at least {min_free_percent}%); ASR: {asr_errors}.",
            "No heartbeat (error 806): start its VM and the cxprocessserver and InMage Scout services; it must reach the "
            "configuration server on 443.",
            "Cache under 30%: extend the cache disk or pause replication of some VMs until the backlog drains.",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-manage-process-server",),
    ),
    Remediation(
        "reach-process-server",
        "Make the process server reachable (ASR error 78186)",
        (
            "From the Azure VMs and the configuration server, TCP 9443 to the process server must connect (network.azure_path, "
            "network.nsg show the Azure side).",
            "Its VM must run, with the cxprocessserver and InMage Scout services started.",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-manage-process-server",),
    ),
    Remediation(
        "fix-upload-failures",
        "Fix the process server's uploads to Azure (ASR error 78028)",
        (
            "The process server must reach Azure Storage and Site Recovery on 443: its proxy settings (cxpsconfigtool) and the "
            "firewall's allow-list.",
            "Check its cache space and throttling, then restart the cxprocessserver service.",
        ),
        ("https://learn.microsoft.com/azure/site-recovery/vmware-azure-troubleshoot-replication",),
    ),
    Remediation(
        "restore-reprotect-agent",
        "Give the appliance a healthy reprotect agent that sees the target datastore",
        (
            "Appliance configuration manager: the reprotect agent's services must run and its vCenter discovery succeed; rerun "
            "discovery after a datastore change.",
            "The datastore must be mounted read-write on an ESXi host of the vCenter the appliance discovers (datastore.access, "
            "ASR error 8061).",
        ),
        (_ASR_MODERNIZED_FAILBACK,),
    ),
    Remediation(
        "reduce-reprotect-agent-disks",
        "Keep reprotect agent {target_name} within 60 disks",
        (
            "Replicating back through it now: {replicating}; coming with reprotect: {incoming}; total {total} of {limit}.",
            "Reprotect in batches: fail back and commit the VMs replicating back now, then reprotect the next ones.",
            "Or deploy another replication appliance whose reprotect agent sees the VMs' datastores: failback run names, for "
            "each VM, the least loaded healthy agent that sees its datastore.",
        ),
        (_ASR_MODERNIZED_FAILBACK,),
    ),
    Remediation(
        "reduce-master-target-disks",
        "Keep master target {target_name} within 60 disks",
        (
            "Attached: {attached}; coming with reprotect: {incoming}; total {total} of {limit}.",
            "Reprotect in batches (fail back and commit the first VMs, then reprotect the next), or add a master target and set "
            "master_target for some [[vms]].",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "register-master-target",
        "Register master target {target_name} with the configuration server",
        (
            "Install the unified agent as master target on it and register it with the configuration server: it then shows in "
            "the vault under Site Recovery infrastructure > Configuration Servers > the server.",
            "The site file's [[master_targets]] name (or host) must be the name (or address) ASR lists.",
        ),
        (_ASR_MASTER_TARGET,),
    ),
    Remediation(
        "reinstall-network-manager",
        "Reinstall NetworkManager on {target_name} after failback",
        (
            "In {target_name}, NetworkManager is {network_manager}; {needed_by}.",
            "Once {target_name} runs on-premises again, log on through the VM console.",
            "RHEL, CentOS, Rocky: dnf install NetworkManager && systemctl enable --now NetworkManager; Ubuntu, Debian: apt-get "
            "install network-manager && systemctl enable --now NetworkManager; SUSE: zypper install NetworkManager. Installed "
            "but disabled: systemctl enable --now NetworkManager.",
            "Restore its connection profiles (nmcli connection ...), then run `failback check --gate after-failback`.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
    Remediation(
        "size-azure-process-server",
        "Run the process server in Azure where and as failback needs it",
        (
            "Found: {problems}.",
            "Deploy it in the virtual network of the failed-over VMs (one per network when several were used), as an Azure VM of "
            "at least {min_cores} cores (Microsoft sizes it Standard_D8s_v3 or larger for failback), and register it with the "
            "configuration server.",
            "A saturated process server (CPU or memory at {max_percent}% or more): resize the VM, or reprotect the VMs in "
            "smaller batches.",
        ),
        (_ASR_VMWARE_FAILBACK, "https://learn.microsoft.com/azure/site-recovery/vmware-azure-set-up-process-server-azure"),
    ),
    Remediation(
        "one-master-target-per-group",
        "Fail the VMs of replication group {group} back through one master target",
        (
            "Now: {master_targets}.",
            "The VMs of a multi-VM replication group fail back together: give them one master target of their OS family (the "
            "same master_target in their [[vms]] entries), or take a VM out of the group before failback.",
        ),
        (_ASR_REPROTECT,),
    ),
    # What `failback run` needs to choose the ids of a request, when the facts leave no single verified choice.
    Remediation(
        "set-azure-process-server",
        "Name the process server failback replicates through",
        (
            "{missing}.",
            "Classic: deploy (or start) the process server in Azure, in the virtual network of the failed-over VMs, register it "
            "with the configuration server, and name it in the site file: [process_server] host = \"<its IP address>\".",
            "Modernized: the replication appliance's own process server replicates the VMs to Azure again; [config_server] "
            "host (and ip) must name the appliance as the vault lists it.",
        ),
        (_ASR_VMWARE_FAILBACK, "https://learn.microsoft.com/azure/site-recovery/vmware-azure-set-up-process-server-azure"),
    ),
    Remediation(
        "set-target-datastore",
        "Say which datastore each VM comes back to",
        (
            "{missing}.",
            "Add datastore = \"<datastore name>\" to the VM's [[vms]] entry in the site file: a datastore the master target's host "
            "(classic) or a reprotect agent of the appliance (modernized) sees.",
        ),
        (_ASR_REPROTECT,),
    ),
    Remediation(
        "set-log-storage-account",
        "Name the storage account failback's reprotect logs to",
        (
            "{missing}.",
            "Modernized reprotect writes replication logs to a storage account in the vault's region (the cache storage account "
            "of replication to Azure is the usual one): set [azure] log_storage_account_id = \"/subscriptions/.../"
            "providers/Microsoft.Storage/storageAccounts/<name>\".",
        ),
        (_ASR_MODERNIZED_FAILBACK,),
    ),
    Remediation(
        "associate-failback-policy",
        "Associate the replication policy of this direction with the protection container",
        (
            "{missing}.",
            "Azure portal: the vault > Site Recovery infrastructure > Replication policies: the failback policy (created with "
            "the replication policy, named '<policy>-failback') must be associated with the configuration server (classic) or "
            "the appliance's site (modernized); associate it there.",
            "PowerShell: New-AzRecoveryServicesAsrProtectionContainerMapping -Name <mapping> -Policy $failbackPolicy "
            "-PrimaryProtectionContainer $container",
        ),
        (_ASR_REPROTECT, _ASR_MODERNIZED_FAILBACK),
    ),
    Remediation(
        "review-asr-request",
        "Review what ASR reports for this request",
        (
            "{missing}.",
            "Compare the site file with the vault in the Azure portal (Site Recovery infrastructure, Replicated items), then run "
            "`failback run --plan` again: it shows each request and where every id in it comes from.",
        ),
        (_ASR_REPROTECT,),
    ),
    Remediation(
        "guest-operations-access",
        "Let failback look inside {target_name} through VMware Tools",
        (
            "It could not: {reason}.",
            "After failback, with {target_name} powered on, make sure VMware Tools (open-vm-tools) run in it.",
            "Give it a guest account in the site file: guest_user and guest_password_env in its [[vms]] entry (or "
            "[guest_operations] user and password_env for every VM), the password in that environment variable.",
            "Until then, check at its console: `systemctl is-enabled NetworkManager`; reinstall it where its connection profiles "
            "(/etc/NetworkManager/system-connections) or a netplan NetworkManager renderer need it.",
            "Then run `failback check --gate after-failback`.",
        ),
        (_ASR_VMWARE_FAILBACK,),
    ),
)

CATALOG: dict[str, Remediation] = {entry.id: entry for entry in _ENTRIES}


def get(remediation_id: str) -> Remediation:
    return CATALOG[remediation_id]
