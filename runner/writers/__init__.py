"""Report writers, one module per format. Each turns a Report into text and knows nothing of the terminal or the TUI."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from failback.runner.report import Report


class Writer(Protocol):
    def __call__(self, report: Report, json_digest: str | None = None) -> str: ...


@dataclass(frozen=True)
class Format:
    name: str
    module: str
    extension: str


FORMATS = {
    f.name: f
    for f in (
        Format("text", "failback.runner.writers.text_writer", "txt"),
        Format("json", "failback.runner.writers.json_writer", "json"),
        Format("markdown", "failback.runner.writers.markdown_writer", "md"),
        Format("html", "failback.runner.writers.html_writer", "html"),
        Format("junit", "failback.runner.writers.junit_writer", "xml"),
        Format("csv", "failback.runner.writers.csv_writer", "csv"),
    )
}


def writer_for(format_name: str) -> Writer:
    """The writer of a format; imported on use, so the command starts without loading every writer."""
    return importlib.import_module(FORMATS[format_name].module).write
