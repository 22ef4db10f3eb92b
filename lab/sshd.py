"""A real OpenSSH server on loopback: Debian's /usr/sbin/sshd with a throwaway host key and one authorized user key.

    keys = SshKeys.create(directory)
    with Sshd(directory / "sshd", keys).start() as server:
        server.known_hosts_line()   # "[127.0.0.1]:40123 ssh-ed25519 AAAA..."

The server runs as the current user (root in CI) and accepts only that user, with the key, on 127.0.0.1. A
`force_command` replaces whatever the client asks to run (the lab master target uses it to run commands inside its
scenario); `sftp_start_dir` makes SFTP paths without a leading slash relative to that folder, as Windows OpenSSH
does with D:/... paths; `allow_forwarding` makes it a bastion for ProxyJump.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from failback.lab.process import ChildProcess, free_port

SSHD = "/usr/sbin/sshd"
INSTALL_HINT = "apt-get install -y openssh-server"


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(data)


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_line: str  # "ssh-ed25519 AAAA..."

    @classmethod
    def create(cls, path: Path, passphrase: str | None = None) -> KeyPair:
        key = ed25519.Ed25519PrivateKey.generate()
        encryption = serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
        _write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption))
        public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        path.with_suffix(".pub").write_text(public + "\n")
        return cls(path, public)


@dataclass(frozen=True)
class SshKeys:
    """A host key for the servers and the user keys they authorize."""

    host: KeyPair
    user: KeyPair
    authorized_keys: Path

    @classmethod
    def create(cls, directory: Path) -> SshKeys:
        host = KeyPair.create(directory / "ssh_host_ed25519_key")
        user = KeyPair.create(directory / "id_ed25519")
        authorized = directory / "authorized_keys"
        authorized.write_text(user.public_line + "\n")
        return cls(host, user, authorized)

    def authorize(self, key: KeyPair) -> None:
        """Let another user key in as well (sshd reads the file at every login)."""
        with self.authorized_keys.open("a") as handle:
            handle.write(key.public_line + "\n")


class Sshd:
    def __init__(
        self,
        directory: Path,
        keys: SshKeys,
        *,
        force_command: str | None = None,
        sftp_start_dir: Path | None = None,
        allow_forwarding: bool = False,
        host_key: KeyPair | None = None,
    ):
        self.directory = directory
        self.keys = keys
        self.host_key = host_key or keys.host
        self.user = getpass.getuser()
        self.host = "127.0.0.1"
        self.port = 0
        self._force_command = force_command
        self._sftp_start_dir = sftp_start_dir
        self._allow_forwarding = allow_forwarding
        self._process: ChildProcess | None = None

    def _config(self) -> str:
        sftp = f"internal-sftp -d {self._sftp_start_dir}" if self._sftp_start_dir else "internal-sftp"
        lines = [
            f"ListenAddress {self.host}",
            f"HostKey {self.host_key.private_path}",
            "PidFile none",
            f"AuthorizedKeysFile {self.keys.authorized_keys}",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            f"AllowUsers {self.user}",
            f"AllowTcpForwarding {'yes' if self._allow_forwarding else 'no'}",
            "X11Forwarding no",
            "PrintMotd no",
            "MaxSessions 32",
            "MaxStartups 64",
            f"Subsystem sftp {sftp}",
        ]
        if self._force_command:
            lines.append(f"ForceCommand {self._force_command}")
        return "\n".join(lines) + "\n"

    def start(self) -> Sshd:
        if not os.path.exists(SSHD):
            raise FileNotFoundError(f"{SSHD} is missing: {INSTALL_HINT}")
        # sshd refuses to start without its privilege separation directory, which only its init script creates.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "sshd_config"
        config.write_text(self._config())
        self.port = free_port()
        self._process = ChildProcess(f"sshd:{self.port}", [SSHD, "-D", "-e", "-f", str(config), "-p", str(self.port)])
        self._process.start(ready=r"Server listening on 127\.0\.0\.1 port")
        return self

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> Sshd:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def known_hosts_line(self, key: KeyPair | None = None) -> str:
        """The known_hosts entry of this server (or of another key claiming to be it)."""
        return f"[{self.host}]:{self.port} {(key or self.host_key).public_line}"

    def output_tail(self) -> str:
        return self._process.output_tail() if self._process else ""
