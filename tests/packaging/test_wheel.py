"""The package a user installs: a wheel built from the project, installed into a fresh venv outside the checkout.

What it proves: every import goes through `failback.*` (nothing resolves from the checkout, which is not on the path
and not the working directory), no generic top-level name is installed, and every data file (the report schema, the
TUI stylesheet, the lab's Go sources) ships inside the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_FOLDERS = {"checks": "checks", "remediations": "remediations", "runner": "runner", "tui": "tui", "cli": "cli", "lab": "lab"}
DEMO_FACTS = ROOT / "tests" / "tui" / "demo_facts.json"
FIXED_REPORT = ROOT / "tests" / "reports" / "fixed_report.json"


def _shipped_files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel from a copy of the project (the build writes nothing into the checkout), then install it and its
    dependencies into a new venv, as `pipx install` would."""
    scratch = tmp_path_factory.mktemp("wheel")
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", *PACKAGE_FOLDERS.values()):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy2
        copy(ROOT / name, source / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if copy is shutil.copytree else {}))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w",
                    str(scratch / "dist"), str(source)], check=True, timeout=300, capture_output=True)
    wheel = next((scratch / "dist").glob("failback-*.whl"))
    env_dir = scratch / "venv"
    venv.create(env_dir, with_pip=True)
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(wheel)],
                   check=True, timeout=600, capture_output=True)
    outside = scratch / "elsewhere"
    outside.mkdir()
    return {"wheel": wheel, "bin": env_dir / "bin", "cwd": outside}


def _run(installed: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(installed["bin"] / "failback"), *args], capture_output=True, text=True, timeout=120,
                          cwd=installed["cwd"], env={"PATH": "/usr/bin:/bin", "HOME": str(installed["cwd"])})


def test_wheel_installs_only_the_failback_namespace_and_every_file_of_the_folders(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    top_level = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == {"failback"}
    for package, folder in PACKAGE_FOLDERS.items():
        in_wheel = {name.removeprefix(f"failback/{package}/") for name in names if name.startswith(f"failback/{package}/")}
        assert _shipped_files(ROOT / folder) - in_wheel == set(), f"{folder}/ files missing from the wheel"
    for data in ("failback/runner/schemas/report.schema.json", "failback/tui/failback.tcss", "failback/lab/vcsim/main.go"):
        assert data in names


def test_installed_command_works_outside_the_checkout(installed, tmp_path):
    from failback.runner.version import TOOL_VERSION

    version = _run(installed, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"failback {TOOL_VERSION}"

    catalog = _run(installed, "checks", "--json")
    assert catalog.returncode == 0, catalog.stderr
    assert "vm.snapshots" in {entry["id"] for entry in json.loads(catalog.stdout)}

    report = tmp_path / "preflight.json"
    checked = _run(installed, "check", "--facts", str(DEMO_FACTS), "--format", "json", "--output", str(report))
    assert checked.returncode == 1, checked.stderr  # the demo site's saved facts are broken on purpose
    assert json.loads(report.read_text())["schema"] == "failback.report/1"

    rendered = _run(installed, "report", "--from", str(FIXED_REPORT), "--format", "html", "--output", str(tmp_path / "cab.html"))
    assert rendered.returncode == 0, rendered.stderr
    assert "<svg" in (tmp_path / "cab.html").read_text()


def test_installed_lab_and_tui_find_their_data(installed):
    """The demo builds the simulator from the Go sources it ships; the TUI loads the stylesheet beside it."""
    probe = (
        "import json, pathlib, failback.lab.vcsim as vcsim, failback.tui.app as app;"
        "css = pathlib.Path(app.__file__).with_name(app.FailbackApp.CSS_PATH);"
        "print(json.dumps({'go': sorted(p.name for p in vcsim.GO_SOURCE_DIR.glob('*.go')), 'digest': vcsim.source_digest(),"
        " 'css': css.is_file(), 'lab_file': vcsim.__file__}))"
    )
    done = subprocess.run([str(installed["bin"] / "python"), "-c", probe], capture_output=True, text=True, timeout=120,
                          cwd=installed["cwd"])
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    from failback.lab import vcsim

    assert seen["go"] == sorted(path.name for path in vcsim.GO_SOURCE_DIR.glob("*.go"))
    assert seen["digest"] == vcsim.source_digest()  # the same sources: the same simulator binary
    assert seen["css"] is True
    assert not seen["lab_file"].startswith(str(ROOT))
