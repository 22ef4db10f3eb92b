"""Benchmark: the full vCenter preflight against a naive per-VM pyvmomi loop, on the simulator with many VMs.

For each inventory size it starts the lab vCenter, then in separate child processes (so peak memory is each one's own)
runs (a) failback's vCenter source and every vCenter check, and (b) the naive way: walk every VM and read the same
properties through pyvmomi's lazy attributes, one round trip per property per VM. It prints wall time, SOAP requests
and peak RSS for both, and the ratio.

    .venv/bin/python bench/vcenter_preflight.py --vms 1000 5000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Every light property for every VM, and the detailed ones for the VMs the site names: what the source reads.
LIGHT = ("name", "runtime.host", "runtime.powerState", "config.template")
DETAIL = ("snapshot", "config.extraConfig", "config.hardware.device", "config.guestId", "guest.guestFamily",
          "guest.toolsRunningStatus", "guest.net", "guest.ipStack")


def _count_soap_requests() -> list[int]:
    from pyVmomi import SoapAdapter

    counter = [0]
    original = SoapAdapter.SoapStubAdapter.InvokeMethod

    def counting(self, *args, **kwargs):
        counter[0] += 1
        return original(self, *args, **kwargs)

    SoapAdapter.SoapStubAdapter.InvokeMethod = counting
    return counter


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_failback(site_path: str) -> dict:
    counter = _count_soap_requests()
    from failback.checks.sitefile import load_site
    from failback.checks.sources.vcenter import VCenterSource
    from failback.runner.engine import Selection, collect, evaluate

    site = load_site(Path(site_path))
    began = time.perf_counter()
    facts = collect(site, {"vcenter": VCenterSource(site, os.environ["FAILBACK_LAB_VCENTER_PASSWORD"]).collect})
    report = evaluate(facts, Selection())
    seconds = time.perf_counter() - began
    assert not facts.failures, facts.failures
    return {"seconds": seconds, "requests": counter[0], "peak_rss_mb": _peak_rss_mb(), "results": len(report.results)}


def run_naive(site_path: str) -> dict:
    counter = _count_soap_requests()
    import ssl

    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim

    from failback.checks.sitefile import load_site

    site = load_site(Path(site_path))
    settings = site.vcenter
    wanted = {vm.name for vm in site.vms} | {mt.name for mt in site.master_targets}
    began = time.perf_counter()
    si = SmartConnect(host=settings.host, port=settings.port, user=settings.user, pwd=os.environ["FAILBACK_LAB_VCENTER_PASSWORD"],
                      sslContext=ssl.create_default_context(cafile=settings.ca_file))
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    collector = content.propertyCollector
    read = 0
    for vm in view.view:
        light = {path: _lazy(vm, path) for path in LIGHT}
        read += len(light)
        if light["name"] in wanted:
            read += len({path: _lazy(vm, path) for path in DETAIL if path != "snapshot"})
            # A lazy read of an unset `snapshot` makes the simulator drop the connection: ask for it per VM instead.
            read += len(_one_vm_property(collector, vm, "snapshot"))
    for host in content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True).view:
        _ = (host.name, host.summary.config.product, host.summary.hardware.memorySize, host.runtime.connectionState)
    Disconnect(si)
    seconds = time.perf_counter() - began
    return {"seconds": seconds, "requests": counter[0], "peak_rss_mb": _peak_rss_mb(), "properties": read}


def _one_vm_property(collector, vm, path: str) -> list:
    from pyVmomi import vim, vmodl

    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=vm)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=[path])],
    )
    return collector.RetrieveContents([spec])


def _lazy(obj, path: str):
    value = obj
    for part in path.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _child(mode: str, site_path: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", mode, site_path], capture_output=True, text=True, env=env, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(total_vms: int) -> dict:
    from failback.lab.site import build_lab_site
    from failback.lab.vcenter_admin import VCenterAdmin
    from failback.lab.vcsim import VCSim

    # VMs are made per resource pool: one cluster pool and one standalone-host pool.
    sim = VCSim().start(clusters=1, hosts_per_cluster=2, standalone_hosts=1, datastores=1, vms=total_vms // 2,
                        username="administrator@vsphere.local", password="bench-Secret-1", timeout=120)
    try:
        with VCenterAdmin(sim, timeout=120) as admin, tempfile.TemporaryDirectory() as directory:
            lab = build_lab_site(sim, admin, Path(directory), "classic")
            env = lab.env()
            return {"vms": total_vms, "failback": _child("failback", str(lab.site_path), env), "naive": _child("naive", str(lab.site_path), env)}
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--child", nargs=2, metavar=("MODE", "SITE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, site_path = args.child
        print(json.dumps(run_failback(site_path) if mode == "failback" else run_naive(site_path)))
        return
    print(f"{'VMs':>6} | {'failback s':>10} {'requests':>8} {'peak MB':>8} | {'naive s':>8} {'requests':>8} {'peak MB':>8} | speed-up")
    for total in args.vms:
        row = measure(total)
        ours, naive = row["failback"], row["naive"]
        print(f"{total:>6} | {ours['seconds']:>10.2f} {ours['requests']:>8} {ours['peak_rss_mb']:>8.0f} | "
              f"{naive['seconds']:>8.2f} {naive['requests']:>8} {naive['peak_rss_mb']:>8.0f} | {naive['seconds'] / ours['seconds']:>6.1f}x",
              flush=True)


if __name__ == "__main__":
    main()
