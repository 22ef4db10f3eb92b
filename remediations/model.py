"""What a remediation is: stable id, numbered steps that may name the finding's evidence, and documentation."""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any


class _KeepUnknown(dict):
    """Leaves `{name}` in place when the finding has no such evidence, instead of failing the report."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _render(template: str, values: dict[str, Any]) -> str:
    try:
        return string.Formatter().vformat(template, (), _KeepUnknown(values))
    except (ValueError, IndexError, AttributeError):
        return template


@dataclass(frozen=True)
class Remediation:
    id: str
    title: str
    steps: tuple[str, ...]
    docs: tuple[str, ...] = ()
    automatable: bool = False

    def for_finding(self, target: str, evidence: dict[str, Any]) -> dict[str, Any]:
        """The remediation as a report shows it, its steps filled with the finding's target and evidence."""
        kind, _, name = target.partition(":")
        values = {"target": target, "target_kind": kind, "target_name": name}
        values.update({key: _as_text(value) for key, value in evidence.items()})
        return {
            "id": self.id,
            "title": _render(self.title, values),
            "steps": [_render(step, values) for step in self.steps],
            "docs": list(self.docs),
        }


def _as_text(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return value
