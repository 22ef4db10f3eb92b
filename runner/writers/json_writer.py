"""The JSON report (schema failback.report/1, schemas/report.schema.json): what scripts, pipelines and the TUI read."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

from failback.runner.report import Report, result_document

# No indent: json's C encoder; with indent= json falls back to its pure-Python encoder, ten times slower on the tens of
# thousands of results of a large site. The layout below keeps the document readable and diffable line by line.
_encode = json.JSONEncoder(default=str).encode


def write(report: Report, json_digest: str | None = None) -> str:
    return "".join(pieces(report))


def pieces(report: Report) -> Iterator[str]:
    """The document a line at a time, one line per top-level key and one per result, the results last: written piece by
    piece, a report of 80,000 results never sits in memory as one string."""
    yield "{\n"
    for key, value in report.head_document().items():
        yield f"  {_encode(key)}: {_encode(value)},\n"
    yield '  "results": ['
    separator = "\n    "
    for result in report.results:
        yield separator + _encode(result_document(result))
        separator = ",\n    "
    yield "\n  ]\n}\n" if report.results else "]\n}\n"


def digest(text: str) -> str:
    """The SHA-256 a reviewer recomputes with `sha256sum` over the JSON file as written."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
