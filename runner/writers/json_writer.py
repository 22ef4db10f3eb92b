"""The JSON report (schema failback.report/1, schemas/report.schema.json): what scripts, pipelines and the TUI read."""

from __future__ import annotations

import hashlib
import json

from failback.runner.report import Report


def write(report: Report, json_digest: str | None = None) -> str:
    return json.dumps(report.to_document(), indent=2, default=str) + "\n"


def digest(text: str) -> str:
    """The SHA-256 a reviewer recomputes with `sha256sum` over the JSON file as written."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
