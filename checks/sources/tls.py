"""Looking at a server's certificate before trusting it: reachability, thumbprint, and whether our trust accepts it."""

from __future__ import annotations

import hashlib
import socket
import ssl
from dataclasses import dataclass

from failback.checks.sources.errors import SourceError


def fingerprint(der_certificate: bytes, algorithm: str = "sha256") -> str:
    digest = hashlib.new(algorithm, der_certificate).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


@dataclass(frozen=True)
class PeerCertificate:
    der: bytes

    @property
    def sha256(self) -> str:
        return fingerprint(self.der, "sha256")

    @property
    def sha1(self) -> str:
        return fingerprint(self.der, "sha1")

    def matches(self, pinned: str) -> bool:
        wanted = pinned.replace(":", "").upper()
        return wanted in (self.sha256.replace(":", ""), self.sha1.replace(":", ""))


def fetch_certificate(host: str, port: int, timeout: float) -> PeerCertificate:
    """Handshake without trusting, only to read the certificate; raises SourceError telling refused, timeout, not TLS apart."""
    # A bare client context: it only reads the certificate, so loading the system trust store would be wasted time.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except ConnectionRefusedError:
        raise SourceError("unreachable", f"{host}:{port} refused the connection") from None
    except (socket.timeout, TimeoutError):
        raise SourceError("timeout", f"{host}:{port} did not answer within {timeout:g} s") from None
    except socket.gaierror as exc:
        raise SourceError("unreachable", f"{host} does not resolve: {exc.strerror}") from None
    except ssl.SSLError as exc:
        raise SourceError("tls", f"{host}:{port} did not complete a TLS handshake: {exc.reason or exc}") from None
    except OSError as exc:
        raise SourceError("unreachable", f"{host}:{port} cannot be reached: {exc.strerror or exc}") from None
    if not der:
        raise SourceError("tls", f"{host}:{port} presented no certificate")
    return PeerCertificate(der)


def verifying_context(ca_file: str | None) -> ssl.SSLContext:
    """The system trust store, or only the given CA bundle; hostname checked."""
    try:
        return ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise SourceError("config", f"cannot load ca_file {ca_file}: {getattr(exc, 'strerror', None) or exc}") from None


def verify_trust(host: str, port: int, context: ssl.SSLContext, certificate: PeerCertificate, timeout: float) -> None:
    """Raises SourceError(kind='untrusted') naming the SHA-256 thumbprint when the context does not trust the server."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                return
    except ssl.SSLCertVerificationError as exc:
        raise SourceError(
            "untrusted",
            f"the certificate of {host}:{port} is not trusted ({exc.verify_message}); its SHA-256 thumbprint is "
            f"{certificate.sha256}: if your vCenter administrator confirms it, pin it with thumbprint = "
            f"\"{certificate.sha256}\" or give the issuing CA in ca_file",
            evidence={"thumbprint_sha256": certificate.sha256},
        ) from None
    except (socket.timeout, TimeoutError):
        raise SourceError("timeout", f"{host}:{port} did not answer within {timeout:g} s") from None
    except (ssl.SSLError, OSError) as exc:
        raise SourceError("tls", f"TLS handshake with {host}:{port} failed: {exc}") from None
