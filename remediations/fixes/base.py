"""What an automated fix is: a plan that says exactly what it will change (or why it will not), and the change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from failback.checks.facts import Facts
from failback.checks.model import Result
from failback.checks.site import Site


@dataclass(frozen=True)
class FixAction:
    """One change on one target, described before anything is done."""

    check: str
    target: str
    description: str  # exactly what will be done, in the operator's words
    refused: str | None = None  # why this one will not be done (nothing is changed for it)
    details: tuple[tuple[str, Any], ...] = ()  # what apply() needs (names, not secrets)

    def detail(self, key: str) -> Any:
        return dict(self.details)[key]


def subject_name(result: Result) -> str:
    """The name in a result's `kind:name` target: the VM or master target the fix changes."""
    return result.target.split(":", 1)[1]


class FixError(Exception):
    """Applying a fix failed; the message says what happened and what was left as it was."""


class Fix(Protocol):
    check_ids: tuple[str, ...]
    source: str  # the connection the fix needs: "vcenter", "ssh", "azure"

    def plan(self, result: Result, facts: Facts) -> FixAction: ...

    def apply(self, action: FixAction, site: Site, secrets: Mapping[str, Any]) -> str: ...

    # Optional: inspect(action, site, secrets) -> FixAction looks at the target read-only before the operator is asked
    # (the dry run too) and returns the action completed with what it found, or refused with why.
