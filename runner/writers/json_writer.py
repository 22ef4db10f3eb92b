"""The JSON report (schema failback.report/1): what scripts, pipelines and `failback report` read."""

from __future__ import annotations

import json

from runner.report import Report


def write(report: Report) -> str:
    return json.dumps(report.to_document(), indent=2, default=str) + "\n"
