"""The fake ARM and token endpoint: HTTPS on 127.0.0.1 with a throwaway trustme CA, for the real Azure SDK clients.

    with FakeArm(world).start() as arm:
        credential = ClientSecretCredential(world.tenant_id, client_id, secret, authority=arm.url,
                                            disable_instance_discovery=True, connection_verify=arm.ca_file)
        client = NetworkManagementClient(credential, world.subscription_id, base_url=arm.url,
                                         credential_scopes=[arm.url + "/.default"], connection_verify=arm.ca_file)

Every request sleeps `latency` seconds first (a real network's round trip), then meets the faults; ARM routes want a
bearer token the token endpoint issued and an api-version, as ARM does, and meet ARM's request limits when a test turns
them on (`throttle`, throttling.py). `requests` records what was asked and answered, for tests to count retries.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import trustme

# Importing the API modules registers their routes.
from failback.lab.fake_arm import asr_actions, asr_api, compute_api, identity, network_api, operations  # noqa: F401
from failback.lab.fake_arm.asr_actions import AsrActions
from failback.lab.fake_arm.faults import Fault, Faults
from failback.lab.fake_arm.operations import Operations
from failback.lab.fake_arm.routes import Request, Response, dispatch
from failback.lab.fake_arm.state import World
from failback.lab.fake_arm.throttling import Throttle

_CA: trustme.CA | None = None


def shared_ca() -> trustme.CA:
    """One throwaway CA per process: every fake's certificate chains to it, and keys are made once."""
    global _CA
    if _CA is None:
        _CA = trustme.CA()
    return _CA


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    status: int
    at: float  # time.monotonic() when answered
    api_version: str | None = None


class FakeArm:
    def __init__(self, world: World | None = None, *, latency: float = 0.0, host: str = "127.0.0.1"):
        if not host.startswith("127."):
            raise ValueError(f"{host}: the fake ARM lives on loopback addresses only")
        self.world = world or World()
        self.latency = latency
        self.faults = Faults()
        self.operations = Operations()
        self.actions = AsrActions()  # ASR's reprotect, failover and commit, as jobs
        self.tokens: dict[str, str] = {}  # bearer token -> the client id it was issued to
        # ARM's request limits, off unless a test turns them on (Throttle() has ARM's): the lab's runs poll jobs without
        # pause, thousands of reads a minute that ARM would spread over its refill.
        self.throttle = Throttle({})
        self.page_size = 100  # items per page of a list, as ASR pages
        self.requests: list[Logged] = []
        self._requests_lock = threading.Lock()
        self._host = host
        self._server: ThreadingHTTPServer | None = None
        self._port: int | None = None  # kept after stop(): answers still in flight name their URLs
        self._directory = tempfile.TemporaryDirectory(prefix="fake-arm-")
        self.ca_file = str(Path(self._directory.name) / "fake-arm-ca.pem")
        shared_ca().cert_pem.write_to_path(self.ca_file)

    # -- lifecycle -------------------------------------------------------------------------------------------------------
    def start(self) -> FakeArm:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        shared_ca().issue_cert(self._host, "localhost").configure_cert(context)
        server = _Server((self._host, 0), _Handler)
        server.arm = self
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        self._server = server
        self._port = server.server_address[1]
        threading.Thread(target=server.serve_forever, name="fake-arm", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._directory.cleanup()

    def __enter__(self) -> FakeArm:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._port is not None, "start() the fake first"
        return self._port

    @property
    def url(self) -> str:
        """The ARM endpoint and the authority: one server plays both."""
        return f"https://{self._host}:{self.port}"

    # -- faults ----------------------------------------------------------------------------------------------------------
    def fail(self, path: str, status: int, *, times: int | None = None, method: str | None = None,
             retry_after: str | None = None, code: str | None = None, message: str | None = None) -> Fault:
        """Answer `status` to requests whose path matches the regex `path` (the first `times` of them)."""
        return self.faults.add(Fault(path, status, method, times, retry_after=retry_after, code=code, message=message))

    def slow(self, path: str, seconds: float, *, times: int | None = None, method: str | None = None) -> Fault:
        """Delay the answers to requests whose path matches, on top of the latency."""
        return self.faults.add(Fault(path, None, method, times, delay_seconds=seconds))

    def calls(self, path: str, method: str | None = None) -> list[Logged]:
        """The requests answered so far whose path contains `path` (case-insensitive)."""
        with self._requests_lock:
            return [r for r in self.requests if path.lower() in r.path.lower() and (method is None or r.method == method)]

    # -- answering -----------------------------------------------------------------------------------------------------
    def answer(self, method: str, path: str, query: dict[str, str], body: Any, authorization: str | None) -> Response:
        fault = self.faults.take(method, path)
        delay = self.latency + (fault.delay_seconds if fault else 0.0)
        if delay:
            time.sleep(delay)
        response = fault.response(path) if fault else None
        if response is None:
            if not identity.is_identity_path(path) and not self._authorized(authorization):
                response = Response(401, {"error": {"code": "AuthenticationFailed",
                                                    "message": "Authentication failed. The 'Authorization' header is missing or invalid."}})
            elif not identity.is_identity_path(path) and not query.get("api-version"):
                response = Response(400, {"error": {"code": "MissingApiVersionParameter",
                                                    "message": "The api-version query parameter (?api-version=) is required for all requests."}})
            else:
                throttled, limit_headers = self.throttle.take(method, path, self._identity(authorization))
                if throttled is not None:
                    response = throttled
                else:
                    with self.world.lock:
                        response = dispatch(self, Request(method, path, query, body, self.url))
                    response = Response(response.status, response.body, {**response.headers, **limit_headers})
        with self._requests_lock:
            self.requests.append(Logged(method, path, response.status, time.monotonic(), query.get("api-version")))
        return response

    def _authorized(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and token in self.tokens

    def _identity(self, authorization: str | None) -> str:
        return self.tokens.get((authorization or "").partition(" ")[2], "")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the benchmark opens many connections at once
    arm: FakeArm

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, TimeoutError)):
            return  # a client that distrusts our certificate or hangs up is what some tests do
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the SDK reuses its TLS connections
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without this, Nagle holds the body for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection.do_handshake()  # in this connection's thread, not the accepting one

    def _serve(self) -> None:
        split = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(split.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        body: Any = raw
        if raw and "json" in (self.headers.get("Content-Type") or ""):
            body = json.loads(raw)
        response = self.server.arm.answer(self.command, unquote(split.path), query, body, self.headers.get("Authorization"))
        payload = json.dumps(response.body).encode() if response.body is not None else b""
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # the request log is `FakeArm.requests`
        pass
