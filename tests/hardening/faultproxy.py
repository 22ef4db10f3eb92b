"""A TCP relay on loopback in front of a lab server, which breaks the way networks and servers break.

    with FaultProxy(("127.0.0.1", sim.port), after_bytes=5000, fault="reset") as proxy:
        ... point the client at proxy.port ...

It relays every connection untouched until the server has sent `after_bytes` bytes in all (counted over every
connection, so a sweep of `after_bytes` lands the fault in the TLS handshake, the login, a retrieval or the logout),
then trips: the connection that crossed the line and every later one
- "reset": are reset (RST), as when a firewall or a crashed server drops the session;
- "close": are closed cleanly (FIN), as when the server process exits;
- "stall": go silent and stay open, as when the server hangs; only the client's timeout ends them;
- "drip": get the server's TLS records one at a time, `drip_seconds` apart (a congested link, a failing middlebox):
  every read ends inside its timeout, which bounds one record, not an answer; only a deadline on the whole
  collection ends them. Records, not bytes: a TLS socket's timeout covers a whole record;
- "relay": keep being relayed; with `on_trip` (e.g. killing the server) the client meets whatever that leaves.
TLS passes through untouched: the client still verifies the real server's certificate.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable
from typing import Literal

Fault = Literal["reset", "close", "stall", "drip", "relay"]
CHUNK = 16384


class FaultProxy:
    host = "127.0.0.1"

    def __init__(self, upstream: tuple[str, int], *, after_bytes: int | None = None, fault: Fault = "reset",
                 on_trip: Callable[[], None] | None = None, drip_seconds: float = 0.5):
        if not upstream[0].startswith("127."):
            raise ValueError("the fault proxy relays to loopback servers only")
        self.upstream = upstream
        self.after_bytes = after_bytes  # None: never trips (measures a clean run)
        self.fault = fault
        self.drip_seconds = drip_seconds
        self.bytes_down = 0  # server -> client, over every connection
        self.connections = 0
        self.tripped = threading.Event()
        self._on_trip = on_trip
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((self.host, 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept_loop, name=f"fault-proxy-{self.port}", daemon=True).start()

    # -- lifecycle ----------------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._closed.set()
        for sock in [self._listener, *self._sockets]:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- relaying -----------------------------------------------------------------------------------------------------
    def _keep(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
        return sock

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self._keep(client)
            with self._lock:
                self.connections += 1
            if self.tripped.is_set() and self.fault not in ("relay", "drip"):
                self._break(client, None)
                continue
            try:
                server = self._keep(socket.create_connection(self.upstream, timeout=5))
            except OSError:
                self._break(client, None)  # the server is gone (killed by on_trip): so is this connection
                continue
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, downstream: bool) -> None:
        """Copy one direction until either side ends; the server's bytes count towards the trip."""
        client, server = (sink, source) if downstream else (source, sink)
        records = _TlsRecords()
        while True:
            try:
                data = source.recv(CHUNK)
            except OSError:
                data = b""
            if self.tripped.is_set() and self.fault in ("reset", "close", "stall"):
                self._break(client, server)
                return
            if not data:
                _shutdown_write(sink)
                return
            if downstream and self.fault == "drip":
                for record in records.feed(data):  # forwarded whole, so the trip falls between two records
                    if self.tripped.is_set() and self._closed.wait(self.drip_seconds):
                        return
                    if not self._send(sink, record):
                        return
                    if self._count(record)[1]:
                        self._trip()
                continue
            if downstream:
                data, trips = self._count(data)
                if trips:
                    self._send(sink, data)
                    self._trip()
                    if self.fault != "relay":
                        self._break(client, server)
                        return
                    continue
            if not self._send(sink, data):
                return

    def _count(self, data: bytes) -> tuple[bytes, bool]:
        """The part of `data` still within the budget, and whether this chunk reaches it."""
        with self._lock:
            if self.after_bytes is None or self.tripped.is_set():
                self.bytes_down += len(data)
                return data, False
            allowed = max(0, self.after_bytes - self.bytes_down)
            if len(data) < allowed:
                self.bytes_down += len(data)
                return data, False
            self.bytes_down += allowed
            return data[:allowed], True

    def _trip(self) -> None:
        with self._lock:
            first = not self.tripped.is_set()
            self.tripped.set()
        if first and self._on_trip is not None:
            self._on_trip()

    def _break(self, client: socket.socket, server: socket.socket | None) -> None:
        if self.fault == "stall":
            return  # both stay open and silent until close()
        for sock in (client, server):
            if sock is None:
                continue
            try:
                if self.fault == "reset" and sock is client:
                    # Linger 0: the last close sends RST instead of FIN. SHUT_RD wakes the other pump, blocked in recv on
                    # this socket (its recv holds the socket open, so close() alone would send nothing).
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.shutdown(socket.SHUT_RD)
                else:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    @staticmethod
    def _send(sink: socket.socket, data: bytes) -> bool:
        try:
            sink.sendall(data)
            return True
        except OSError:
            return False


def _shutdown_write(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class _TlsRecords:
    """Cuts a TLS byte stream into whole records (each begins with a 5-byte header whose last two bytes give its
    length), keeping an incomplete one until the rest arrives."""

    HEADER = 5

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        records = []
        while len(self._buffer) >= self.HEADER:
            size = self.HEADER + int.from_bytes(self._buffer[3:5], "big")
            if len(self._buffer) < size:
                break
            records.append(self._buffer[:size])
            self._buffer = self._buffer[size:]
        return records
