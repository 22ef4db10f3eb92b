"""The architecture of DESIGN.md, enforced: the engine (checks, remediations, runner) imports no face (the command
line, the TUI), no screen library and no lab. The contracts live in pyproject.toml ([tool.importlinter]) and run here
with import-linter over the package as it installs (`failback.*`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("checks", "remediations", "runner", "tui", "cli", "lab")


def test_import_contracts_hold(tmp_path):
    # The folders as the wheel lays them out, so import-linter reads the same modules a user imports.
    namespace = tmp_path / "failback"
    namespace.mkdir()
    for folder in FOLDERS:
        (namespace / folder).symlink_to(ROOT / folder)
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache", str(ROOT / "pyproject.toml")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
