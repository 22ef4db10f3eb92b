"""Quoting for Windows command lines: PowerShell single-quoted strings, netsh's double-quoted names."""

from __future__ import annotations


def ps_quote(value: str) -> str:
    """A PowerShell verbatim string: nothing inside expands; a single quote is doubled."""
    return "'" + value.replace("'", "''") + "'"


def netsh_name(value: str) -> str:
    """netsh takes name="..." with no way to escape a double quote, so a name holding one is refused."""
    if '"' in value or "\n" in value or "\r" in value:
        raise ValueError(f"interface name {value!r} cannot be passed to netsh")
    return f'"{value}"'
