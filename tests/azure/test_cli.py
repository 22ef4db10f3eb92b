"""`failback check --site` and `failback collect` end to end against the fake ARM: the site file's [azure] section points
arm_endpoint and authority at it and ca_file at its CA; the secret comes from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from failback.checks.registry import all_checks
from failback.lab.fake_arm.scenarios import SECRET_ENV

from .conftest import run_checks

# The checks that read Azure alone: the lab here has no vCenter.
AZURE_CHECKS = ",".join(sorted(check.meta.id for check in all_checks() if check.meta.sources == ("azure",)))


def failback(lab, *args: str, secret: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != SECRET_ENV}
    if secret is not None:
        env[SECRET_ENV] = secret
    return subprocess.run([sys.executable, "-m", "failback.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def test_check_of_a_ready_site_exits_0_with_every_azure_result(classic, tmp_path):
    site = classic.write_site(tmp_path)
    done = failback(classic, "check", "--site", str(site), "--only", AZURE_CHECKS, "--format", "json", secret=classic.secret)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["fail"] == report["summary"]["error"] == 0 and report["summary"]["ready"] is True
    kinds = {result["target"].split(":")[0] for result in report["results"]}
    assert kinds <= {"site", "plan", "item", "vm", "cs", "ps", "mt", "connection", "circuit", "endpoint", "appliance", "datastore"}
    assert classic.secret not in done.stdout + done.stderr


def test_check_of_a_broken_site_exits_1_and_shows_the_remediation(classic, tmp_path):
    classic.world.group("rg-asr").connections["cn-onprem"].status = "NotConnected"
    site = classic.write_site(tmp_path)
    done = failback(classic, "check", "--site", str(site), "--only", "network.vpn", secret=classic.secret)
    assert done.returncode == 1, done.stderr
    assert "NOT READY" in done.stdout and "connection:cn-onprem" in done.stdout
    assert "Bring the site-to-site VPN cn-onprem up" in done.stdout


def test_wrong_secret_exits_3_and_an_unset_secret_exits_2(classic, tmp_path):
    site = classic.write_site(tmp_path)
    refused = failback(classic, "check", "--site", str(site), "--only", "cs.health", "--format", "json", secret="Wr0ng-Secret")
    assert refused.returncode == 3, refused.stderr
    result = json.loads(refused.stdout)["results"][0]
    assert result["status"] == "error" and "AADSTS7000215" in result["message"] and "client_secret (service principal" in result["message"]
    assert result["remediation"]["id"] == "azure-access"
    assert "Wr0ng-Secret" not in refused.stdout + refused.stderr and "Traceback" not in refused.stderr
    unset = failback(classic, "check", "--site", str(site), "--only", "cs.health")
    assert unset.returncode == 2
    assert f"azure.client_secret_env: environment variable {SECRET_ENV} is not set" in unset.stderr


def test_saved_facts_give_the_same_verdicts_offline(modernized, tmp_path):
    # `failback collect` reads every source of the site, and this lab's other peers are not loopback ones: the Azure
    # facts are collected here, as collect does, and the CLI judges the bundle offline.
    modernized.vm("db01").power_state = "stopped"
    online = run_checks(modernized, tmp_path, *AZURE_CHECKS.split(","))
    bundle = tmp_path / "facts.json"
    online.facts.save(bundle)
    assert modernized.secret not in bundle.read_text()
    modernized.arm.stop()
    offline = failback(modernized, "check", "--facts", str(bundle), "--only", AZURE_CHECKS, "--format", "json")
    assert offline.returncode == 1, offline.stderr
    verdicts = [(r["check"], r["target"], r["status"]) for r in json.loads(offline.stdout)["results"]]
    assert verdicts == [(r.check, r.target, r.status.value) for r in online.results]
    assert ("azure.vm_running", "vm:db01", "fail") in verdicts
