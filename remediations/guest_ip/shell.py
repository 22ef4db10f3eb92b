"""Writing POSIX sh for a guest: every path under "${FAILBACK_ROOT:-}", every value quoted, the original file kept.

FAILBACK_ROOT is empty on a real guest; the lab simulator sets it to the simulated guest's root directory.
"""

from __future__ import annotations

import posixpath
import shlex

ROOT = '"${FAILBACK_ROOT:-}"'
# Ends in .orig: network-scripts, NetworkManager and netplan all skip such files, so a kept original is never loaded.
BACKUP_SUFFIX = ".failback.orig"


def guest_path(path: str) -> str:
    """A guest's absolute path as a sh word, under the root."""
    if not path.startswith("/"):
        raise ValueError(f"guest paths are absolute: {path!r}")
    return ROOT + shlex.quote(path)


def command(*words: str) -> str:
    return " ".join(shlex.quote(word) for word in words)


def header(what: str) -> list[str]:
    return ["#!/bin/sh", f"# failback: {what}", "set -eu"]


def backup(path: str) -> str:
    """Copy the file aside once: a second run keeps the original, not our own earlier version."""
    original, kept = guest_path(path), guest_path(path + BACKUP_SUFFIX)
    return f"if [ -e {original} ] && [ ! -e {kept} ]; then cp -p {original} {kept}; fi"


def write_file(path: str, content: str, mode: str = "0644") -> list[str]:
    """Replace a file with this content (backed up first), written whole through a temporary file."""
    target, temporary = guest_path(path), guest_path(path + ".failback-new")
    return [
        f"mkdir -p {guest_path(posixpath.dirname(path))}",
        backup(path),
        f"printf '%s' {shlex.quote(content)} > {temporary}",
        f"chmod {mode} {temporary}",
        f"mv -f {temporary} {target}",
    ]


def script(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
