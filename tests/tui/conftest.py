"""The TUI over a saved facts bundle of the demo site (offline, deterministic) or over the live lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from failback.checks.facts import Facts
from failback.runner.preflight import Preflight
from failback.tui.app import FailbackApp

DEMO_FACTS = Path(__file__).parent / "demo_facts.json"


@pytest.fixture
def offline_app() -> FailbackApp:
    facts = Facts.load(DEMO_FACTS)
    return FailbackApp(Preflight(facts.site, facts=facts))
