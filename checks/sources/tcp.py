"""The TCP source: connect to every port the failback depends on, all at once, each probe within one timeout.

An endpoint that refuses, times out or fails its TLS handshake is a fact about that endpoint; the probes of the others
go on. For TLS endpoints the certificate is read without trusting it (ASR's own certificates are self-signed): its
subject, issuer, validity and SHA-256 thumbprint become evidence.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from failback.checks.model import Experience
from failback.checks.site import Site, is_ip_address
from failback.checks.sources.tls import fingerprint

MAX_PARALLEL_PROBES = 128


@dataclass(frozen=True)
class Endpoint:
    role: str  # what it is to the failback: "configuration server", "master target mt01", an [[endpoints]] name
    host: str
    port: int
    tls: bool

    @property
    def target(self) -> str:
        return f"endpoint:{self.host}:{self.port}"


def site_endpoints(site: Site) -> list[Endpoint]:
    """The control port of the configuration server/appliance (TLS), the data ports, and the site's extra endpoints."""
    found: list[Endpoint] = []
    if site.config_server is not None:
        role = "configuration server" if site.experience is Experience.CLASSIC else "replication appliance"
        found.append(Endpoint(role, site.config_server.host, site.config_server.port, tls=True))
    if site.process_server is not None:
        found.append(Endpoint("process server", site.process_server.host, site.process_server.port, tls=False))
    for master_target in site.master_targets:
        if master_target.host:
            found.append(Endpoint(f"master target {master_target.name}", master_target.host, master_target.port, tls=False))
    for extra in site.endpoints:
        found.append(Endpoint(extra.name, extra.host, extra.port, tls=extra.tls))
    unique: dict[tuple[str, int], Endpoint] = {}
    for endpoint in found:
        # One probe per host:port; a TLS expectation wins over a plain one.
        known = unique.get((endpoint.host, endpoint.port))
        if known is None or (endpoint.tls and not known.tls):
            unique[(endpoint.host, endpoint.port)] = endpoint
    return list(unique.values())


def _certificate_facts(der: bytes) -> dict[str, Any]:
    certificate = x509.load_der_x509_certificate(der)
    return {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "not_before": certificate.not_valid_before_utc.isoformat(),
        "not_after": certificate.not_valid_after_utc.isoformat(),
        "sha256": fingerprint(der, "sha256"),
        "self_signed": certificate.subject == certificate.issuer,
    }


def probe(endpoint: Endpoint, timeout: float) -> dict[str, Any]:
    """Connect (and handshake) within `timeout` seconds in all; the outcome tells refused, timeout and TLS apart."""
    started = time.monotonic()
    facts: dict[str, Any] = {"role": endpoint.role, "host": endpoint.host, "port": endpoint.port, "tls": endpoint.tls}

    def done(outcome: str, reason: str, **more: Any) -> dict[str, Any]:
        return {**facts, "outcome": outcome, "reason": reason, "elapsed_ms": round((time.monotonic() - started) * 1000), **more}

    where = f"{endpoint.host}:{endpoint.port}"
    try:
        connection = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    except ConnectionRefusedError:
        return done("refused", f"{where} refused the connection: nothing listens there, or a firewall rejects it")
    except (socket.timeout, TimeoutError):
        return done("timeout", f"{where} did not accept a connection within {timeout:g} s: a firewall drops it, or the host is down")
    except socket.gaierror as exc:
        return done("unresolved", f"{endpoint.host} does not resolve: {exc.strerror}")
    except OSError as exc:
        return done("unreachable", f"{where} cannot be reached: {exc.strerror or exc}")
    with connection:
        if not endpoint.tls:
            return done("open", f"{where} accepts connections")
        # Read the certificate, do not judge trust (ASR's are self-signed), and load no CA store: it costs ~0.2 s.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection.settimeout(max(0.01, timeout - (time.monotonic() - started)))
        try:
            with context.wrap_socket(connection, server_hostname=None if is_ip_address(endpoint.host) else endpoint.host) as tls:
                der = tls.getpeercert(binary_form=True)
                version = tls.version()
        except (socket.timeout, TimeoutError):
            return done("tls_timeout", f"{where} accepted the connection but did not complete a TLS handshake within {timeout:g} s")
        except ssl.SSLError as exc:
            return done("tls_error", f"{where} accepted the connection but the TLS handshake failed: {exc.reason or exc}")
        except OSError as exc:  # a peer that resets instead of speaking TLS
            return done("tls_error", f"{where} accepted the connection but the TLS handshake failed: {exc.strerror or exc}")
    if not der:
        return done("tls_error", f"{where} completed a TLS handshake without presenting a certificate")
    return done("open", f"{where} completed a {version} handshake", certificate=_certificate_facts(der))


def probe_all(endpoints: Sequence[Endpoint], timeout: float) -> list[dict[str, Any]]:
    """Every probe at once: the whole run takes about one timeout, not one per endpoint."""
    if not endpoints:
        return []
    with ThreadPoolExecutor(max_workers=min(len(endpoints), MAX_PARALLEL_PROBES), thread_name_prefix="probe") as pool:
        return list(pool.map(lambda endpoint: probe(endpoint, timeout), endpoints))


class TcpSource:
    name = "tcp"

    def __init__(self, site: Site):
        self._site = site

    def collect(self) -> dict[str, Any]:
        timeout = self._site.policy.probe_timeout_seconds
        return {"timeout_seconds": timeout, "endpoints": probe_all(site_endpoints(self._site), timeout)}
