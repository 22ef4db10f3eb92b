"""The one exception a source raises: what kind of failure, a message safe to show, and evidence."""

from __future__ import annotations

from typing import Any


class SourceError(Exception):
    """A source could not gather its facts. The message never carries a secret."""

    def __init__(self, kind: str, reason: str, evidence: dict[str, Any] | None = None):
        super().__init__(reason)
        self.kind = kind  # unreachable, timeout, tls, untrusted, auth, not_found, config, error
        self.reason = reason
        self.evidence = evidence or {}
