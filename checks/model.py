"""The vocabulary every check, report and front end shares: statuses, gates, experiences, metadata, results."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    ERROR = "error"  # could not verify
    SKIP = "skip"  # not applicable
    WAIVED = "waived"


class Severity(str, enum.Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class Gate(str, enum.Enum):
    """The phase a check must pass before (R, F, P in FAILBACK.md)."""

    REPROTECT = "reprotect"
    FAILOVER = "failover"
    AFTER_FAILBACK = "after-failback"


class Experience(str, enum.Enum):
    CLASSIC = "classic"
    MODERNIZED = "modernized"


BOTH = frozenset({Experience.CLASSIC, Experience.MODERNIZED})
CLASSIC_ONLY = frozenset({Experience.CLASSIC})
MODERNIZED_ONLY = frozenset({Experience.MODERNIZED})


@dataclass(frozen=True)
class CheckMeta:
    """What a check is, stated beside its code. The title is the condition that must hold."""

    id: str
    title: str
    severity: Severity
    gates: tuple[Gate, ...]
    experiences: frozenset[Experience]
    sources: tuple[str, ...]  # fact sources the check reads; a failed source turns it into errors
    why: str
    remediation: str  # id in the remediations catalog
    docs: tuple[str, ...] = ()
    # True for the check that reports its source's own failure (vcenter.connect): the engine calls it even then.
    judges_source_failure: bool = False
    # Sources that only add to what `sources` tell (ASR's view of a VM vCenter cannot describe): gathered with the check,
    # read when they were collected, and never a reason for "not verified" when they failed or are absent.
    optional_sources: tuple[str, ...] = ()

    def applies_to(self, experience: Experience) -> bool:
        return experience in self.experiences


@dataclass
class Result:
    """One verdict of one check on one target (`kind:name`)."""

    check: str
    target: str
    status: Status
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # A result may point at another remediation than its check's (a VM that is missing needs finding, not fixing).
    remediation_id: str | None = None
    # Filled by the engine from the check's metadata and the remediations catalog.
    severity: Severity | None = None
    title: str = ""
    remediation: dict[str, Any] | None = None
    waiver: dict[str, Any] | None = None
