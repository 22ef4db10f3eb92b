"""The record of static IPs taken before failback, read back from a saved report, and the site's guest account."""

from __future__ import annotations

import json

import pytest

from failback.checks.sitefile import load_site, missing_environment
from failback.runner.ip_record import RecordFileError, load_records

STATIC = {"ip": "10.20.0.21", "prefix": 24, "mac": "00:50:56:01:02:03", "network": "VM Network"}


def _report(path, *results):
    path.write_text(json.dumps({"schema": "failback.report/1", "site": "s", "experience": "classic", "gate": "all",
                                "generated_at": "2026-01-01T00:00:00+00:00", "tool_version": "t", "results": list(results)}))
    return path


def _result(target, evidence, check="guest.ip_mode"):
    return {"check": check, "target": target, "status": "warn", "message": "m", "evidence": evidence}


def test_a_saved_report_gives_each_vms_static_configuration(tmp_path):
    path = _report(tmp_path / "before.json",
                   _result("vm:app01", {"static": [STATIC], "gateway": "10.20.0.1", "dns": ["10.20.0.2"], "told_by": "vcenter", "os_family": "linux"}),
                   _result("vm:db01", {"static": [], "told_by": "vcenter"}),
                   _result("vm:web01", {"addresses": ["10.9.9.9"], "gateway": "unknown", "dns": "unknown", "told_by": "asr"}),
                   _result("vm:app01", {"snapshots": ["x"]}, check="vm.snapshots"))
    assert load_records(path) == {"app01": {"static": [STATIC], "gateway": "10.20.0.1", "dns": ["10.20.0.2"], "os_family": "linux"}}


def test_files_that_record_nothing_are_refused_with_the_reason(tmp_path):
    with pytest.raises(RecordFileError, match="records no static address"):
        load_records(_report(tmp_path / "r.json", _result("vm:db01", {"static": [], "told_by": "vcenter"})))
    (tmp_path / "other.json").write_text('{"schema": "something/1"}')
    with pytest.raises(RecordFileError, match="neither a failback report nor a facts bundle"):
        load_records(tmp_path / "other.json")
    with pytest.raises(RecordFileError, match="cannot read"):
        load_records(tmp_path / "missing.json")


def test_the_guest_account_comes_from_the_vm_or_the_site_default(tmp_path, monkeypatch):
    path = tmp_path / "site.toml"
    path.write_text('experience = "classic"\n[vcenter]\nhost = "vc"\nuser = "u"\ndatacenter = "dc"\n'
                    '[guest_operations]\nuser = "admin"\npassword_env = "SITE_GUEST_PW"\n'
                    '[[vms]]\nname = "app01"\nguest_user = "root"\nguest_password_env = "APP01_GUEST_PW"\n[[vms]]\nname = "db01"\n')
    site = load_site(path)
    assert site.guest_account(site.vms[0]) == ("root", "APP01_GUEST_PW")
    assert site.guest_account(site.vms[1]) == ("admin", "SITE_GUEST_PW")
    monkeypatch.delenv("SITE_GUEST_PW", raising=False)
    monkeypatch.delenv("APP01_GUEST_PW", raising=False)
    problems = {p.key: p.line for p in missing_environment(site, path)}
    assert problems == {"guest_operations.password_env": 8, "vms[0].guest_password_env": 12}
