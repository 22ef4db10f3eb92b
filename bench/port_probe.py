"""Benchmark: probing 50 loopback endpoints, 5 of which never answer, with a 2 s timeout.

The concurrent probe (what network.ports uses) against the naive sequential one, in the same run, on the same
endpoints. Goal: the concurrent wall time stays under 2.5 s, about one timeout.

    .venv/bin/python bench/port_probe.py [--endpoints 50] [--silent 5] [--timeout 2]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

import trustme

from failback.checks.sources.tcp import Endpoint, probe, probe_all
from failback.lab.endpoints import BlackholePort, OpenPort, TlsPort, certificate


def _lab(total: int, silent: int) -> tuple[list, list[Endpoint]]:
    """Answering endpoints (one in five TLS, like the configuration servers among data ports) and dropped ones."""
    ca = trustme.CA()
    tls_certificate = certificate(ca, "cs01.lab.test")
    ports: list = []
    endpoints: list[Endpoint] = []
    for index in range(total - silent):
        tls = index % 5 == 0
        port = TlsPort(tls_certificate) if tls else OpenPort()
        ports.append(port)
        endpoints.append(Endpoint(f"answering {index}", port.host, port.port, tls))
    for index in range(silent):
        port = BlackholePort()
        ports.append(port)
        endpoints.append(Endpoint(f"dropped {index}", port.host, port.port, False))
    return ports, endpoints


def _timed(run) -> tuple[float, Counter]:
    started = time.perf_counter()
    outcomes = Counter(result["outcome"] for result in run())
    return time.perf_counter() - started, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=50)
    parser.add_argument("--silent", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()

    ports, endpoints = _lab(args.endpoints, args.silent)
    try:
        concurrent, concurrent_outcomes = _timed(lambda: probe_all(endpoints, args.timeout))
        sequential, sequential_outcomes = _timed(lambda: [probe(endpoint, args.timeout) for endpoint in endpoints])
    finally:
        for port in ports:
            port.close()

    assert concurrent_outcomes == sequential_outcomes, (concurrent_outcomes, sequential_outcomes)
    print(f"{len(endpoints)} endpoints on loopback, {args.silent} never answer, timeout {args.timeout:g} s")
    print(f"outcomes:   {dict(sorted(concurrent_outcomes.items()))}")
    print(f"concurrent: {concurrent:6.2f} s   (goal < {args.timeout + 0.5:g} s: {'met' if concurrent < args.timeout + 0.5 else 'MISSED'})")
    print(f"sequential: {sequential:6.2f} s")
    print(f"ratio:      {sequential / concurrent:6.1f}x faster concurrently")


if __name__ == "__main__":
    main()
