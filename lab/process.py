"""A lab server run as a child process: started, watched until it says it is ready, drained, and always stopped."""

from __future__ import annotations

import collections
import ctypes
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence


def _die_with_parent() -> None:
    """In the child, before exec: the kernel sends SIGTERM when the thread that started it dies, even by SIGKILL."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class LabProcessError(RuntimeError):
    """A lab server could not start; the message carries the end of its output."""


def free_port() -> int:
    """A loopback port nothing listens on right now (TCP and UDP), for servers that cannot pick their own."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise LabProcessError("no free loopback port found")


class ChildProcess:
    """One server process; its merged output is read continuously (a full pipe would block it) and kept for errors."""

    def __init__(self, name: str, argv: Sequence[str]):
        self.name = name
        self.argv = list(argv)
        self._process: subprocess.Popen[str] | None = None
        self._lines: collections.deque[str] = collections.deque(maxlen=200)
        self._new_line = threading.Condition()

    def start(self, ready: str, timeout: float = 10.0) -> ChildProcess:
        """Start it and wait until a line of its output matches `ready` (a regular expression)."""
        self._process = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                         preexec_fn=_die_with_parent)
        threading.Thread(target=self._drain, name=f"{self.name}-output", daemon=True).start()
        pattern = re.compile(ready)
        deadline = time.monotonic() + timeout
        with self._new_line:
            while not any(pattern.search(line) for line in self._lines):
                if self._process.poll() is not None:
                    message = f"{self.name} exited with {self._process.returncode}:\n{self.output_tail()}"
                    self.stop()
                    raise LabProcessError(message)
                if time.monotonic() > deadline:
                    self.stop()
                    raise LabProcessError(f"{self.name} was not ready within {timeout:g} s:\n{self.output_tail()}")
                self._new_line.wait(0.05)
        return self

    def _drain(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            with self._new_line:
                self._lines.append(line.rstrip("\n"))
                self._new_line.notify_all()

    def output_tail(self) -> str:
        return "\n".join(self._lines)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
        self._process = None
