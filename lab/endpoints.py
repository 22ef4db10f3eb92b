"""Loopback TCP endpoints that behave like the ports a failback depends on, and like the ways they break.

- OpenPort: accepts and closes (a plain data port that is open).
- TlsPort: completes a TLS handshake with a given certificate (the configuration server on 443).
- SilentPort: accepts the connection and never says a word (a TLS handshake times out).
- BlackholePort: never completes the TCP handshake: its backlog is full, so the kernel drops the SYNs (a firewall that drops).
- ClosedPort: bound but not listening, so a connection is refused (a stopped service).

All of them pick their own port on a loopback address (127.0.0.1 unless told: any of 127/8 works), run until closed,
and can be used as context managers.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading

import trustme


class _Port:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if not host.startswith("127."):
            raise ValueError(f"{host}: lab ports live on loopback addresses only")
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((host, port))
        self.host = host
        self.port = self._socket.getsockname()[1]

    def close(self) -> None:
        self._socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ClosedPort(_Port):
    """Bound so nothing else takes the port, never listening: connecting is refused."""


class SilentPort(_Port):
    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self._socket.listen(128)  # the kernel completes handshakes into the backlog; nobody ever reads


class BlackholePort(_Port):
    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self._socket.listen(0)
        # With a backlog of 0 the kernel queues one connection; hold it, and every later SYN is dropped.
        self._held = socket.create_connection((self.host, self.port), timeout=5)

    def close(self) -> None:
        self._held.close()
        super().close()


class _AcceptingPort(_Port):
    """Accepts in a thread and hands each connection to `_serve` on a thread of its own."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self._socket.listen(128)
        self._closed = threading.Event()
        threading.Thread(target=self._accept_loop, name=f"lab-port-{self.port}", daemon=True).start()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            threading.Thread(target=self._serve_and_close, args=(connection,), daemon=True).start()

    def _serve_and_close(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(5)
            self._serve(connection)
        except OSError:
            pass  # a client that leaves mid-handshake is the client's business
        finally:
            connection.close()

    def _serve(self, connection: socket.socket) -> None:
        pass

    def close(self) -> None:
        self._closed.set()
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # wakes the accept loop
        except OSError:
            pass
        super().close()


class OpenPort(_AcceptingPort):
    """Give `port` to open one a ClosedPort held: the service started, or the firewall opened."""


class TlsPort(_AcceptingPort):
    def __init__(self, certificate: trustme.LeafCert, host: str = "127.0.0.1"):
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(self._context)
        super().__init__(host)

    def _serve(self, connection: socket.socket) -> None:
        with self._context.wrap_socket(connection, server_side=True) as tls:
            tls.recv(1)  # until the client closes


def certificate(ca: trustme.CA, *names: str, valid_days: float = 365, expired: bool = False) -> trustme.LeafCert:
    """A certificate for `names` that expires in `valid_days` days (or expired that long ago)."""
    now = dt.datetime.now(dt.timezone.utc)
    if expired:
        not_before, not_after = now - dt.timedelta(days=valid_days + 30), now - dt.timedelta(days=valid_days)
    else:
        not_before, not_after = now - dt.timedelta(days=1), now + dt.timedelta(days=valid_days)
    return ca.issue_cert(*names, common_name=names[0], not_before=not_before, not_after=not_after)
