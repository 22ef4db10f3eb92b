"""The run journal: every step boundary appended to disk, flushed and fsynced, before and after it happens.

A crash, a Ctrl-C or a full disk at any moment leaves a journal whose complete lines say what was asked of ASR and
what came back, so a resumed run follows an operation that may have been accepted instead of submitting it again.
One run per site at a time: a lock file held with flock for the life of the process (released by the kernel if the
process dies, so a crash never leaves a stale lock).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path
from typing import Any

from failback.runner.state import state_home


class JournalError(Exception):
    """The journal could not be written: the runner stops before the step it could not record."""


class RunLocked(Exception):
    """Another failback run holds this site."""


def default_state_dir() -> Path:
    return state_home() / "runs"


class Journal:
    def __init__(self, path: Path):
        self.path = path

    def append(self, step: str, event: str, **details: Any) -> dict[str, Any]:
        entry = {"at": dt.datetime.now(dt.timezone.utc).isoformat(), "step": step, "event": event, **details}
        line = json.dumps(entry, default=str, sort_keys=True) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as journal:
                # A crash mid-write leaves a line without its newline: start after it, not inside it.
                if journal.tell() > 0:
                    journal.seek(-1, 2)
                    if journal.read(1) != b"\n":
                        line = "\n" + line
                journal.write(line.encode("utf-8"))
                journal.flush()
                os.fsync(journal.fileno())
        except OSError as exc:
            raise JournalError(f"cannot write the run journal {self.path}: {exc.strerror}; nothing further is asked of ASR") from None
        return entry

    def entries(self) -> list[dict[str, Any]]:
        """Every complete entry; a line torn by a crash mid-write (no newline, or not JSON) is ignored."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        entries = []
        # Whatever follows the last newline is either nothing or a line the crash cut short.
        for line in text.split("\n")[:-1]:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return entries

    def last(self, step: str) -> dict[str, Any] | None:
        matching = [entry for entry in self.entries() if entry["step"] == step]
        return matching[-1] if matching else None

    def events(self, step: str) -> list[dict[str, Any]]:
        return [entry for entry in self.entries() if entry["step"] == step]


class RunLock:
    """An exclusive, non-blocking flock on `<run dir>/lock`; the holder's pid is written for the refusal message."""

    def __init__(self, path: Path):
        self.path = path
        self._handle = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise RunLocked(f"another failback run holds this site (pid {holder}, lock {self.path}); wait for it or stop it first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
