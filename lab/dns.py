"""Real DNS servers on loopback: Debian's dnsmasq serving a small zone, and a server that never answers.

    zone = Zone(local_domains=("lab.test",))
    zone.host("cs01.lab.test", "127.0.0.5")               # A and the matching PTR
    zone.forward_only("mt01.lab.test", "127.0.0.7")       # A without PTR...
    zone.pointer("127.0.0.7", "elsewhere.lab.test")       # ...and a PTR that disagrees
    with Dnsmasq(zone).start() as server:
        server.address                                    # "127.0.0.1:40053", as [dns] servers take it

Names under a local domain that the zone does not hold answer NXDOMAIN, like an authoritative server's zone.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import time
from dataclasses import dataclass, field

import dns.exception
import dns.resolver

from failback.lab.process import ChildProcess, LabProcessError, free_port

DNSMASQ = "dnsmasq"
INSTALL_HINT = "apt-get install -y dnsmasq"


@dataclass
class Zone:
    local_domains: tuple[str, ...] = ("lab.test",)
    hosts: list[tuple[str, str]] = field(default_factory=list)
    forward: list[tuple[str, str]] = field(default_factory=list)
    pointers: list[tuple[str, str]] = field(default_factory=list)

    def host(self, name: str, address: str) -> Zone:
        self.hosts.append((name, address))
        return self

    def forward_only(self, name: str, address: str) -> Zone:
        self.forward.append((name, address))
        return self

    def pointer(self, address: str, name: str) -> Zone:
        self.pointers.append((address, name))
        return self

    def arguments(self) -> list[str]:
        arguments = [f"--local=/{domain}/" for domain in self.local_domains]
        arguments.append("--local=/127.in-addr.arpa/")  # unknown loopback PTRs: NXDOMAIN, not REFUSED
        arguments += [f"--host-record={name},{address}" for name, address in self.hosts]
        arguments += [f"--address=/{name}/{address}" for name, address in self.forward]
        arguments += [f"--ptr-record={ipaddress.ip_address(address).reverse_pointer},{name}" for address, name in self.pointers]
        return arguments


class Dnsmasq:
    def __init__(self, zone: Zone):
        self.zone = zone
        self.port = 0
        self._process: ChildProcess | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> Dnsmasq:
        if shutil.which(DNSMASQ) is None:
            raise FileNotFoundError(f"{DNSMASQ} is missing: {INSTALL_HINT}")
        for _ in range(3):  # the free port may be taken between choosing and binding it
            self.port = free_port()
            argv = [
                DNSMASQ, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--log-facility=-",
                "--pid-file=", f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                *self.zone.arguments(),
            ]
            self._process = ChildProcess(f"dnsmasq:{self.port}", argv)
            try:
                self._process.start(ready=r"started, version")
            except LabProcessError:
                if "Address already in use" in (self._process.output_tail() or ""):
                    continue
                raise
            self._wait_until_answering(timeout)
            return self
        raise LabProcessError("dnsmasq found no free port")

    def _wait_until_answering(self, timeout: float) -> None:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers, resolver.port, resolver.lifetime = ["127.0.0.1"], self.port, 0.5
        deadline = time.monotonic() + timeout
        while True:
            try:
                resolver.resolve(f"ready-probe.{self.zone.local_domains[0]}", "A")
                return
            except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
                return
            except dns.exception.DNSException:
                if time.monotonic() > deadline:
                    raise LabProcessError(f"dnsmasq on {self.address} does not answer:\n{self._process.output_tail() if self._process else ''}") from None

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None

    def __enter__(self) -> Dnsmasq:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class SilentDnsServer:
    """A UDP socket on loopback that receives queries and never answers: the DNS server behind a dropped path."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> SilentDnsServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
