"""The pure parts of the host sources: what each remote command's output becomes, and the site-file values they read."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from failback.checks.hosts.linux_os import automatic_updates, lvm_volumes
from failback.checks.site import Dns, MasterTarget, parse_server
from failback.checks.sources import linux_host
from failback.checks.sources.ssh import parse_jump_host


def test_os_release_and_the_centos_6_fallback():
    ubuntu = linux_host.parse_os_release('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="16.04"\nPRETTY_NAME="Ubuntu 16.04.7 LTS"\n')
    assert ubuntu == {"id": "ubuntu", "id_like": ["debian"], "version_id": "16.04", "pretty_name": "Ubuntu 16.04.7 LTS", "source": "/etc/os-release"}
    centos = linux_host.parse_redhat_release("CentOS release 6.6 (Final)\n")
    assert (centos["id"], centos["version_id"], centos["id_like"]) == ("centos", "6.6", ["rhel"])
    assert linux_host.parse_redhat_release("Red Hat Enterprise Linux Server release 7.9 (Maipo)")["id"] == "rhel"
    assert linux_host.package_manager(ubuntu) == "dpkg" and linux_host.package_manager(centos) == "rpm"
    assert linux_host.parse_os_release("garbage") is None


def test_mount_tables_unescape_spaces_and_skip_comments():
    entries = linux_host.parse_mount_table("# comment\nUUID=1234 / ext4 defaults 0 1\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 2\n\n")
    assert entries == [
        {"device": "UUID=1234", "mountpoint": "/", "fstype": "ext4", "options": "defaults"},
        {"device": "/dev/sdb1", "mountpoint": "/mnt/my disk", "fstype": "xfs", "options": "rw"},
    ]


def test_df_in_bytes():
    output = "Filesystem     1024-blocks  Used Available Capacity Mounted on\n/dev/sdb1        209715200  1024 209714176       1% /mnt/retention\n"
    assert linux_host.parse_df(output) == {
        "filesystem": "/dev/sdb1", "size_bytes": 209715200 * 1024, "used_bytes": 1024 * 1024,
        "available_bytes": 209714176 * 1024, "mounted_on": "/mnt/retention",
    }
    assert linux_host.parse_df("df: /mnt/retention: No such file or directory\n") is None


def test_package_queries_keep_only_installed_packages():
    dpkg = "ii \tlsscsi\t0.27-3\nrc \tkpartx\t0.5.0\nhi \tlvm2:amd64\t2.02\n"
    assert linux_host.parse_dpkg_query(dpkg) == {"lsscsi": "0.27-3", "lvm2": "2.02"}
    assert linux_host.parse_rpm_query("perl\t5.10.1-136.el6\nwget\t1.12-5.el6\n") == {"perl": "5.10.1-136.el6", "wget": "1.12-5.el6"}


def test_agent_version_file():
    assert linux_host.parse_vx_version("INSTALLATION_DIR=/usr/local/ASR\nVERSION=9.54.0.0\n") == {
        "version": "9.54.0.0", "installation_dir": "/usr/local/ASR"}


def test_automatic_updates_by_package_manager():
    dpkg_on = {"package_manager": "dpkg", "packages": {"unattended-upgrades": "1.1"},
               "apt_periodic": linux_host.parse_apt_periodic('APT::Periodic::Unattended-Upgrade "1";\nAPT::Other "x";\n')}
    assert automatic_updates(dpkg_on)[0] is True
    assert automatic_updates({**dpkg_on, "apt_periodic": {"APT::Periodic::Unattended-Upgrade": "0"}})[0] is False
    assert automatic_updates({"package_manager": "dpkg", "packages": {}})[0] is False
    assert automatic_updates({"package_manager": "rpm", "packages": {"yum-cron": "3.2"}}) == (True, "yum-cron is installed")
    assert automatic_updates({"package_manager": None})[0] is None


def test_lvm_is_told_from_multipath_and_luks():
    host = {
        "block_devices": [{"name": "sda", "type": "disk"}, {"name": "vg0-data", "type": "lvm"}],
        "fstab": [
            {"device": "/dev/mapper/vg0-root", "mountpoint": "/", "fstype": "ext4"},
            {"device": "/dev/mapper/mpatha", "mountpoint": "/data", "fstype": "ext4"},
            {"device": "/dev/mapper/luks-0b8e-11ee", "mountpoint": "/secure", "fstype": "ext4"},
            {"device": "/dev/vg1/logs", "mountpoint": "/var/log", "fstype": "xfs"},
            {"device": "/dev/disk/by-uuid/0b8e", "mountpoint": "/boot", "fstype": "ext4"},
        ],
        "mounts": [],
    }
    assert lvm_volumes(host) == ["vg0-data (lsblk: lvm)", "/dev/mapper/vg0-root on / (fstab)", "/dev/vg1/logs on /var/log (fstab)"]


def test_dns_servers_and_jump_hosts_in_the_site_file():
    assert parse_server("10.0.0.2") == ("10.0.0.2", 53)
    assert parse_server("10.0.0.2:5353") == ("10.0.0.2", 5353)
    assert parse_server("[fd00::2]:53") == ("fd00::2", 53) and parse_server("fd00::2") == ("fd00::2", 53)
    with pytest.raises(ValidationError, match="is not an IP address"):
        Dns(onprem_servers=["dns01.example.local"])
    with pytest.raises(ValidationError, match="one bastion"):
        MasterTarget(name="mt01", jump_host="a.example, b.example")
    assert parse_jump_host("admin@bastion:2222", "root") == ("admin", "bastion", 2222)
    assert parse_jump_host("bastion", "root") == ("root", "bastion", 22)
