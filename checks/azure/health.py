"""ASR's health errors and job errors as a report shows them: code, message, possible causes, recommended action."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from failback.checks.findings import Findings
from failback.remediations.asr_errors import remediation_for


def describe(error: dict[str, Any]) -> str:
    """One ASR error in a line: `code: message (possible causes: ...; recommended action: ...)`."""
    code = error.get("code") or error.get("provider_code") or "no code"
    text = f"ASR error {code}: {(error.get('message') or error.get('provider_message') or '').strip()}"
    details = [f"{label}: {error[key].strip()}" for key, label in (("possible_causes", "possible causes"),
                                                                 ("recommended_action", "recommended action")) if error.get(key)]
    return text + (f" ({'; '.join(details)})" if details else "")


def codes(errors: Iterable[dict[str, Any]]) -> list[str]:
    found = []
    for error in errors:
        for key in ("code", "provider_code"):
            if error.get(key) is not None:
                found.append(str(error[key]))
    return found


def add_health_errors(findings: Findings, errors: list[dict[str, Any]], whose: str) -> None:
    """Error-level health errors fail, warnings warn; each named with its code and ASR's advice."""
    for error in errors:
        level = (error.get("level") or "Error").lower()
        text = f"{whose}: {describe(error)}"
        if level in ("error", "critical"):
            findings.fail(text)
        else:
            findings.warn(text)


def remediation_for_errors(errors: Iterable[dict[str, Any]]) -> str | None:
    """Our remediation for the first ASR code among these errors that we know, if any."""
    return remediation_for(codes(errors))
