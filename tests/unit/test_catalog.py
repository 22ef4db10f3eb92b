"""The catalog contract: every check is discoverable, explained, points at a remediation, and the core is headless."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from failback.checks.registry import all_checks
from failback.remediations import CATALOG

FAILBACK_MD = Path(__file__).parents[3] / "shared" / "FAILBACK.md"
README = Path(__file__).parents[2] / "README.md"
# Checks added since the domain catalog: documented in README.md's table of the same shape, not in shared/.
ADDED_SINCE_THE_DOMAIN_CATALOG = {"host.state", "mt.template_clone", "ps.azure_vm", "mt.replication_group", "asr.failback_policy",
                                  "asr.resync", "appliance.disk_count", "azure.disk_resized", "vcenter.identity"}
CATALOG_ROW = re.compile(r"^\| ([a-z_]+\.[a-z_]+)(?: \([CM]\))? \|", re.M)


def test_every_check_has_metadata_and_a_remediation():
    for check in all_checks():
        meta = check.meta
        assert meta.title and meta.why and meta.gates and meta.experiences and meta.sources, meta.id
        assert meta.remediation in CATALOG, f"{meta.id} points at unknown remediation {meta.remediation}"


def test_check_ids_are_those_of_the_domain_catalog():
    registered = {c.meta.id for c in all_checks()}
    assert ADDED_SINCE_THE_DOMAIN_CATALOG <= registered
    assert ADDED_SINCE_THE_DOMAIN_CATALOG <= set(CATALOG_ROW.findall(README.read_text())), "README.md documents each added check"
    if FAILBACK_MD.exists():  # shared/ sits beside the clone in CI and on developer machines
        documented = set(CATALOG_ROW.findall(FAILBACK_MD.read_text()))
        assert registered <= documented | ADDED_SINCE_THE_DOMAIN_CATALOG


def test_failback_checks_json_lists_the_catalog():
    done = subprocess.run([sys.executable, "-m", "failback.cli", "checks", "--json"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    listed = json.loads(done.stdout)
    assert {entry["id"] for entry in listed} == {c.meta.id for c in all_checks()}
    snapshots = next(entry for entry in listed if entry["id"] == "vm.snapshots")
    assert snapshots["gates"] == ["reprotect"] and snapshots["remediation"] == "remove-snapshots"
    assert set(snapshots) >= {"id", "title", "severity", "gates", "experiences", "remediation"}


def test_unknown_only_id_is_refused_with_a_suggestion(tmp_path):
    done = subprocess.run([sys.executable, "-m", "failback.cli", "check", "--facts", str(tmp_path / "x.json"), "--only", "vm.snapshot"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "vm.snapshot (did you mean vm.snapshots?)" in done.stderr
