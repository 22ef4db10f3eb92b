"""docs/scheduled-preflight.md shows commands people paste into timers and pipelines: each must still parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from failback.cli.main import _parser

GUIDE = Path(__file__).parents[2] / "docs" / "scheduled-preflight.md"
# An invocation runs until the shell takes over (; && || > quotes) or the line ends; shell comments are dropped.
INVOCATION = re.compile(r"failback (?:check|diff) [^;&|>'`\n]*")


def test_every_command_of_the_scheduling_guide_parses():
    invocations = [shlex.split(match.group(0), comments=True)[1:] for match in INVOCATION.finditer(GUIDE.read_text())]
    assert len(invocations) >= 6, invocations
    parser = _parser()
    for argv in invocations:
        args = parser.parse_args(argv)  # an option that no longer exists exits 2 here
        assert args.command in ("check", "diff")
        if args.command == "check":
            assert args.baseline is not None, argv
