"""What a remediation is: stable id, numbered steps that may name the finding's evidence, and documentation."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any


class _KeepUnknown(dict):
    """Leaves `{name}` in place when the finding has no such evidence, instead of failing the report."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _render(template: str, values: dict[str, Any]) -> str:
    # str.format_map, not string.Formatter: the same syntax in C, for the tens of thousands of findings of a large site.
    try:
        return template.format_map(_KeepUnknown(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


def _fields(template: str) -> set[str]:
    try:
        return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field}
    except ValueError:
        return set()


def _known_sentences(template: str, values: dict[str, Any]) -> str | None:
    """The sentences of a step whose every field is known, rendered; None when none is left."""
    sentences = re.split(r"(?<=[.:;])\s+", template)
    kept = [sentence for index, sentence in enumerate(sentences) if _fields(sentence) <= values.keys()
            # a label ("Found:") whose content was dropped says nothing
            and not (sentence.endswith(":") and (index + 1 == len(sentences) or not _fields(sentences[index + 1]) <= values.keys()))]
    return _render(" ".join(kept), values) if kept else None


@dataclass(frozen=True)
class Remediation:
    id: str
    title: str
    steps: tuple[str, ...]
    docs: tuple[str, ...] = ()
    automatable: bool = False

    def for_finding(self, target: str, evidence: dict[str, Any], fallback_title: str | None = None) -> dict[str, Any]:
        """The remediation as a report shows it, its steps filled with the finding's target and evidence.

        With a fallback_title (an ASR job error, which carries no evidence of ours), what names unknown evidence is
        left out rather than shown as `{field}`: the title becomes the fallback, and such sentences are dropped.
        """
        kind, _, name = target.partition(":")
        values = {"target": target, "target_kind": kind, "target_name": name}
        values.update({key: _as_text(value) for key, value in evidence.items()})
        if fallback_title is None:
            title, steps = _render(self.title, values), [_render(step, values) for step in self.steps]
        else:
            title = _render(self.title, values) if _fields(self.title) <= values.keys() else fallback_title
            steps = [text for step in self.steps if (text := _known_sentences(step, values))]
        return {"id": self.id, "title": title, "steps": steps, "docs": list(self.docs)}


def _as_text(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return value
