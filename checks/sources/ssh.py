"""One SSH connection to a host the site names: host key verified against known_hosts, key or agent auth, an optional
bastion (ProxyJump), a timeout on every step, and commands quoted with shlex.

Failures are raised as SshFailure with a kind and a message safe to show: callers record them as facts about that host.
A key's passphrase comes in the `secrets` mapping (environment variable name -> value) and never leaves this module.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import shlex
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko

from failback.checks.site import ConfigServer, MasterTarget

log = logging.getLogger(__name__)


# paramiko's words for a server that did not answer in time, where it raises the same type as for a refusal.
_AUTH_TIMEOUT = "Authentication timeout."  # the login
_OPEN_TIMEOUT = "Timeout opening channel."  # a channel, for a command or SFTP
# What paramiko's recv_exit_status() gives when the channel closed without the command's exit status.
_NO_EXIT_STATUS = -1


def _known_hosts_name(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


@dataclass(frozen=True)
class SshTarget:
    """How to reach one host over SSH; names the environment variable of a passphrase, never holds one."""

    host: str
    port: int
    user: str
    key_file: str | None  # None: the SSH agent
    passphrase_env: str | None
    known_hosts: str
    jump_host: str | None  # [user@]host[:port]
    verify_host_keys: bool
    timeout: float

    def describe(self) -> dict[str, Any]:
        """What the facts may say about the access: where, as whom, through which bastion, how the host is trusted."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "auth": f"key {self.key_file}" if self.key_file else "ssh agent",
            "jump_host": self.jump_host,
            "known_hosts": self.known_hosts,
            "known_hosts_entry": _known_hosts_name(self.host, self.port),
            "host_keys_verified": self.verify_host_keys,
        }


def master_target_access(master_target: MasterTarget) -> SshTarget:
    return SshTarget(
        host=master_target.host or "",
        port=master_target.ssh_port,
        user=master_target.ssh_user,
        key_file=master_target.ssh_key,
        passphrase_env=master_target.ssh_key_passphrase_env,
        known_hosts=master_target.known_hosts,
        jump_host=master_target.jump_host,
        verify_host_keys=not master_target.insecure_host_keys,
        timeout=master_target.ssh_timeout_seconds,
    )


def backup_access(config_server: ConfigServer) -> SshTarget:
    return SshTarget(
        host=config_server.backup_ssh_host or config_server.host,
        port=config_server.backup_ssh_port,
        user=config_server.backup_ssh_user or "",
        key_file=config_server.backup_ssh_key,
        passphrase_env=config_server.backup_ssh_key_passphrase_env,
        known_hosts=config_server.backup_ssh_known_hosts,
        jump_host=config_server.backup_ssh_jump_host,
        verify_host_keys=not config_server.backup_ssh_insecure_host_keys,
        timeout=config_server.backup_timeout_seconds,
    )


class SshFailure(Exception):
    """The host could not be reached, trusted, logged into, or did not answer in time. The message has no secret."""

    def __init__(self, kind: str, reason: str, evidence: dict[str, Any] | None = None):
        super().__init__(reason)
        # host_key_unknown, host_key_changed, auth, refused, timeout, unreachable, config, protocol
        self.kind = kind
        self.reason = reason
        self.evidence = evidence or {}

    def as_fact(self) -> dict[str, Any]:
        return {"ok": False, "kind": self.kind, "reason": self.reason, **self.evidence}


@dataclass(frozen=True)
class CommandResult:
    command: str
    exit_status: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA-256 fingerprint, as `ssh-keygen -lf` and the first-connection prompt show it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


class _HostKeyUnknown(Exception):
    def __init__(self, key: paramiko.PKey):
        self.key = key


class _RefuseUnknownHostKey(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise _HostKeyUnknown(key)


class _AcceptUnverifiedHostKey(paramiko.MissingHostKeyPolicy):
    """insecure_host_keys = true: accept whatever key the host shows, say so loudly, remember nothing."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        log.warning("%s: host key NOT verified (insecure_host_keys = true); it presents %s %s", hostname, key.get_name(), fingerprint(key))


def parse_jump_host(jump_host: str, default_user: str) -> tuple[str, str, int]:
    """'[user@]host[:port]' -> (user, host, port); ValueError when the port is not one."""
    user, _, rest = jump_host.strip().rpartition("@")
    host, port = rest, "22"
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port = tail[1:] if tail.startswith(":") else "22"
    elif rest.count(":") == 1:
        host, _, port = rest.partition(":")
    if not host:
        raise ValueError(f"jump_host {jump_host!r} names no host")
    if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"jump_host {jump_host!r}: the port must be a number from 1 to 65535")
    return user or default_user, host, int(port)


class SshSession:
    """An open SSH connection (through the bastion, when one is set). Use as a context manager."""

    def __init__(self, target: SshTarget, secrets: Mapping[str, str]):
        self.target = target
        self._secrets = secrets
        self._clients: list[paramiko.SSHClient] = []
        self.host_key: dict[str, Any] = {}

    def __enter__(self) -> SshSession:
        try:
            self._open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for client in reversed(self._clients):
            client.close()
        self._clients.clear()

    # -- connecting -----------------------------------------------------------------------------------------------
    def _open(self) -> None:
        target = self.target
        if not target.host:
            raise SshFailure("config", "no host to connect to: set its address in the site file")
        if not target.user:
            raise SshFailure("config", f"no SSH user for {target.host}")
        pkey = self._load_key()
        sock = None
        if target.jump_host:
            try:
                user, host, port = parse_jump_host(target.jump_host, target.user)
            except ValueError as exc:
                raise SshFailure("config", str(exc)) from None
            bastion = self._connect(host, port, user, pkey, None, f"bastion {host}:{port}")
            try:
                sock = bastion.get_transport().open_channel(
                    "direct-tcpip", (target.host, target.port), ("127.0.0.1", 0), timeout=target.timeout
                )
            except (paramiko.SSHException, OSError) as exc:
                raise SshFailure("unreachable", f"bastion {host}:{port} could not reach {target.host}:{target.port}: {exc}") from None
        client = self._connect(target.host, target.port, target.user, pkey, sock, f"{target.host}:{target.port}")
        server_key = client.get_transport().get_remote_server_key()
        self.host_key = {"type": server_key.get_name(), "sha256": fingerprint(server_key), "verified": target.verify_host_keys}

    def _load_key(self) -> paramiko.PKey | None:
        target = self.target
        if not target.key_file:
            return None
        path = Path(target.key_file).expanduser()
        passphrase = self._secrets.get(target.passphrase_env) if target.passphrase_env else None
        if target.passphrase_env and passphrase is None:
            raise SshFailure("config", f"environment variable {target.passphrase_env} (the passphrase of {path}) is not set")
        try:
            # paramiko hands the passphrase to cryptography, which wants bytes.
            return paramiko.PKey.from_path(path, password=passphrase.encode() if passphrase is not None else None)
        except FileNotFoundError:
            raise SshFailure("config", f"SSH key {path} does not exist") from None
        except paramiko.PasswordRequiredException:
            raise SshFailure("config", f"SSH key {path} is encrypted: name the environment variable holding its passphrase") from None
        except (paramiko.SSHException, ValueError) as exc:
            # Wrong passphrase and unreadable keys end here; the message is paramiko's and carries no secret.
            raise SshFailure("config", f"SSH key {path} cannot be loaded (wrong passphrase or not a private key): {exc}") from None
        except OSError as exc:
            raise SshFailure("config", f"SSH key {path} cannot be read: {exc.strerror}") from None

    def _connect(self, host: str, port: int, user: str, pkey: paramiko.PKey | None, sock: Any, label: str) -> paramiko.SSHClient:
        target = self.target
        client = paramiko.SSHClient()
        self._clients.append(client)
        if target.verify_host_keys:
            known_hosts = Path(target.known_hosts).expanduser()
            if known_hosts.exists():
                client.load_system_host_keys(str(known_hosts))  # never written back: trust is the administrator's call
            client.set_missing_host_key_policy(_RefuseUnknownHostKey())
        else:
            client.set_missing_host_key_policy(_AcceptUnverifiedHostKey())
        try:
            client.connect(
                host,
                port=port,
                username=user,
                pkey=pkey,
                allow_agent=pkey is None,
                look_for_keys=False,
                sock=sock,
                timeout=target.timeout,
                banner_timeout=target.timeout,
                auth_timeout=target.timeout,
                channel_timeout=target.timeout,
            )
        except _HostKeyUnknown as exc:
            shown = fingerprint(exc.key)
            raise SshFailure(
                "host_key_unknown",
                f"REFUSED: {label} is not in {target.known_hosts}; it presents {exc.key.get_name()} {shown}. Confirm that "
                f"fingerprint on the host's console (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then add it: "
                f"ssh-keyscan -p {port} {host} >> {target.known_hosts}",
                {"host_key_type": exc.key.get_name(), "host_key_sha256": shown, "known_hosts_entry": _known_hosts_name(host, port)},
            ) from None
        except paramiko.BadHostKeyException as exc:
            raise SshFailure(
                "host_key_changed",
                f"REFUSED: the host key of {label} CHANGED: it presents {exc.key.get_name()} {fingerprint(exc.key)}, "
                f"{target.known_hosts} expects {fingerprint(exc.expected_key)}. Someone may be intercepting the connection, "
                f"or the host was rebuilt: verify on its console before replacing the known_hosts entry",
                {
                    "host_key_type": exc.key.get_name(),
                    "host_key_sha256": fingerprint(exc.key),
                    "expected_sha256": fingerprint(exc.expected_key),
                    "known_hosts_entry": _known_hosts_name(host, port),
                },
            ) from None
        except paramiko.AuthenticationException as exc:
            # A server that stops answering or hangs up mid-login has refused nothing: paramiko says both the same way.
            if str(exc) == _AUTH_TIMEOUT:
                raise SshFailure("timeout", f"{label} did not finish the login within {target.timeout:g} s") from None
            if not _connected(client):
                raise SshFailure("unreachable", f"{label} closed the connection during the login") from None
            how = f"the key {target.key_file}" if pkey else "the keys of the SSH agent (no ssh_key set)"
            raise SshFailure("auth", f"{label} refused the login of {user} with {how}") from None
        except paramiko.ssh_exception.NoValidConnectionsError as exc:
            # paramiko tries each address of the host and reports them together: refused everywhere is "refused".
            if all(isinstance(error, ConnectionRefusedError) for error in exc.errors.values()):
                raise SshFailure("refused", f"{label} refused the connection: no SSH server listens there") from None
            raise SshFailure("unreachable", f"{label} cannot be reached: {exc}") from None
        except ConnectionRefusedError:
            raise SshFailure("refused", f"{label} refused the connection: no SSH server listens there") from None
        except (socket.timeout, TimeoutError):
            raise SshFailure("timeout", f"{label} did not answer within {target.timeout:g} s") from None
        except socket.gaierror as exc:
            raise SshFailure("unreachable", f"{host} does not resolve: {exc.strerror}") from None
        except paramiko.SSHException as exc:
            if _negotiation_stalled(client, exc):
                raise SshFailure("timeout", f"{label} did not finish the SSH negotiation within {target.timeout:g} s") from None
            # Something answered, but not an SSH server that finished talking.
            raise SshFailure("protocol", f"{label}: SSH negotiation failed: {exc}") from None
        except EOFError:
            raise SshFailure("unreachable", f"{label} closed the connection during the SSH negotiation") from None
        except OSError as exc:
            raise SshFailure("unreachable", f"{label} cannot be reached: {exc.strerror or exc}") from None
        return client

    # -- using the connection -------------------------------------------------------------------------------------
    @property
    def _client(self) -> paramiko.SSHClient:
        return self._clients[-1]

    def run(self, argv: Sequence[str], timeout: float | None = None) -> CommandResult:
        """Run one command, each argument quoted; raises SshFailure(kind='timeout') when it stalls longer than `timeout`
        (default: the target's timeout; a package installation needs longer than a query)."""
        command = shlex.join(argv)
        timeout = self.target.timeout if timeout is None else timeout
        try:
            channel = _open_channel(self._client.get_transport(), self.target.timeout)
            channel.settimeout(timeout)
            _request_within(self.target.timeout, channel, lambda: channel.exec_command(command))
            stdout = channel.makefile("rb").read()
            stderr = channel.makefile_stderr("rb").read()
            if not channel.status_event.wait(timeout):
                raise TimeoutError
            status = channel.recv_exit_status()
            channel.close()
        except (socket.timeout, TimeoutError):
            raise SshFailure("timeout", f"`{command}` on {self.target.host} did not finish within {timeout:g} s") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise SshFailure("unreachable", f"`{command}` on {self.target.host}: the connection failed{_detail(exc)}") from None
        if status == _NO_EXIT_STATUS:
            # The channel closed without an exit status: the connection dropped (or the command was killed) mid-way,
            # so its output is partial. Judged as an answer, it would turn a network fault into a wrong verdict.
            raise SshFailure("unreachable", f"`{command}` on {self.target.host}: the connection closed before the command finished")
        return CommandResult(command, status, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))

    def sftp(self) -> paramiko.SFTPClient:
        """An SFTP client whose every step has the target's timeout (paramiko's open_sftp() waits without one)."""
        timeout = self.target.timeout
        transport = self._client.get_transport()
        try:
            channel = _open_channel(transport, timeout)
            channel.settimeout(timeout)
            _request_within(timeout, channel, lambda: channel.invoke_subsystem("sftp"))
            return paramiko.SFTPClient(channel)
        except (socket.timeout, TimeoutError):
            raise SshFailure("timeout", f"{self.target.host} did not start its SFTP subsystem within {timeout:g} s") from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            if not transport.is_active():
                raise SshFailure("unreachable", f"the connection to {self.target.host} dropped while opening SFTP{_detail(exc)}") from None
            raise SshFailure("protocol", f"{self.target.host} offers no SFTP subsystem: {exc}") from None


def _open_channel(transport: paramiko.Transport, timeout: float) -> paramiko.Channel:
    try:
        return transport.open_session(timeout=timeout)
    except paramiko.SSHException as exc:
        if str(exc) == _OPEN_TIMEOUT:  # the server did not answer: a timeout, not a refusal
            raise TimeoutError from None
        raise


def _request_within(timeout: float, channel: paramiko.Channel, request: Callable[[], None]) -> None:
    """Make a channel request (exec, subsystem) that paramiko waits for without any timeout: a server that stalls
    there would hang the run. Past `timeout`, the channel is closed, which ends the wait, and TimeoutError raised."""
    stalled = threading.Event()

    def give_up() -> None:
        stalled.set()
        try:
            channel.close()
        except (paramiko.SSHException, OSError, EOFError):
            pass  # the connection is already gone: the wait has ended anyway

    watchdog = threading.Timer(timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        request()
    except paramiko.SSHException:
        if not stalled.is_set():
            raise
    finally:
        watchdog.cancel()
    if stalled.is_set():
        raise TimeoutError


def _detail(exc: BaseException) -> str:
    """': what paramiko said', or nothing: its EOFError says nothing."""
    return f": {exc}" if str(exc) else ""


def _connected(client: paramiko.SSHClient) -> bool:
    transport = client.get_transport()
    return transport is not None and transport.is_active()


def _negotiation_stalled(client: paramiko.SSHClient, exc: paramiko.SSHException) -> bool:
    """A server that stopped answering, not a protocol error. paramiko's banner timeout keeps the timeout as its context;
    a key exchange that outlasts its timeout is given up silently, and fails later with "No existing session" while the
    connection is still up."""
    if isinstance(exc.__context__, (socket.timeout, TimeoutError)):
        return True
    return _connected(client) and not client.get_transport().initial_kex_done
