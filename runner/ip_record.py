"""The static IP configuration recorded before failback, read back from a saved report or facts bundle.

After failback vCenter shows the DHCP lease, so restoring (and checking) the static address needs what guest.ip_mode
saw before: `failback fix --check guest.ip_mode --record BEFORE.json` hands it to the check through the facts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from failback.checks.facts import SCHEMA as FACTS_SCHEMA
from failback.checks.facts import Facts, FactsFileError
from failback.checks.model import Result
from failback.checks.vcenter.guest_ip import IP_MODE, RECORD_SOURCE
from failback.remediations.guest_ip.config import record_from_evidence
from failback.runner.report import SCHEMA as REPORT_SCHEMA
from failback.runner.report import ReportFileError, report_from_document

Records = dict[str, dict[str, Any]]  # VM name -> {"static": [{ip, prefix, mac, network}], "gateway", "dns"}


class RecordFileError(Exception):
    """The file given as the record is not a report or facts bundle holding guest.ip_mode's evidence."""


def records_from_results(results: Iterable[Result]) -> Records:
    """Each VM's static configuration as guest.ip_mode recorded it (from vCenter, or from an earlier record)."""
    return {result.target.removeprefix("vm:"): record_from_evidence(result.evidence) for result in results
            if result.check == IP_MODE.id and result.evidence.get("static") and result.evidence.get("told_by") in ("vcenter", "record")}


def load_records(path: Path) -> Records:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordFileError(f"cannot read {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RecordFileError(f"{path}: not a JSON report or facts bundle") from None
    schema = document.get("schema") if isinstance(document, dict) else None
    try:
        if schema == REPORT_SCHEMA:
            results = report_from_document(document).results
        elif schema == FACTS_SCHEMA:
            from failback.runner.engine import Selection, evaluate

            selection = Selection(only=frozenset({IP_MODE.id}))
            results = evaluate(Facts.load(path), selection).results
        else:
            raise RecordFileError(f"{path}: neither a failback report nor a facts bundle")
    except (ReportFileError, FactsFileError) as exc:
        raise RecordFileError(f"{path}: {exc}") from None
    records = records_from_results(results)
    if not records:
        raise RecordFileError(f"{path} records no static address for any VM (guest.ip_mode's evidence from vCenter)")
    return records


def with_records(collect: Callable[[Any], Facts], records: Records) -> Callable[[Any], Facts]:
    """A collector that adds the record to what the sources gathered, for guest.ip_mode to judge against."""
    def collect_with_records(selection: Any) -> Facts:
        facts = collect(selection)
        facts.sources[RECORD_SOURCE] = records
        return facts

    return collect_with_records
