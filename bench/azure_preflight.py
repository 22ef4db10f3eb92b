"""Benchmark: the Azure preflight against the same calls made one after another, on the fake ARM with network latency.

The fake serves, from a child process (so its CPU is not the client's), a modernized vault of N protected items
replicating back (recovery points to read), their running Azure VMs with NICs behind one NSG, C VPN connections with BGP
on two gateways, and E ExpressRoute circuits; every answer waits `--latency` seconds first, as a real round trip does.

For each size it times, in one run of this process (modules imported and the token endpoint warmed up beforehand):
- the preflight as failback runs it: every call on the source's thread pool ([azure] max_parallel_calls);
- the same calls sequentially (one worker: the naive way);
- the slowest single chain of dependent calls: the preflight of one VM, no plan, one connection and circuit, whose time
  is sign-in -> list items (all pages) -> its VM -> its resource group's NICs -> their effective rules (an LRO).

    .venv/bin/python bench/azure_preflight.py --items 200 1000 --connections 10 --circuits 2 --latency 0.05
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# -- the fake, in a child process -------------------------------------------------------------------------------------------
def _world(items: int, connections: int, circuits: int) -> Any:
    from failback.lab.fake_arm.scenarios import ASR_GROUP, build_world
    from failback.lab.fake_arm.state import BgpPeer, Circuit, LocalNetworkGateway, Peering, Tunnel, VirtualNetworkGateway, VpnConnection

    world = build_world("modernized", vm_names=[f"vm{index:04}" for index in range(items)], stage="replicating_back")
    group = world.group(ASR_GROUP)
    group.connections.clear()
    group.circuits.clear()
    gateways = [group.add(VirtualNetworkGateway(f"vpngw-{index}")) for index in range(2)]
    for index in range(connections):
        peer = f"10.{index + 100}.255.1"
        gateway = gateways[index % len(gateways)]
        gateway.bgp_peers.append(BgpPeer(peer))
        local = group.add(LocalNetworkGateway(f"lng-{index:02}", address_prefixes=[f"10.{index + 100}.0.0/16"], bgp_peering_address=peer))
        group.add(VpnConnection(f"cn-{index:02}", gateway.name, local.name, tunnels=[Tunnel("tunnel-0"), Tunnel("tunnel-1")], enable_bgp=True))
    for index in range(circuits):
        group.add(Circuit(f"er-{index:02}", peerings=[Peering("AzurePrivatePeering")]))
    return world


def _serve(pipe: Any, items: int, connections: int, circuits: int, latency: float) -> None:
    from failback.lab.fake_arm import FakeArm

    world = _world(items, connections, circuits)
    arm = FakeArm(world, latency=latency).start()  # ARM's request limits off: the client's own cost is measured here
    pipe.send({"url": arm.url, "ca_file": arm.ca_file, "tenant": world.tenant_id, "subscription": world.subscription_id})
    while (command := pipe.recv()) != "stop":
        if command == "count":
            pipe.send(len(arm.requests))
            arm.requests.clear()
    arm.stop()


# -- the client side ---------------------------------------------------------------------------------------------------------
def _site_text(fake: dict, vms: list[str], connections: list[str], circuits: list[str], workers: int, plan: bool) -> str:
    from failback.lab.fake_arm.scenarios import ASR_GROUP, CLIENT_ID, PLAN, VAULT

    def array(values: list[str]) -> str:
        return "[" + ", ".join(f'"{value}"' for value in values) + "]"

    lines = [
        'name = "bench"', 'experience = "modernized"',
        "[vcenter]", 'host = "vcenter.lab.test"', 'user = "administrator@vsphere.local"', 'datacenter = "DC1"',
        "[azure]",
        f'subscription_id = "{fake["subscription"]}"', f'resource_group = "{ASR_GROUP}"', f'vault = "{VAULT}"',
        f'tenant_id = "{fake["tenant"]}"', f'client_id = "{CLIENT_ID}"', 'client_secret_env = "FAILBACK_LAB_AZURE_SECRET"',
        f'arm_endpoint = "{fake["url"]}"', f'authority = "{fake["url"]}"', f'ca_file = "{fake["ca_file"]}"',
        f"vpn_connections = {array(connections)}", f"expressroute_circuits = {array(circuits)}",
        *([f'recovery_plan = "{PLAN}"'] if plan else []),
        f"max_parallel_calls = {workers}", "arm_reads_per_second = 100000", "retry_total = 0", "poll_interval_seconds = 0", "timeout_seconds = 30",
        "[config_server]", 'host = "asr-appliance.lab.test"', 'ip = "10.0.0.6"',
    ]
    lines += [line for vm in vms for line in ("[[vms]]", f'name = "{vm}"', 'datastore = "datastore1"')]
    return "\n".join(lines) + "\n"


def _preflight(site_text: str, directory: Path) -> tuple[float, Any]:
    from failback.checks.sitefile import load_site
    from failback.checks.sources.azure import AzureSource
    from failback.lab.fake_arm.scenarios import LAB_SECRET

    path = directory / "site.toml"
    path.write_text(site_text)
    site = load_site(path)
    began = time.perf_counter()
    facts = AzureSource(site, LAB_SECRET).collect()
    return time.perf_counter() - began, facts


def _measure(size: int, args: argparse.Namespace, directory: Path) -> dict:
    """One fake of `size` items in a child process; the chain and the parallel preflight alternated `repeat` times (a
    loaded machine slows both alike), the medians kept; the sequential run once, up to --sequential-up-to items."""
    context = multiprocessing.get_context("spawn")
    pipe, child_pipe = context.Pipe()
    child = context.Process(target=_serve, args=(child_pipe, size, args.connections, args.circuits, args.latency), daemon=True)
    child.start()
    fake = pipe.recv()
    vms = [f"vm{index:04}" for index in range(size)]
    connections = [f"cn-{index:02}" for index in range(args.connections)]
    circuits = [f"er-{index:02}" for index in range(args.circuits)]
    one_chain = _site_text(fake, vms[:1], connections[:1], circuits[:1], args.workers, plan=False)

    def measured(label: str, text: str) -> tuple[float, int]:
        seconds, facts = _preflight(text, directory)
        pipe.send("count")
        calls = pipe.recv()
        assert not facts["nic_group_errors"] and all("error" not in c for c in facts["vpn_connections"].values()), label
        return seconds, calls

    measured("warm-up", one_chain)
    chains, parallels = [], []
    for _ in range(args.repeat):
        chains.append(measured("chain", one_chain))
        parallels.append(measured("parallel", _site_text(fake, vms, connections, circuits, args.workers, plan=True)))
    row = {"items": size, "chain": statistics.median(s for s, _ in chains), "chain_calls": chains[0][1],
           "parallel": statistics.median(s for s, _ in parallels), "calls": parallels[0][1], "sequential": None}
    if size <= args.sequential_up_to:
        row["sequential"] = measured("sequential", _site_text(fake, vms, connections, circuits, 1, plan=True))[0]
    pipe.send("stop")
    child.join(timeout=10)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--circuits", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds every answer of the fake waits")
    parser.add_argument("--workers", type=int, default=32, help="[azure] max_parallel_calls of the parallel run")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the chain and of the preflight per size; medians shown")
    parser.add_argument("--sequential-up-to", type=int, default=200, help="also time the calls one after another up to this size")
    args = parser.parse_args()

    import failback.checks.sources.azure  # noqa: F401  (imports are not what is measured)
    import azure.mgmt.compute, azure.mgmt.network, azure.mgmt.recoveryservicessiterecovery  # noqa: E401, F401

    print(f"fake ARM (child process): N protected items replicating back, their Azure VMs, {args.connections} VPN connections, "
          f"{args.circuits} circuits, {args.latency * 1000:.0f} ms per call; {args.workers} parallel calls")
    print(f"{'items':>6} | {'slowest chain':>13} {'calls':>6} | {'preflight':>9} {'calls':>6} | {'ratio':>6} (goal 2x) | sequential")
    with tempfile.TemporaryDirectory(prefix="bench-azure-") as directory:
        for size in args.items:
            row = _measure(size, args, Path(directory))
            sequential = (f"{row['sequential']:.1f} s, {row['sequential'] / row['parallel']:.0f}x the preflight (goal: 5x)"
                          if row["sequential"] is not None else "-")
            print(f"{size:>6} | {row['chain']:>11.2f} s {row['chain_calls']:>6} | {row['parallel']:>7.2f} s {row['calls']:>6} | "
                  f"{row['parallel'] / row['chain']:>5.2f}x           | {sequential}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
