"""The audit log of fixes: who changed what, when, and how it ended; one JSON line each, flushed to disk."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from failback.runner.report import current_operator  # noqa: the operator a report names is the one the audit names
from failback.runner.state import state_home


def default_audit_log() -> Path:
    return state_home() / "audit.jsonl"


def record(path: Path, site: str, entry: dict[str, Any]) -> None:
    """Append an entry; fsynced, so a crash right after a change still leaves its trace."""
    line = {"at": dt.datetime.now(dt.timezone.utc).isoformat(), "operator": current_operator(), "site": site, **entry}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(line, default=str) + "\n")
        log.flush()
        os.fsync(log.fileno())
