"""Facts: everything the sources gathered, as plain JSON-able data, plus why a source could not gather.

Checks read facts and nothing else, so a saved bundle re-evaluates offline to the same verdicts. The bundle carries
the site's settings (the site file names environment variables, never holds a secret) and never a secret itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from failback.checks.site import Site

SCHEMA = "failback.facts/1"
Derived = TypeVar("Derived")


class FactsFileError(Exception):
    """A facts bundle that cannot be read back."""


@dataclass
class SourceFailure:
    """Why a source gathered nothing: shown on every check that needed it."""

    reason: str
    kind: str = "error"  # auth, tls, timeout, unreachable, not_found, error
    evidence: dict[str, Any] = field(default_factory=dict)


class FactsMissing(Exception):
    """Part of a source could not be gathered (the vault of a site whose network was read): a check that reads that
    part is not verified, with this reason; checks that read only the rest of the source judge as usual."""

    def __init__(self, reason: str, kind: str, source: str, part: str, remediation_id: str):
        super().__init__(reason)
        self.reason, self.kind, self.source, self.part, self.remediation_id = reason, kind, source, part, remediation_id


@dataclass
class Facts:
    site: Site
    collected_at: str  # ISO 8601, UTC: the tool host's clock when collection started
    tool_version: str
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, SourceFailure] = field(default_factory=dict)
    # What checks derive from the facts (indexes by name), built once and shared: see derived().
    _derived: dict[Callable[..., Any], Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def source(self, name: str) -> dict[str, Any]:
        """The facts of one source; the engine never calls a check whose source failed or was not collected."""
        return self.sources[name]

    def derived(self, build: Callable[[Facts], Derived]) -> Derived:
        """build(self), computed once for these facts. Facts do not change once gathered, so an index one check builds
        over thousands of VMs serves every other check too, instead of each building its own."""
        if build not in self._derived:
            self._derived[build] = build(self)
        return self._derived[build]

    def to_json(self) -> str:
        document = {
            "schema": SCHEMA,
            "collected_at": self.collected_at,
            "tool_version": self.tool_version,
            "site": self.site.model_dump(mode="json"),
            "sources": self.sources,
            "failures": {name: vars(failure) for name, failure in self.failures.items()},
        }
        return json.dumps(document, indent=2, sort_keys=True)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Facts:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise FactsFileError(f"{path}: cannot read the facts bundle: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise FactsFileError(f"{path}: not a failback facts bundle (not UTF-8 text)") from None
        except json.JSONDecodeError as exc:
            raise FactsFileError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        if not isinstance(document, dict) or document.get("schema") != SCHEMA:
            raise FactsFileError(f"{path}: not a failback facts bundle (expected schema {SCHEMA!r})")
        try:
            return cls(
                site=Site.model_validate(document["site"]),
                collected_at=document["collected_at"],
                tool_version=document.get("tool_version", "unknown"),
                sources=document.get("sources", {}),
                failures={name: SourceFailure(**value) for name, value in document.get("failures", {}).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise FactsFileError(f"{path}: the facts bundle is incomplete or damaged: {exc}") from None
