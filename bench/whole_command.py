"""Benchmark: the whole `failback check` command against one bulk retrieval of the same VM properties, as a user runs it.

For each inventory size it starts the lab vCenter with N VMs split over a cluster pool and a standalone host's pool,
shapes it as the lab's healthy site, writes a site file naming all N VMs in [[vms]], then runs, each in a fresh process
(so start-up, imports, login and peak memory are each one's own):

- the command: `failback check --site site.toml --only <vCenter checks> --format json --output r.json`;
- the floor: a Python process that logs in and makes one bulk RetrievePropertiesEx (continuations followed) of every
  VM's name, snapshot, runtime.host, config.extraConfig, guest.net, datastore and summary.config.vmPathName, typed
  through pyVmomi as any tool would;
- the lean floor: the same retrieval read from the XML as the command's vCenter source reads it (vcenter_bulk), which
  is what the command's own reading costs at the least.

It prints wall and CPU time, the ratio command / floor and command / lean floor, SOAP requests and peak RSS, and how
the command's time and memory grow per 1,000 VMs (with the memory this growth predicts at 40,000 VMs, vCenter's
maximum).

    .venv/bin/python bench/whole_command.py --vms 1000 5000 20000
    .venv/bin/python bench/whole_command.py --vms 5000 --profile 30   # also the command's top 30 cProfile entries
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHECKS = "vm.snapshots,vm.disk_enableuuid,vm.name_clash,esxi.license,datastore.access,datastore.type,host.memory,guest.ip_mode"
FLOOR_PROPERTIES = ["name", "snapshot", "runtime.host", "config.extraConfig", "guest.net", "datastore", "summary.config.vmPathName"]
VCENTER_MAXIMUM_VMS = 40_000


# -- the two sides, each run as a child process of this file ---------------------------------------------------------------
def _count_soap_requests(report_to: Path) -> None:
    """Count every SOAP request this process posts (pyVmomi's and the lean bulk retrievals' alike, at the HTTP layer);
    written to `report_to` when the process exits."""
    import http.client

    counter = [0]
    original = http.client.HTTPConnection.request

    def counting(self, method, *args, **kwargs):
        counter[0] += method == "POST"
        return original(self, method, *args, **kwargs)

    http.client.HTTPConnection.request = counting
    atexit.register(lambda: report_to.write_text(str(counter[0])))


def run_command(argv: list[str], profile_rows: int) -> None:
    """The command exactly as the console script runs it (failback.cli.main:entry), SOAP requests counted."""
    from failback.cli.main import entry

    sys.argv = ["failback", *argv]
    if not profile_rows:
        entry()
    profiles = _profile_every_thread()
    try:
        profiles[0].runcall(entry)
    finally:
        import pstats

        stats = pstats.Stats(*profiles, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(profile_rows)
        stats.sort_stats("tottime").print_stats(profile_rows)


def _profile_every_thread() -> list:
    """cProfile sees one thread; the sources collect on their own: give every thread its profiler, merged at the end."""
    import cProfile
    import threading

    profiles = [cProfile.Profile()]
    original_run = threading.Thread.run

    def profiled_run(self):
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.runcall(original_run, self)

    threading.Thread.run = profiled_run
    return profiles


def run_floor(site_path: str, lean: bool) -> None:
    """Log in and read the VM properties in one bulk retrieval: the least any tool reading them can do. Typed through
    pyVmomi (the issue's floor), or `lean`: read from the XML as the command's source does (vcenter_bulk)."""
    import ssl

    from pyVim.connect import Disconnect, SmartConnect
    from pyVmomi import vim, vmodl

    from failback.checks.sitefile import load_site
    from failback.checks.sources import vcenter_bulk

    settings = load_site(Path(site_path)).vcenter
    si = SmartConnect(host=settings.host, port=settings.port, user=settings.user, pwd=os.environ[settings.password_env],
                      sslContext=ssl.create_default_context(cafile=settings.ca_file))
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    if lean:
        vms = sum(1 for _ in vcenter_bulk.objects_in_view(content.propertyCollector, view, "VirtualMachine", FLOOR_PROPERTIES))
    else:
        collector = vmodl.query.PropertyCollector
        spec = collector.FilterSpec(
            objectSet=[collector.ObjectSpec(obj=view, skip=True, selectSet=[collector.TraversalSpec(name="view", path="view", type=vim.view.ContainerView)])],
            propSet=[collector.PropertySpec(type=vim.VirtualMachine, pathSet=FLOOR_PROPERTIES)],
        )
        page = content.propertyCollector.RetrievePropertiesEx([spec], collector.RetrieveOptions(maxObjects=1000))  # as the command pages
        vms = len(page.objects)
        while page.token:
            page = content.propertyCollector.ContinueRetrievePropertiesEx(page.token)
            vms += len(page.objects)
    Disconnect(si)
    print(vms)


# -- the parent: one child process per side, timed from spawn to exit -------------------------------------------------------
def _timed_child(args: list[str], env: dict[str, str], directory: Path, label: str) -> dict:
    """Run `this file <args>` in a fresh interpreter; wall time, SOAP requests and the child's own peak RSS."""
    count_file = directory / f"{label}.requests"
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--count-to", str(count_file), *args], env=env, cwd=directory,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage, not the running maximum of every child
    seconds = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in ((0, 1, 3) if label == "command" else (0,)):
        raise RuntimeError(f"{label} exited {child.returncode}:\n{stderr[-3000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "requests": int(count_file.read_text()),
            "peak_rss_mb": usage.ru_maxrss / 1024, "stderr": stderr, "exit": child.returncode}


def _median(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def measure(total_vms: int, profile_rows: int, repeat: int) -> dict:
    from failback.lab.site import build_lab_site
    from failback.lab.vcenter_admin import VCenterAdmin
    from failback.lab.vcsim import VCSim

    # The simulator makes its VMs per resource pool: one cluster pool and one standalone host's pool.
    sim = VCSim().start(clusters=1, hosts_per_cluster=2, standalone_hosts=1, datastores=1, vms=total_vms // 2,
                        username="administrator@vsphere.local", password="bench-Secret-1", timeout=300)
    try:
        with VCenterAdmin(sim, timeout=300) as admin, tempfile.TemporaryDirectory(prefix="bench-whole-") as name:
            directory = Path(name)
            lab = build_lab_site(sim, admin, directory, "classic")
            lab.vms = sorted(admin.vm_names())
            site_path = lab.write_site()
            env = lab.env()
            command = ["--command", str(profile_rows), "check", "--site", str(site_path), "--only", CHECKS,
                       "--format", "json", "--output", str(directory / "r.json")]
            # Interleaved and the median of each side: a loaded machine slows them alike.
            sides = {"command": command, "floor": ["--floor", str(site_path)], "lean": ["--lean-floor", str(site_path)]}
            runs = [{side: _timed_child(argv, env, directory, side) for side, argv in sides.items()} for _ in range(repeat)]
            row = {side: _median([run[side] for run in runs]) for side in sides}
            results = len(json.loads((directory / "r.json").read_text())["results"])
            return {"vms": len(lab.vms), **row, "results": results}
    finally:
        sim.stop()


def _growth(rows: list[dict]) -> None:
    """Cost per 1,000 VMs between successive sizes: equal slopes mean linear growth. CPU time is the process's own; wall
    time also holds the simulator's work, which both sides wait for."""
    if len(rows) < 2:
        return
    for before, after in zip(rows, rows[1:]):
        thousands = (after["vms"] - before["vms"]) / 1000

        def slope(side: str, measure: str) -> float:
            return (after[side][measure] - before[side][measure]) / thousands

        print(f"  {before['vms']:>6} -> {after['vms']:>6} VMs, per 1,000 VMs: command +{slope('command', 'seconds'):.3f} s "
              f"(cpu +{slope('command', 'cpu'):.3f} s), +{slope('command', 'peak_rss_mb'):.1f} MB; "
              f"floor +{slope('floor', 'seconds'):.3f} s (cpu +{slope('floor', 'cpu'):.3f} s)")
    first, last = rows[0], rows[-1]
    per_vm = (last["command"]["peak_rss_mb"] - first["command"]["peak_rss_mb"]) / (last["vms"] - first["vms"])
    estimate = last["command"]["peak_rss_mb"] + per_vm * (VCENTER_MAXIMUM_VMS - last["vms"])
    print(f"  command's peak RSS at {VCENTER_MAXIMUM_VMS:,} VMs, extrapolated from {first['vms']:,} -> {last['vms']:,}: {estimate:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side per size; the median is shown")
    parser.add_argument("--profile", type=int, default=0, metavar="ROWS", help="print the command's top ROWS cProfile entries")
    parser.add_argument("--count-to", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", metavar="SITE", help=argparse.SUPPRESS)
    parser.add_argument("--lean-floor", metavar="SITE", help=argparse.SUPPRESS)
    parser.add_argument("--command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_to:
        _count_soap_requests(args.count_to)
        if args.floor or args.lean_floor:
            run_floor(args.floor or args.lean_floor, lean=bool(args.lean_floor))
        else:
            run_command(args.command[1:], int(args.command[0]))
        return

    print(f"{'VMs':>6} | {'command s':>9} {'cpu s':>6} {'requests':>8} {'peak MB':>7} | {'floor s':>7} {'cpu s':>6} {'requests':>8} "
          f"{'peak MB':>7} | {'ratio':>5} | {'lean floor s':>12} {'cpu s':>6} | {'ratio':>5} | results")
    rows = []
    for total in args.vms:
        row = measure(total, args.profile, 1 if args.profile else args.repeat)
        rows.append(row)
        ours, floor, lean = row["command"], row["floor"], row["lean"]
        if args.profile:
            print(ours["stderr"])
        print(f"{row['vms']:>6} | {ours['seconds']:>9.2f} {ours['cpu']:>6.2f} {ours['requests']:>8} {ours['peak_rss_mb']:>7.0f} | "
              f"{floor['seconds']:>7.2f} {floor['cpu']:>6.2f} {floor['requests']:>8} {floor['peak_rss_mb']:>7.0f} | "
              f"{ours['seconds'] / floor['seconds']:>4.1f}x | {lean['seconds']:>12.2f} {lean['cpu']:>6.2f} | "
              f"{ours['seconds'] / lean['seconds']:>4.1f}x | {row['results']} (exit {ours['exit']})", flush=True)
    _growth(rows)


if __name__ == "__main__":
    main()
