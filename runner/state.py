"""Where failback keeps what outlives a command: run journals, the fix audit log, demo reports.

$XDG_STATE_HOME/failback, else ~/.local/state/failback (the XDG base directory rule for state data).
"""

from __future__ import annotations

import os
from pathlib import Path


def state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "failback"
