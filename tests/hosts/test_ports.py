"""network.ports against loopback listeners: open, TLS (valid, expiring, expired), refused, dropped, silent."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import trustme

from failback.checks.model import Status
from failback.checks.sources.tcp import Endpoint, TcpSource, probe_all, site_endpoints
from failback.lab.endpoints import BlackholePort, ClosedPort, OpenPort, SilentPort, TlsPort, certificate

from .conftest import make_site, only_result, run_check

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ports(ca: trustme.CA) -> Iterator[dict]:
    opened = {
        "open": OpenPort(),
        "data": OpenPort("127.0.0.2"),
        "tls": TlsPort(certificate(ca, "cs01.lab.test", "127.0.0.1", valid_days=400)),
        "expiring": TlsPort(certificate(ca, "cs01.lab.test", valid_days=10)),
        "expired": TlsPort(certificate(ca, "cs01.lab.test", valid_days=3, expired=True)),
        "silent": SilentPort(),
        "blackhole": BlackholePort(),
        "closed": ClosedPort(),
    }
    yield opened
    for port in opened.values():
        port.close()


def _site(config_server_port: int, data_port: int, extra: list[dict] | None = None):
    return make_site(
        config_server={"host": "127.0.0.1", "port": config_server_port},
        process_server={"host": "127.0.0.2", "port": data_port},
        endpoints=extra or [],
        policy={"probe_timeout_seconds": TIMEOUT},
    )


def _ports_results(site):
    return run_check(site, "network.ports", {"tcp": TcpSource(site).collect})[0]


def test_open_ports_and_a_trusted_looking_certificate_pass(ports):
    # The process server is played by 127.0.0.2: the whole of 127/8 is loopback.
    site = _site(ports["tls"].port, ports["data"].port)
    results = _ports_results(site)
    control = only_result(results, f"endpoint:127.0.0.1:{ports['tls'].port}")
    data = only_result(results, f"endpoint:127.0.0.2:{ports['data'].port}")
    assert control.status is Status.PASS and data.status is Status.PASS, (control.message, data.message)
    assert "configuration server" in control.message and "TLSv1" in control.message
    assert control.evidence["subject"].startswith("CN=cs01.lab.test")
    assert "trustme" in control.evidence["issuer"]
    assert len(control.evidence["sha256"].split(":")) == 32 and control.evidence["days_left"] > 390
    assert control.remediation is None


@pytest.mark.parametrize(
    ("port_name", "tls", "outcome", "words"),
    [
        ("closed", False, "refused", "refused the connection"),
        ("blackhole", False, "timeout", "did not accept a connection within 1 s"),
        ("silent", True, "tls_timeout", "did not complete a TLS handshake within 1 s"),
        ("open", True, "tls_error", "TLS handshake failed"),
    ],
)
def test_refused_dropped_and_broken_tls_fail_each_in_their_own_words(ports, port_name, tls, outcome, words):
    port = ports[port_name]
    site = _site(ports["tls"].port, ports["data"].port, [{"name": "witness", "host": "127.0.0.1", "port": port.port, "tls": tls}])
    target = f"endpoint:127.0.0.1:{port.port}"
    result = only_result(_ports_results(site), target)
    assert result.status is Status.FAIL
    assert result.evidence["outcome"] == outcome and words in result.message
    assert result.remediation["id"] == "open-failback-ports"
    assert any(outcome in step for step in result.remediation["steps"])
    assert result.remediation["title"] == f"Open the path from here to witness at 127.0.0.1:{port.port}"


def test_a_certificate_expiring_within_30_days_is_a_warning(ports):
    result = only_result(_ports_results(_site(ports["expiring"].port, ports["data"].port)), f"endpoint:127.0.0.1:{ports['expiring'].port}")
    assert result.status is Status.WARN
    assert "expires in 10 days" in result.message or "expires in 9 days" in result.message
    assert result.remediation["id"] == "renew-certificate"
    assert result.evidence["sha256"] in result.remediation["steps"][0]


def test_an_expired_certificate_fails(ports):
    result = only_result(_ports_results(_site(ports["expired"].port, ports["data"].port)), f"endpoint:127.0.0.1:{ports['expired'].port}")
    assert result.status is Status.FAIL and "expired" in result.message
    assert result.remediation["id"] == "renew-certificate"


def test_probes_run_concurrently_and_take_about_one_timeout(ports):
    dropped = [BlackholePort() for _ in range(4)]
    try:
        endpoints = [Endpoint(f"dropped {i}", port.host, port.port, False) for i, port in enumerate(dropped)]
        endpoints += [Endpoint(f"open {i}", "127.0.0.1", ports["open"].port, False) for i in range(8)]
        started = time.monotonic()
        outcomes = [probe["outcome"] for probe in probe_all(endpoints, TIMEOUT)]
        elapsed = time.monotonic() - started
    finally:
        for port in dropped:
            port.close()
    assert outcomes == ["timeout"] * 4 + ["open"] * 8
    assert elapsed < 1.8 * TIMEOUT, f"{elapsed:.2f} s: the probes did not run concurrently"


def test_site_endpoints_cover_control_data_and_extra_ports_once():
    site = make_site(
        config_server={"host": "cs01.lab.test"},
        process_server={"host": "10.1.0.4"},
        master_targets=[{"name": "mt01", "host": "10.0.0.7"}],
        endpoints=[{"name": "vault proxy", "host": "cs01.lab.test", "port": 443, "tls": False}],
    )
    found = {(e.host, e.port): (e.role, e.tls) for e in site_endpoints(site)}
    assert found == {
        ("cs01.lab.test", 443): ("configuration server", True),
        ("10.1.0.4", 9443): ("process server", False),
        ("10.0.0.7", 9443): ("master target mt01", False),
    }
