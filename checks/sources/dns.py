"""The DNS source: every host name the site file names, asked of each on-prem and each Azure-side DNS server at once,
then the reverse (PTR) record of every address the on-prem side gave.

Each answer is a fact (ok, nxdomain, no_answer, timeout, error); a server that does not answer never fails the source.
IP literals are recorded as such and not resolved. Names vCenter knows but the site file does not are not asked for:
this source stands on the site file alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.resolver
import dns.reversename

from failback.checks.model import Experience
from failback.checks.site import Site, is_ip_address, normalise_host, parse_server
from failback.checks.sources.errors import SourceError

MAX_PARALLEL_QUERIES = 64
SYSTEM_RESOLVER = "system resolver"


@dataclass(frozen=True)
class DnsServer:
    label: str  # "10.0.0.2:53", or the system resolver when the site names no on-prem server
    address: str | None
    port: int = 53

    @classmethod
    def parse(cls, text: str) -> DnsServer:
        address, port = parse_server(text)
        return cls(f"{address}:{port}" if ":" not in address else f"[{address}]:{port}", address, port)

    def resolver(self, timeout: float) -> dns.resolver.Resolver:
        if self.address is None:
            try:
                resolver = dns.resolver.Resolver()
            except dns.resolver.NoResolverConfiguration:
                raise SourceError("config", "[dns] onprem_servers is empty and this machine has no resolver configuration") from None
        else:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [self.address]
            resolver.port = self.port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        return resolver


def site_names(site: Site) -> dict[str, list[str]]:
    """Every host name the failback depends on, with what it is to the failback."""
    roles: dict[str, list[str]] = {}

    def add(name: str | None, role: str) -> None:
        if name:
            roles.setdefault(normalise_host(name), []).append(role)

    add(site.vcenter.host, "vCenter")
    for host in site.vcenter.target_hosts:
        add(host, "ESXi host")
    for vm in site.vms:
        add(vm.target_host, f"ESXi host (target of {vm.name})")
    if site.config_server is not None:
        add(site.config_server.host, "configuration server" if site.experience is Experience.CLASSIC else "replication appliance")
    if site.process_server is not None:
        add(site.process_server.host, "process server")
    for master_target in site.master_targets:
        add(master_target.host, f"master target {master_target.name}")
    for endpoint in site.endpoints:
        add(endpoint.host, endpoint.name)
    return roles


def _ask(server: DnsServer, query: str, rdtype: str, timeout: float) -> dict[str, Any]:
    try:
        answer = server.resolver(timeout).resolve(query, rdtype, search=server.address is None)
    except dns.resolver.NXDOMAIN:
        return {"status": "nxdomain", "reason": f"{server.label}: {query} does not exist (NXDOMAIN)"}
    except dns.resolver.NoAnswer:
        return {"status": "no_answer", "reason": f"{server.label}: {query} exists but has no {rdtype} record"}
    except dns.exception.Timeout:
        return {"status": "timeout", "reason": f"{server.label} did not answer within {timeout:g} s"}
    except dns.resolver.NoNameservers as exc:
        return {"status": "error", "reason": f"{server.label} failed to answer for {query}: {exc}"}
    except dns.exception.DNSException as exc:
        return {"status": "error", "reason": f"{server.label}: {query}: {exc}"}
    return {"status": "ok", "records": sorted(record.to_text() for record in answer)}


def forward(server: DnsServer, name: str, timeout: float) -> dict[str, Any]:
    """The addresses of a name: its A records, else its AAAA records."""
    answer = _ask(server, name, "A", timeout)
    if answer["status"] == "no_answer":
        answer = _ask(server, name, "AAAA", timeout)
    if answer["status"] == "ok":
        return {"status": "ok", "addresses": answer.pop("records")}
    return {**answer, "addresses": []}


def reverse(server: DnsServer, address: str, timeout: float) -> dict[str, Any]:
    answer = _ask(server, dns.reversename.from_address(address).to_text(), "PTR", timeout)
    names = [normalise_host(record) for record in answer.pop("records", [])]
    return {**answer, "names": names}


class DnsSource:
    name = "dns"

    def __init__(self, site: Site):
        self._site = site
        settings = site.dns
        self._timeout = settings.timeout_seconds
        self._views: dict[str, list[DnsServer]] = {
            "onprem": [DnsServer.parse(s) for s in settings.onprem_servers] or [DnsServer(SYSTEM_RESOLVER, None)],
            "azure": [DnsServer.parse(s) for s in settings.azure_servers],
        }

    def collect(self) -> dict[str, Any]:
        names = site_names(self._site)
        resolvable = [name for name in names if not is_ip_address(name)]
        questions = [(view, server, name) for name in resolvable for view, servers in self._views.items() for server in servers]
        answers = self._concurrently(lambda q: forward(q[1], q[2], self._timeout), questions)

        facts: dict[str, Any] = {}
        for name, roles in names.items():
            facts[name] = {"roles": roles, "literal": name not in resolvable, "answers": {view: {} for view in self._views if self._views[view]}}
        for (view, server, name), answer in zip(questions, answers):
            facts[name]["answers"][view][server.label] = answer

        # Reverse lookups on the first on-prem server, for every address the on-prem side gave.
        reverse_server = self._views["onprem"][0]
        pairs = sorted({
            (name, address)
            for name in resolvable
            for answer in facts[name]["answers"]["onprem"].values()
            for address in answer["addresses"]
        })
        for (name, address), answer in zip(pairs, self._concurrently(lambda p: reverse(reverse_server, p[1], self._timeout), pairs)):
            facts[name].setdefault("reverse", {})[address] = answer
        return {
            "timeout_seconds": self._timeout,
            "servers": {view: [server.label for server in servers] for view, servers in self._views.items()},
            "reverse_server": reverse_server.label,
            "names": facts,
        }

    @staticmethod
    def _concurrently(ask: Any, items: Iterable[Any]) -> list[dict[str, Any]]:
        items = list(items)
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=min(len(items), MAX_PARALLEL_QUERIES), thread_name_prefix="dns") as pool:
            return list(pool.map(ask, items))
