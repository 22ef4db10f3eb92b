"""Waivers: an accepted risk on one check (optionally some targets), with a justification, an approver and an expiry.

A waived result stays in every report, counted as waived; an expired waiver no longer applies and is flagged, so a
stale acceptance can never hide a problem.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from failback.checks.model import Result, Status
from failback.checks.sitefile import Problem, SiteFileError, key_lines, read_text_file

WAIVABLE = {Status.FAIL, Status.WARN, Status.ERROR}
_KEYS = {"check", "target", "justification", "approver", "expires"}
_TEXT_KEYS = ("check", "target", "justification", "approver")


@dataclass(frozen=True)
class Waiver:
    check: str
    target: str  # fnmatch pattern over `kind:name`; "*" for every target
    justification: str
    approver: str
    expires: dt.date
    line: int | None = None

    def matches(self, result: Result) -> bool:
        return result.check == self.check and fnmatch.fnmatchcase(result.target, self.target)

    def expired(self, today: dt.date) -> bool:
        return today > self.expires

    def describe(self) -> dict[str, Any]:
        return {"check": self.check, "target": self.target, "justification": self.justification,
                "approver": self.approver, "expires": self.expires.isoformat()}


class WaiverFileError(SiteFileError):
    """A waivers file that cannot be used: every problem, by file, line and key."""


def load_waivers(path: Path, known_checks: set[str]) -> list[Waiver]:
    name = str(path)
    try:
        text = read_text_file(path, "waivers file")
        raw = tomllib.loads(text)
    except SiteFileError as exc:
        raise WaiverFileError(exc.problems) from None
    except tomllib.TOMLDecodeError as exc:
        raise WaiverFileError([Problem(name, None, "", f"not valid TOML: {exc}")]) from None
    lines = key_lines(text)
    problems: list[Problem] = []
    waivers: list[Waiver] = []
    unexpected = sorted(set(raw) - {"waiver"})
    problems += [Problem(name, lines.get((key,)), key, "unknown key; waivers are [[waiver]] tables") for key in unexpected]
    entries = raw.get("waiver", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise WaiverFileError([*problems, Problem(name, lines.get(("waiver",)), "waiver", "waivers are [[waiver]] tables")])
    for index, entry in enumerate(entries):
        line = lines.get(("waiver", index))
        where = f"waiver[{index}]"
        entry_problems = [Problem(name, lines.get(("waiver", index, key), line), f"{where}.{key}", "unknown key") for key in sorted(set(entry) - _KEYS)]
        for key in ("check", "justification", "approver", "expires"):
            value = entry.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                entry_problems.append(Problem(name, line, f"{where}.{key}", "required: a waiver needs a check, a justification, an approver and an expiry date"))
        for key in _TEXT_KEYS:
            if key in entry and not isinstance(entry[key], str):
                entry_problems.append(Problem(name, lines.get(("waiver", index, key), line), f"{where}.{key}", "must be text, in quotes"))
        check = entry.get("check")
        if isinstance(check, str) and check and check not in known_checks:
            entry_problems.append(Problem(name, lines.get(("waiver", index, "check"), line), f"{where}.check", f"no check named {check!r}"))
        expires = entry.get("expires")
        if expires is not None and not (isinstance(expires, dt.date) and not isinstance(expires, dt.datetime)):
            entry_problems.append(Problem(name, lines.get(("waiver", index, "expires"), line), f"{where}.expires", "must be a date, like 2026-12-31"))
        problems += entry_problems
        if not entry_problems:
            waivers.append(Waiver(check, entry.get("target", "*"), entry["justification"].strip(), entry["approver"].strip(), expires, line))
    if problems:
        raise WaiverFileError(problems)
    return waivers


def apply_waivers(results: list[Result], waivers: list[Waiver], today: dt.date) -> list[dict[str, Any]]:
    """Mark waived results in place; return every waiver with how it applied (used, expired, or matched nothing)."""
    ledger = []
    for waiver in waivers:
        matched = [r for r in results if waiver.matches(r)]
        if waiver.expired(today):
            for result in matched:
                result.evidence = {**result.evidence, "expired_waiver": waiver.describe()}
            ledger.append({**waiver.describe(), "state": "expired", "results": [r.target for r in matched]})
            continue
        waived = [r for r in matched if r.status in WAIVABLE]
        for result in waived:
            result.waiver = {**waiver.describe(), "original_status": result.status.value}
            result.status = Status.WAIVED
        ledger.append({**waiver.describe(), "state": "applied" if waived else "unused", "results": [r.target for r in waived]})
    return ledger
