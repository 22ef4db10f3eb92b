"""vcenter.connect against the simulator: trusted, pinned, untrusted, wrong password, unreachable, unknown datacenter."""

from __future__ import annotations

import socket
import time

from failback.checks.model import Status
from tests.labsite import run_checks


def _set_trust(lab, replacement: str) -> None:
    text = lab.site_path.read_text()
    lab.site_path.write_text(text.replace(f'ca_file = "{lab.sim.ca_file}"', replacement))


def test_connect_passes_with_the_lab_ca(healthy_lab):
    result = run_checks(healthy_lab, "vcenter.connect")[0]
    assert result.status is Status.PASS
    assert result.evidence["verified_by"].startswith("ca_file")
    assert result.evidence["thumbprint_sha256"] == healthy_lab.sim.thumbprint_sha256


def test_untrusted_certificate_is_refused_with_its_thumbprint(lab):
    _set_trust(lab, "")  # the system trust store does not know the lab CA
    results = run_checks(lab, "vcenter.connect", "vm.snapshots")
    connect = next(r for r in results if r.check == "vcenter.connect")
    assert connect.status is Status.FAIL
    assert lab.sim.thumbprint_sha256 in connect.message
    assert f'thumbprint = "{lab.sim.thumbprint_sha256}"' in " ".join(connect.remediation["steps"])
    snapshots = next(r for r in results if r.check == "vm.snapshots")
    assert snapshots.status is Status.ERROR and snapshots.message.startswith("not verified:")


def test_pinned_thumbprint_connects_without_a_ca(lab):
    _set_trust(lab, f'thumbprint = "{lab.sim.thumbprint_sha256}"')
    result = run_checks(lab, "vcenter.connect")[0]
    assert result.status is Status.PASS and result.evidence["verified_by"] == "pinned thumbprint"


def test_mismatching_pinned_thumbprint_is_refused(lab):
    _set_trust(lab, 'thumbprint = "' + ":".join(["AB"] * 32) + '"')
    result = run_checks(lab, "vcenter.connect")[0]
    assert result.status is Status.FAIL
    assert "does not match the pinned thumbprint" in result.message and lab.sim.thumbprint_sha256 in result.message


def test_wrong_password_is_an_error_and_the_others_are_not_verified(lab):
    results = run_checks(lab, "vcenter.connect", "vm.snapshots", "esxi.license", password="not-the-password")
    connect = next(r for r in results if r.check == "vcenter.connect")
    assert connect.status is Status.ERROR
    assert "refused the login" in connect.message and "not-the-password" not in connect.message
    others = [r for r in results if r.check != "vcenter.connect"]
    assert others and all(r.status is Status.ERROR and r.message.startswith("not verified: ") for r in others)
    assert all(r.remediation["id"] == "vcenter-connect" for r in others)


def test_unreachable_port_answers_within_the_timeout(lab):
    with socket.socket() as listener:  # bound, never listening: connections are refused
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        lab.site_path.write_text(lab.site_path.read_text().replace(f"port = {lab.sim.port}", f"port = {port}"))
        result = run_checks(lab, "vcenter.connect")[0]
    assert result.status is Status.ERROR and "refused the connection" in result.message


def test_silent_server_times_out_within_the_configured_timeout(lab):
    with socket.socket() as listener:  # accepts (backlog) but never speaks TLS
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        text = lab.site_path.read_text().replace(f"port = {lab.sim.port}", f"port = {port}")
        lab.site_path.write_text(text.replace("timeout_seconds = 10", "timeout_seconds = 1"))
        began = time.monotonic()
        result = run_checks(lab, "vcenter.connect")[0]
        elapsed = time.monotonic() - began
    assert result.status is Status.ERROR and "did not answer within 1 s" in result.message
    assert elapsed < 3


def test_unknown_datacenter_names_the_ones_there(lab):
    lab.site_path.write_text(lab.site_path.read_text().replace('datacenter = "DC0"', 'datacenter = "DC9"'))
    result = run_checks(lab, "vcenter.connect")[0]
    assert result.status is Status.ERROR
    assert "no datacenter named 'DC9' (it has: DC0)" in result.message
