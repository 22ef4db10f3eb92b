"""What a Linux host is, read over SSH: each fact is a plain command (argv, quoted by the session) and a pure parser.

The parsers keep what the checks judge and nothing more; every command is one that exists on Ubuntu 16.04 and
CentOS 6.6 alike (cat, df -P), except the package queries, which follow the host's package manager.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from failback.checks.sources.ssh import CommandResult, SshSession

RETENTION_PATH = "/mnt/retention"
AGENT_VERSION_FILE = "/usr/local/.vx_version"


# -- parsers: text in, plain facts out --------------------------------------------------------------------------------
def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def parse_os_release(text: str) -> dict[str, Any] | None:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            fields[key.strip()] = _unquote(value)
    if "ID" not in fields:
        return None
    return {
        "id": fields["ID"].lower(),
        "id_like": fields.get("ID_LIKE", "").lower().split(),
        "version_id": fields.get("VERSION_ID", ""),
        "pretty_name": fields.get("PRETTY_NAME", fields["ID"]),
        "source": "/etc/os-release",
    }


_REDHAT_RELEASE = re.compile(r"^(?P<name>.+?) (?:Linux )?release (?P<version>[\d.]+)", re.I)


def parse_redhat_release(text: str) -> dict[str, Any] | None:
    """CentOS 6 has no /etc/os-release, only 'CentOS release 6.6 (Final)'."""
    match = _REDHAT_RELEASE.match(text.strip())
    if not match:
        return None
    name = match.group("name").strip()
    distribution = {"centos": "centos", "red hat enterprise": "rhel", "oracle": "ol"}
    identifier = next((ident for prefix, ident in distribution.items() if name.lower().startswith(prefix)), name.lower().split()[0])
    return {
        "id": identifier,
        "id_like": ["rhel"],
        "version_id": match.group("version"),
        "pretty_name": text.strip().splitlines()[0],
        "source": "/etc/redhat-release",
    }


def _unescape_octal(field: str) -> str:
    """fstab and /proc/mounts write a space in a path as \\040."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mount_table(text: str) -> list[dict[str, str]]:
    """/etc/fstab and /proc/mounts share a layout: device, mount point, type, options."""
    entries = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 3:
            entries.append({
                "device": _unescape_octal(fields[0]),
                "mountpoint": _unescape_octal(fields[1]),
                "fstype": fields[2],
                "options": fields[3] if len(fields) > 3 else "",
            })
    return entries


def parse_df(text: str) -> dict[str, Any] | None:
    """`df -P -k PATH`: the filesystem holding PATH, in bytes."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    fields = lines[-1].split()
    # ASCII digits only: str.isdigit() also takes '²', which int() refuses.
    if len(fields) < 6 or not all(f.isascii() and f.isdigit() for f in fields[1:4]):
        return None
    return {
        "filesystem": fields[0],
        "size_bytes": int(fields[1]) * 1024,
        "used_bytes": int(fields[2]) * 1024,
        "available_bytes": int(fields[3]) * 1024,
        "mounted_on": " ".join(fields[5:]),
    }


def parse_vx_version(text: str) -> dict[str, Any]:
    """/usr/local/.vx_version holds KEY=VALUE lines; its VERSION field is the agent's version."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip().upper()] = value.strip()
    return {
        "version": fields.get("VERSION") or fields.get("PROD_VERSION"),
        "installation_dir": fields.get("INSTALLATION_DIR"),
    }


def parse_dpkg_query(text: str) -> dict[str, str]:
    """Installed packages from `dpkg-query -W -f '${db:Status-Abbrev}\\t${Package}\\t${Version}\\n'`."""
    installed = {}
    for line in text.splitlines():
        fields = line.split("\t")
        # The abbreviation's second letter is the current state: i = installed (rc is removed, config left).
        if len(fields) == 3 and len(fields[0]) >= 2 and fields[0][1] == "i":
            installed[fields[1].split(":")[0]] = fields[2]
    return installed


def parse_rpm_query(text: str) -> dict[str, str]:
    """Installed packages from `rpm -qa --qf '%{NAME}\\t%{VERSION}-%{RELEASE}\\n'`."""
    installed = {}
    for line in text.splitlines():
        name, sep, version = line.partition("\t")
        if sep:
            installed[name.strip()] = version.strip()
    return installed


_APT_SETTING = re.compile(r'^(APT::Periodic::[\w-]+) "(.*)";$')


def parse_apt_periodic(text: str) -> dict[str, str]:
    """The APT::Periodic settings of `apt-config dump`: they decide whether unattended-upgrades runs."""
    return {m.group(1): m.group(2) for line in text.splitlines() if (m := _APT_SETTING.match(line.strip()))}


def parse_lsblk(text: str) -> list[dict[str, str]]:
    """`lsblk -rn -o NAME,TYPE`: block devices and their kind (disk, part, lvm, mpath, crypt...)."""
    devices = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            devices.append({"name": fields[0], "type": fields[1]})
    return devices


def package_manager(os_info: dict[str, Any] | None) -> str | None:
    if os_info is None:
        return None
    family = {os_info["id"], *os_info["id_like"]}
    if family & {"debian", "ubuntu"}:
        return "dpkg"
    if family & {"rhel", "centos", "fedora", "suse", "sles", "ol"}:
        return "rpm"
    return None


# -- what to run, and how each answer becomes a fact --------------------------------------------------------------
@dataclass(frozen=True)
class RemoteFact:
    name: str
    argv: tuple[str, ...]
    parse: Callable[[str], Any]
    # A non-zero exit that only means "not there" (a missing file): the fact is None, not an error.
    absent_on_failure: bool = True


def _stripped(text: str) -> str:
    return text.strip()


FIRST_ROUND = (
    RemoteFact("os_release", ("cat", "/etc/os-release"), parse_os_release),
    RemoteFact("redhat_release", ("cat", "/etc/redhat-release"), parse_redhat_release),
    # /proc, not `uname -r`: the same kernel release, readable the same way on every distribution.
    RemoteFact("kernel", ("cat", "/proc/sys/kernel/osrelease"), _stripped, absent_on_failure=False),
    RemoteFact("fstab", ("cat", "/etc/fstab"), parse_mount_table),
    RemoteFact("mounts", ("cat", "/proc/mounts"), parse_mount_table, absent_on_failure=False),
    RemoteFact("retention_filesystem", ("df", "-P", "-k", RETENTION_PATH), parse_df),
    RemoteFact("agent", ("cat", AGENT_VERSION_FILE), parse_vx_version),
    RemoteFact("block_devices", ("lsblk", "-rn", "-o", "NAME,TYPE"), parse_lsblk),
)

PACKAGE_ROUND = {
    "dpkg": (
        RemoteFact("packages", ("dpkg-query", "-W", "-f", "${db:Status-Abbrev}\t${Package}\t${Version}\n"), parse_dpkg_query, absent_on_failure=False),
        RemoteFact("apt_periodic", ("apt-config", "dump"), parse_apt_periodic),
    ),
    "rpm": (
        RemoteFact("packages", ("rpm", "-qa", "--qf", "%{NAME}\t%{VERSION}-%{RELEASE}\n"), parse_rpm_query, absent_on_failure=False),
    ),
}


def _ask(session: SshSession, questions: Sequence[RemoteFact]) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the commands concurrently over the one connection; answers by fact name, and what failed unexpectedly."""
    with ThreadPoolExecutor(max_workers=len(questions), thread_name_prefix="ssh-cmd") as pool:
        answers: list[CommandResult] = list(pool.map(lambda q: session.run(q.argv), questions))
    facts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question, answer in zip(questions, answers):
        if answer.ok:
            facts[question.name] = question.parse(answer.stdout)
        else:
            facts[question.name] = None
            if not question.absent_on_failure:
                errors[question.name] = f"`{answer.command}` exited {answer.exit_status}: {answer.stderr.strip()[:300]}"
    return facts, errors


def describe_linux_host(session: SshSession) -> dict[str, Any]:
    """Every fact the master target checks read, in two rounds: what the host is, then its packages."""
    first, errors = _ask(session, FIRST_ROUND)
    os_release, redhat_release = first.pop("os_release"), first.pop("redhat_release")
    os_info = os_release or redhat_release
    manager = package_manager(os_info)
    facts: dict[str, Any] = {
        "os": os_info,
        "package_manager": manager,
        "retention_path": RETENTION_PATH,
        "agent_version_file": AGENT_VERSION_FILE,
        **first,
    }
    if manager is not None:
        packages, package_errors = _ask(session, PACKAGE_ROUND[manager])
        facts.update(packages)
        errors.update(package_errors)
    facts["command_errors"] = errors
    return facts
