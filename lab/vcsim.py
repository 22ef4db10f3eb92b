"""The lab vCenter: VMware's govmomi simulator with failback's extensions (lab/vcsim/*.go).

The Go program is built once per source version into a cache directory and started as a child
process serving HTTPS on 127.0.0.1 with a certificate from a throwaway trustme CA.

    with VCSim().start(vms=4) as sim:
        si = SmartConnect(host=sim.host, port=sim.port, user=sim.username, pwd=sim.password,
                          sslContext=sim.ssl_context())
"""

from __future__ import annotations

import collections
import fcntl
import hashlib
import json
import os
import queue
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, IO

import trustme

GO_SOURCE_DIR = Path(__file__).with_name("vcsim")
GOVMOMI_GOPATH = Path("/usr/share/gocode")
GOVMOMI_SIMULATOR = GOVMOMI_GOPATH / "src/github.com/vmware/govmomi/simulator"
INSTALL_HINT = "apt-get install -y golang-go golang-github-vmware-govmomi-dev"
BUILD_TIMEOUT_S = 600.0
LAB_TIMEOUT_S = 10.0
# Without -username the simulator accepts any non-empty user and password.
DEFAULT_USERNAME = "user"
DEFAULT_PASSWORD = "pass"


class VCSimError(RuntimeError):
    """The simulator could not be built, started or driven."""


def cache_dir() -> Path:
    """Where built binaries live: $FAILBACK_CACHE, else ~/.cache/failback."""
    configured = os.environ.get("FAILBACK_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "failback"


def source_digest() -> str:
    """sha256 over the Go sources (names and contents), so any edit makes a new binary."""
    digest = hashlib.sha256()
    for path in sorted(GO_SOURCE_DIR.glob("*.go")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_vcsim() -> Path:
    """Return the simulator binary for the current sources, building it on first use.

    Safe to call from concurrent processes: one builds under a file lock, the others wait.
    """
    cache = cache_dir()
    binary = cache / f"vcsim-{source_digest()[:16]}"
    if binary.exists():
        return binary

    go = shutil.which("go")
    if go is None:
        raise VCSimError(f"the Go toolchain is missing (no `go` on PATH); install it with: {INSTALL_HINT}")
    if not GOVMOMI_SIMULATOR.is_dir():
        raise VCSimError(f"govmomi's simulator is missing ({GOVMOMI_SIMULATOR}); install it with: {INSTALL_HINT}")

    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / "vcsim-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists():  # another process built it while we waited
            return binary
        partial = binary.with_name(binary.name + ".partial")
        env = {
            **os.environ,
            # GOPATH mode against Debian's packaged sources; nothing is fetched.
            "GO111MODULE": "off",
            "GOPATH": f"{cache / 'gopath'}{os.pathsep}{GOVMOMI_GOPATH}",
            "GOCACHE": str(cache / "go-build"),
            "GOFLAGS": "",
        }
        try:
            result = subprocess.run(
                [go, "build", "-trimpath", "-o", str(partial), "."],
                cwd=GO_SOURCE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=BUILD_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise VCSimError(f"building the simulator took over {BUILD_TIMEOUT_S:.0f} s") from exc
        if result.returncode != 0:
            raise VCSimError(f"building the simulator failed:\n{result.stderr.strip()}\n(needs: {INSTALL_HINT})")
        partial.replace(binary)
    return binary


class _OutputDrain:
    """Reads a child's pipe to the end in a daemon thread (a full pipe would block the child),
    keeping the last lines for error messages and handing out the first line."""

    def __init__(self, name: str, stream: IO[str], keep: int = 50) -> None:
        self.recent: collections.deque[str] = collections.deque(maxlen=keep)
        self.first_line: queue.Queue[str | None] = queue.Queue()  # the line, or None at end of output
        self._thread = threading.Thread(target=self._run, args=(stream,), name=f"vcsim-{name}", daemon=True)
        self._thread.start()

    def _run(self, stream: IO[str]) -> None:
        for line in stream:
            if not self.recent:
                self.first_line.put(line.rstrip("\n"))
            self.recent.append(line.rstrip("\n"))
        self.first_line.put(None)

    def tail(self) -> str:
        return "\n".join(self.recent)


class VCSim:
    """One running lab vCenter. Use start() (or the context manager) and stop()."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._stdout: _OutputDrain | None = None
        self._stderr: _OutputDrain | None = None
        self.work_dir: Path | None = None
        self.url = ""
        self.lab_url = ""
        self.port = 0
        self.ca_file = ""
        self.thumbprint_sha256 = ""
        self.username = DEFAULT_USERNAME
        self.password = DEFAULT_PASSWORD
        self.startup_seconds = 0.0

    def start(
        self,
        *,
        datacenters: int = 1,
        clusters: int = 1,
        hosts_per_cluster: int = 3,
        standalone_hosts: int = 1,
        datastores: int = 1,
        vms: int = 2,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        esx: bool = False,
    ) -> VCSim:
        """Start the simulator and wait (at most `timeout` seconds) until it serves.

        Counts follow govmomi's model: clusters and standalone hosts per datacenter, VMs per
        resource pool (each cluster and standalone host has one). With `username`, only that
        user and `password` may log in; without it any non-empty user and password may. With
        `esx` it is one standalone ESXi host (its ha-datacenter; the datacenter, cluster and host
        counts do not apply), as a site registers a host without vCenter.
        """
        if self._process is not None:
            raise VCSimError("this simulator is already running")
        binary = build_vcsim()
        began = time.monotonic()
        self.work_dir = Path(tempfile.mkdtemp(prefix="failback-vcsim-"))
        cert_file, key_file = self._write_certificates(self.work_dir)
        args = [
            str(binary),
            f"-datacenter={datacenters}",
            f"-cluster={clusters}",
            f"-cluster-host={hosts_per_cluster}",
            f"-host={standalone_hosts}",
            f"-datastore={datastores}",
            f"-vm={vms}",
            *(["-esx"] if esx else []),
            "-port=0",
            f"-tls-cert={cert_file}",
            f"-tls-key={key_file}",
        ]
        env = {**os.environ}
        if username is not None:
            args.append(f"-username={username}")
            env["VCSIM_PASSWORD"] = password or ""  # kept out of the process list
            self.username, self.password = username, password or ""
        # The datastores' backing directories go to TMPDIR: keep them in our work dir so that
        # stop() removes them even if the simulator is killed.
        temp = self.work_dir / "tmp"
        temp.mkdir()
        self._process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,  # the simulator exits when this closes, also if we die
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**env, "TMPDIR": str(temp)},
        )
        self._stdout = _OutputDrain("stdout", self._process.stdout)
        self._stderr = _OutputDrain("stderr", self._process.stderr)
        try:
            announce = self._read_announcement(timeout)
        except BaseException:
            self.stop()
            raise
        self.url, self.lab_url = announce["url"], announce["lab"]
        self.port = urllib.parse.urlsplit(self.url).port
        self.startup_seconds = time.monotonic() - began
        return self

    def _write_certificates(self, directory: Path) -> tuple[Path, Path]:
        ca = trustme.CA()
        server = ca.issue_cert(self.host, "localhost")
        ca_file, cert_file, key_file = directory / "ca.pem", directory / "server.pem", directory / "server.key"
        ca.cert_pem.write_to_path(str(ca_file))
        server.private_key_pem.write_to_path(str(key_file))
        cert_file.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
        der = ssl.PEM_cert_to_DER_cert(server.cert_chain_pems[0].bytes().decode())
        self.thumbprint_sha256 = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
        self.ca_file = str(ca_file)
        return cert_file, key_file

    def _read_announcement(self, timeout: float) -> dict[str, str]:
        try:
            line = self._stdout.first_line.get(timeout=timeout)
        except queue.Empty:
            raise VCSimError(f"the simulator did not start within {timeout} s:\n{self.output_tail()}") from None
        if line is None:
            self._process.wait(timeout=5)
            raise VCSimError(
                f"the simulator exited with code {self._process.returncode} before serving:\n{self.output_tail()}"
            )
        try:
            return json.loads(line)
        except json.JSONDecodeError:
            raise VCSimError(f"unexpected first line from the simulator: {line!r}") from None

    def output_tail(self) -> str:
        """The simulator's last lines of output, for error messages."""
        parts = [drain.tail() for drain in (self._stdout, self._stderr) if drain is not None]
        return "\n".join(part for part in parts if part)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the simulator: SIGTERM, then SIGKILL after `timeout` seconds. Idempotent."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin:
                process.stdin.close()
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that verifies the simulator's certificate against the lab CA."""
        return ssl.create_default_context(cafile=self.ca_file)

    def lab_post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST to the /lab admin API, e.g. lab_post("vm", {"moref": "vm-42", ...})."""
        url = f"{self.lab_url}/{path.strip('/')}"
        request = urllib.request.Request(
            url,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=LAB_TIMEOUT_S, context=self.ssl_context()) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace").strip()
            raise VCSimError(f"POST {url} answered {exc.code}: {detail}") from None

    def __enter__(self) -> VCSim:
        if self._process is None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


if __name__ == "__main__":  # `python -m failback.lab.vcsim` builds ahead of time (e.g. in CI) and prints the binary
    print(build_vcsim())
