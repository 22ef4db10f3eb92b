"""The lab Linux master target: a real sshd whose commands run inside a scenario (master_target_shell.sh).

A scenario is a folder that mirrors the files a master target check reads; real commands read it through overlay and
bind mounts in a private mount namespace, so `cat /etc/os-release`, `dpkg-query -W`, `rpm -qa`, `df -P` and
`cat /proc/mounts` answer as an Ubuntu 16.04 or a CentOS 6.6 master target would. Rewrite the scenario between runs;
every command reads it afresh.

The Ubuntu master target installs packages for real, offline: its only apt source is a local repository of empty
packages (control data, no files) named as the packages failback needs. What apt-get and dpkg write lands in the
scenario's `changes` folder, never in the real /var/lib/dpkg, and is gone at the next reset().

    with LabMasterTarget(directory, keys) as mt:
        ubuntu_master_target(mt.scenario)
        mt.scenario.remove_file("/usr/local/.vx_version")
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shlex
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from failback.checks.hosts.packages import FOR_FILESYSTEM, REQUIRED
from failback.lab.sshd import SshKeys, Sshd

SHELL = Path(__file__).with_name("master_target_shell.sh")
# Where the shell lays scenario files over the real system, read-only or keeping what commands write in the scenario's
# `changes` folder (keep both in step with master_target_shell.sh).
READ_ONLY_POINTS = ("/etc", "/usr/local", "/root")
WRITABLE_POINTS = ("/var/lib/dpkg", "/var/lib/apt", "/var/cache/apt", "/var/log")
OVERLAY_POINTS = READ_ONLY_POINTS + WRITABLE_POINTS
SCRATCH_MOUNT = "/mnt"

UBUNTU_PACKAGES = {"multipath-tools": "0.5.0-7ubuntu9", "lsscsi": "0.27-3", "python-pyasn1": "0.1.9-1", "lvm2": "2.02.133-1ubuntu10", "kpartx": "0.5.0-7ubuntu9"}
CENTOS_PACKAGES = {"xfsprogs": "3.1.1-16.el6", "perl": "5.10.1-136.el6", "lsscsi": "0.23-3.el6", "rsync": "3.0.6-12.el6", "wget": "1.12-5.el6", "kexec-tools": "2.0.0-280.el6"}
AGENT_VERSION = "9.54.0.0"
# What the lab's apt repository offers: every package mt.linux_packages may ask a dpkg-based master target for.
LAB_DEB_VERSION = "0.0-lab"
LAB_DEB_PACKAGES = tuple(dict.fromkeys([*REQUIRED["dpkg"], *(name for extras in FOR_FILESYSTEM["dpkg"].values() for name in extras)]))


class Scenario:
    def __init__(self, directory: Path):
        self.directory = directory
        self.reset()

    def reset(self) -> None:
        """An empty scenario: the real system shows through everywhere but /mnt, which is empty; nothing installed."""
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        (self.directory / "mounts").write_text("")

    def run(self, command: str) -> subprocess.CompletedProcess:
        """Run a shell command inside the scenario, as the lab sshd would, without SSH."""
        environment = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "SSH_ORIGINAL_COMMAND": command}
        return subprocess.run(["/bin/sh", str(SHELL), str(self.directory)], env=environment, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)

    def written(self, absolute: str) -> Path:
        """Where the scenario keeps what commands wrote over that path of a writable overlay point (see WRITABLE_POINTS)."""
        return self.directory / "changes" / absolute.lstrip("/")

    def _layer_path(self, absolute: str) -> Path:
        if not any(absolute == point or absolute.startswith(point + "/") for point in OVERLAY_POINTS):
            raise ValueError(f"{absolute}: the lab master target overlays only {', '.join(OVERLAY_POINTS)}")
        return self.directory / "root" / absolute.lstrip("/")

    def write_file(self, absolute: str, text: str) -> None:
        path = self._layer_path(absolute)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_char_device():
            path.unlink()
        path.write_text(text)

    def remove_file(self, absolute: str) -> None:
        """Hide a file of the real system: an overlay whiteout (a 0/0 character device)."""
        path = self._layer_path(absolute)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_char_device():
            path.unlink()
        os.mknod(path, stat.S_IFCHR | 0o644, os.makedev(0, 0))

    def replace_dir(self, absolute: str) -> Path:
        """A folder whose real content is hidden (an opaque overlay folder): only the scenario's files show."""
        path = self._layer_path(absolute)
        path.mkdir(parents=True, exist_ok=True)
        os.setxattr(path, "trusted.overlay.opaque", b"y")
        return path

    def kernel(self, release: str) -> None:
        (self.directory / "kernel").write_text(release + "\n")

    def os_release(self, **fields: str) -> None:
        self.write_file("/etc/os-release", "".join(f'{key}="{value}"\n' for key, value in fields.items()))

    def fstab(self, *entries: str) -> None:
        self.write_file("/etc/fstab", "# <file system> <mount point> <type> <options> <dump> <pass>\n" + "".join(e + "\n" for e in entries))

    def tmpfs(self, mountpoint: str, size: str, source: str = "tmpfs") -> None:
        """A real mount in the scenario's /mnt; `source` is the device /proc/mounts shows."""
        self._add_mount(f"tmpfs {source} {mountpoint} {size}", mountpoint)

    def folder(self, path: str) -> None:
        """A plain folder in the scenario's /mnt, on no volume of its own."""
        self._add_mount(f"dir {path}", path)

    def _add_mount(self, line: str, path: str) -> None:
        if not path.startswith(SCRATCH_MOUNT + "/") or any(c.isspace() for c in path):
            raise ValueError(f"{path}: lab mounts live under {SCRATCH_MOUNT}, without spaces")
        with (self.directory / "mounts").open("a") as handle:
            handle.write(line + "\n")

    def dpkg_installed(self, packages: dict[str, str], removed: tuple[str, ...] = ()) -> None:
        """A dpkg status database: these packages installed, `removed` ones left as config files only."""
        stanzas = [_dpkg_stanza(name, version, "install ok installed") for name, version in packages.items()]
        stanzas += [_dpkg_stanza(name, "1.0", "deinstall ok config-files") for name in removed]
        # What was installed in this scenario would shadow the new database: start again from it.
        shutil.rmtree(self.written("/var/lib/dpkg"), ignore_errors=True)
        self.replace_dir("/var/lib/dpkg/updates")
        self.write_file("/var/lib/dpkg/status", "\n".join(stanzas))
        for name in packages:  # the (empty) file lists dpkg reads before it installs anything
            self.write_file(f"/var/lib/dpkg/info/{name}.list", "")

    def offline_apt_repository(self) -> None:
        """The lab's local repository as the only apt source (no network is ever tried), with its package lists read."""
        repository = _lab_apt_repository()
        self.remove_file("/etc/apt/sources.list")
        sources = self.replace_dir("/etc/apt/sources.list.d")
        # trusted=yes: the repository is unsigned, as a local one may be.
        (sources / "failback-lab.list").write_text(f"deb [trusted=yes] file:{repository} ./\n")
        self.replace_dir("/var/lib/apt/lists")  # the real system's lists, of its own sources, stay out of sight
        updated = self.run("apt-get update -qq")
        if updated.returncode != 0:
            raise RuntimeError(f"apt-get update in the lab master target failed: {updated.stderr.strip()}")

    def rpm_installed(self, packages: dict[str, str]) -> None:
        """An rpm database where this system's rpm looks for it, holding empty packages of these names and versions."""
        dbpath = _rpm_dbpath()
        target = self._layer_path(dbpath)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        _rpm("--dbpath", str(target), "--initdb")
        built = [_built_rpm(name, version) for name, version in packages.items()]
        if built:
            _rpm("--dbpath", str(target), "-i", "--justdb", "--nodeps", "--noscripts", "--notriggers", "--ignorearch", "--ignoreos",
                 *map(str, built))


def _dpkg_stanza(name: str, version: str, status: str) -> str:
    return (f"Package: {name}\nStatus: {status}\nPriority: optional\nSection: admin\nInstalled-Size: 1\n"
            f"Maintainer: failback lab <lab@localhost>\nArchitecture: amd64\nVersion: {version}\nDescription: lab package\n")


def _lab_deb_control(name: str) -> str:
    return (f"Package: {name}\nVersion: {LAB_DEB_VERSION}\nArchitecture: all\nMaintainer: failback lab <lab@localhost>\n"
            f"Priority: optional\nSection: admin\nDescription: failback lab package\n an empty package: only its name matters\n")


@functools.cache
def _lab_apt_repository() -> Path:
    """A flat apt repository (Packages and .debs in one folder) of empty packages, built once per process."""
    repository = Path(tempfile.mkdtemp(prefix="failback-lab-debs-"))
    atexit.register(shutil.rmtree, repository, ignore_errors=True)
    repository.chmod(0o755)  # apt's file: method reads it as whoever runs apt-get
    stanzas = []
    for name in LAB_DEB_PACKAGES:
        tree = repository / "build" / name
        (tree / "DEBIAN").mkdir(parents=True)
        control = _lab_deb_control(name)
        (tree / "DEBIAN" / "control").write_text(control)
        deb = repository / f"{name}_{LAB_DEB_VERSION}_all.deb"
        done = subprocess.run(["dpkg-deb", "--root-owner-group", "--build", str(tree), str(deb)], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"dpkg-deb --build of {name} failed: {done.stderr.strip()}")
        data = deb.read_bytes()
        # A Packages stanza is the control data plus where the file is and what it must hash to.
        stanzas.append(f"{control}Filename: ./{deb.name}\nSize: {len(data)}\nSHA256: {hashlib.sha256(data).hexdigest()}\n")
    shutil.rmtree(repository / "build")
    (repository / "Packages").write_text("\n".join(stanzas))
    return repository


def _rpm(*args: str) -> None:
    done = subprocess.run(["rpm", *args], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"rpm {' '.join(args[:3])}... failed: {done.stderr.strip()}")


@functools.cache
def _rpm_dbpath() -> str:
    if shutil.which("rpm") is None:
        raise FileNotFoundError("rpm is missing: apt-get install -y rpm")
    return subprocess.run(["rpm", "--eval", "%_dbpath"], capture_output=True, text=True, check=True, timeout=30).stdout.strip()


@functools.cache
def _rpm_workdir() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="failback-lab-rpms-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    return workdir


_SPEC = """Name: %{lab_name}
Version: %{lab_version}
Release: %{lab_release}
Summary: failback lab package
License: MIT
BuildArch: noarch
%description
An empty package: the lab master target only needs its name in the rpm database.
%files
"""


@functools.cache
def _built_rpm(name: str, version: str) -> Path:
    """An empty noarch package, built once per process."""
    upstream, _, release = version.partition("-")
    workdir = _rpm_workdir()
    spec = workdir / "lab.spec"
    spec.write_text(_SPEC)
    done = subprocess.run(
        ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {workdir / 'top'}", "--define", f"lab_name {name}",
         "--define", f"lab_version {upstream}", "--define", f"lab_release {release or '1'}", str(spec)],
        capture_output=True, text=True, timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"rpmbuild of {name} failed: {done.stderr.strip()}")
    return next((workdir / "top" / "RPMS" / "noarch").glob(f"{name}-{upstream}-{release or '1'}.*.rpm"))


class LabMasterTarget:
    """An sshd on 127.0.0.1 whose every command runs inside `scenario`."""

    def __init__(self, directory: Path, keys: SshKeys):
        self.scenario = Scenario(directory / "scenario")
        command = f"/bin/sh {shlex.quote(str(SHELL))} {shlex.quote(str(self.scenario.directory))}"
        self.sshd = Sshd(directory / "sshd", keys, force_command=command)

    def start(self) -> LabMasterTarget:
        self.sshd.start()
        return self

    def stop(self) -> None:
        self.sshd.stop()

    def __enter__(self) -> LabMasterTarget:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- ready-made master targets -----------------------------------------------------------------------------------------
def ubuntu_master_target(scenario: Scenario, *, kernel: str = "4.4.0-81-generic", retention_free: str | None = "1100g") -> None:
    """A healthy Ubuntu 16.04 master target: supported kernel, packages, retention volume, agent, no automatic updates.

    retention_free=None: no retention volume at all (neither mounted nor in fstab).
    """
    scenario.reset()
    scenario.os_release(NAME="Ubuntu", VERSION="16.04.7 LTS (Xenial Xerus)", ID="ubuntu", ID_LIKE="debian",
                        PRETTY_NAME="Ubuntu 16.04.7 LTS", VERSION_ID="16.04")
    scenario.kernel(kernel)
    scenario.dpkg_installed(UBUNTU_PACKAGES)
    scenario.replace_dir("/etc/apt/apt.conf.d")
    scenario.offline_apt_repository()
    if retention_free is None:
        scenario.fstab("/dev/sda1 / ext4 errors=remount-ro 0 1")
    else:
        scenario.fstab("/dev/sda1 / ext4 errors=remount-ro 0 1", "/dev/sdb1 /mnt/retention ext4 defaults 0 2")
        scenario.tmpfs("/mnt/retention", retention_free, source="/dev/sdb1")
    scenario.write_file("/usr/local/.vx_version", f"INSTALLATION_DIR=/usr/local/ASR\nVERSION={AGENT_VERSION}\n")


def centos_master_target(scenario: Scenario, *, packages: dict[str, str] | None = None) -> None:
    """A healthy CentOS 6.6 master target (no /etc/os-release there, only /etc/redhat-release)."""
    scenario.reset()
    scenario.remove_file("/etc/os-release")
    scenario.write_file("/etc/redhat-release", "CentOS release 6.6 (Final)\n")
    scenario.kernel("2.6.32-504.el6.x86_64")
    scenario.rpm_installed(CENTOS_PACKAGES if packages is None else packages)
    scenario.fstab("/dev/sda1 / ext4 defaults 1 1", "/dev/sdb1 /mnt/retention ext4 defaults 1 2")
    scenario.tmpfs("/mnt/retention", "1100g", source="/dev/sdb1")
    scenario.write_file("/usr/local/.vx_version", f"INSTALLATION_DIR=/usr/local/ASR\nVERSION={AGENT_VERSION}\n")
