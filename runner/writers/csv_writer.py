"""CSV: a header row, then one row per result, for spreadsheets and ticket imports."""

from __future__ import annotations

import csv
import io
import json

from failback.runner.report import Report

COLUMNS = ["check", "target", "status", "severity", "title", "message", "remediation_id", "remediation_title",
           "waiver_approver", "waiver_expires", "evidence"]


def write(report: Report, json_digest: str | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in report.results:
        writer.writerow([
            r.check, r.target, r.status.value, r.severity.value if r.severity else "", r.title, r.message,
            (r.remediation or {}).get("id", ""), (r.remediation or {}).get("title", ""),
            (r.waiver or {}).get("approver", ""), (r.waiver or {}).get("expires", ""),
            json.dumps(r.evidence, sort_keys=True, default=str),
        ])
    return buffer.getvalue()
