"""Report writers, one module per format; each turns a Report into text and knows nothing of the terminal or TUI."""

from __future__ import annotations

from collections.abc import Callable

from runner.report import Report

Writer = Callable[[Report], str]


def writer_for(format_name: str) -> Writer:
    if format_name == "json":
        from runner.writers.json_writer import write
    elif format_name == "text":
        from runner.writers.text_writer import write
    else:
        raise ValueError(f"unknown report format {format_name!r}")
    return write


FORMATS = ("text", "json")
