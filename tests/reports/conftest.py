"""A fixed report (the demo site's problems, a waiver applied and one expired, a run event) every writer renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from failback.runner.report import Report, report_from_document

FIXED_REPORT = Path(__file__).parent / "fixed_report.json"


@pytest.fixture
def fixed_document() -> dict:
    return json.loads(FIXED_REPORT.read_text())


@pytest.fixture
def fixed_report(fixed_document) -> Report:
    return report_from_document(fixed_document)
