"""The backup source: what lies under the configuration server's backup path, read on this machine (a local disk or a
mounted share) or over SFTP from the configuration server itself (Windows OpenSSH paths like D:/ASRBackups work).

A backup location that cannot be read is a fact (`error`), so cs.backup can still judge the configuration server's IP.
"""

from __future__ import annotations

import datetime as dt
import os
import posixpath
import socket
import stat
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import paramiko

from failback.checks.site import Site
from failback.checks.sources.ssh import SshFailure, SshSession, backup_access

# Backups usually sit in the path or in dated folders below it; deeper trees are not searched.
MAX_DEPTH = 3
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Entry:
    path: str
    is_dir: bool
    size: int
    mtime: float  # seconds since the epoch


Lister = Callable[[str], list[Entry]]


def local_lister(path: str) -> list[Entry]:
    entries = []
    with os.scandir(path) as found:
        for item in found:
            info = item.stat()  # follows links: a share mounted as a link still counts
            entries.append(Entry(item.path, stat.S_ISDIR(info.st_mode), info.st_size, info.st_mtime))
    return entries


def sftp_lister(sftp: Any) -> Lister:
    def listing(path: str) -> list[Entry]:
        return [
            Entry(posixpath.join(path, attributes.filename), stat.S_ISDIR(attributes.st_mode or 0), attributes.st_size or 0, attributes.st_mtime or 0)
            for attributes in sftp.listdir_attr(path)
        ]

    return listing


def backup_files(list_dir: Lister, root: str) -> list[Entry]:
    """Regular files under root, MAX_DEPTH folders deep at most."""
    files: list[Entry] = []
    folders = [(root, 0)]
    seen = 0
    while folders:
        folder, depth = folders.pop()
        for entry in list_dir(folder):
            seen += 1
            if seen > MAX_ENTRIES:
                return files
            if entry.is_dir:
                if depth + 1 < MAX_DEPTH:
                    folders.append((entry.path, depth + 1))
            else:
                files.append(entry)
    return files


def _iso(mtime: float) -> str:
    return dt.datetime.fromtimestamp(mtime, dt.timezone.utc).isoformat()


def summarise(files: list[Entry]) -> dict[str, Any]:
    newest = max(files, key=lambda entry: entry.mtime, default=None)
    return {
        "file_count": len(files),
        "total_bytes": sum(entry.size for entry in files),
        "newest": {"path": newest.path, "size_bytes": newest.size, "modified_at": _iso(newest.mtime)} if newest else None,
    }


def _within(seconds: float, work: Callable[[], list[Entry]]) -> list[Entry]:
    """Run a listing that may hang (a mounted share whose server went away) for at most `seconds`.

    The thread is a daemon: a listing stuck in the kernel is abandoned, never waited for at exit.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["files"] = work()
        except Exception as exc:  # handed to the caller, who knows what each error means
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="backup-listing", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError
    if "error" in outcome:
        raise outcome["error"]
    return outcome["files"]


def sftp_path(path: str) -> str:
    """Windows paths as Windows OpenSSH's SFTP server takes them: D:\\ASRBackups -> D:/ASRBackups."""
    return path.replace("\\", "/")


class BackupSource:
    name = "backup"

    def __init__(self, site: Site, secrets: Mapping[str, str]):
        self._site = site
        self._secrets = secrets

    def collect(self) -> dict[str, Any]:
        config_server = self._site.config_server
        if config_server is None or not config_server.backup_path:
            return {"configured": False}
        path = config_server.backup_path
        facts: dict[str, Any] = {"configured": True, "path": path}
        try:
            if config_server.backup_over_sftp:
                access = backup_access(config_server)
                facts["via"] = "sftp"
                facts["access"] = access.describe()
                with SshSession(access, self._secrets) as session:
                    with session.sftp() as sftp:
                        facts.update(summarise(backup_files(sftp_lister(sftp), sftp_path(path))))
            else:
                facts["via"] = "local"
                root = os.path.expanduser(path)
                facts.update(summarise(_within(config_server.backup_timeout_seconds, lambda: backup_files(local_lister, root))))
        except SshFailure as failure:
            facts["error"] = failure.as_fact()
        except (paramiko.SSHException, EOFError) as exc:  # the SFTP connection dropped mid-listing
            said = f": {exc}" if str(exc) else ""
            facts["error"] = {"kind": "unreachable",
                              "reason": f"the SFTP connection to {backup_access(config_server).host} dropped while listing {path}{said}"}
        except FileNotFoundError:
            facts["error"] = {"kind": "not_found", "reason": f"the backup path {path} does not exist"}
        except NotADirectoryError:
            facts["error"] = {"kind": "not_found", "reason": f"the backup path {path} is not a folder"}
        except PermissionError:
            facts["error"] = {"kind": "auth", "reason": f"the backup path {path} may not be read by this account"}
        except (socket.timeout, TimeoutError):
            facts["error"] = {"kind": "timeout", "reason": f"listing {path} did not finish within {config_server.backup_timeout_seconds:g} s"}
        except OSError as exc:
            facts["error"] = {"kind": "error", "reason": f"the backup path {path} cannot be read: {exc.strerror or exc}"}
        return facts
