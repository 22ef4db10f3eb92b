"""`failback demo`: the preflight on a lab site with the problems that break real failbacks, no real site needed.

It starts VMware's simulator, shapes it as a healthy classic site, then breaks it the way sites are found broken: a
snapshot left on a VM, a read-only discovery account, a host on the free ESXi licence, a Paravirtual controller on the
master target, a static IP that will come back as DHCP, a vCenter clock ten minutes fast. Then it runs the preflight.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from checks.registry import all_checks
from checks.sources.vcenter import VCenterSource
from lab.site import APP, DB, DISCOVERY_USER, MASTER_TARGET, build_lab_site
from lab.vcenter_admin import VCenterAdmin
from lab.vcsim import VCSim
from runner.engine import Selection, collect, evaluate
from runner.report import ExitCode

# The peers this demo starts; checks that read other sources are left to the sites that have them.
DEMO_SOURCES = {"vcenter"}


def _say(message: str) -> None:
    print(f"demo: {message}", file=sys.stderr, flush=True)


def break_the_site(admin: VCenterAdmin) -> None:
    admin.create_snapshot(APP, "before-windows-update")
    read_only = admin.add_role("ReadOnly-Discovery", [])
    admin.set_permission("datacenter", DISCOVERY_USER, read_only, propagate=True)
    free = admin.add_license("F7EE0-HYPER-V1SOR-FREE0-00000", "esxBasic", "vSphere 7 Hypervisor")
    admin.assign_license(admin.vm_host(DB), free)
    admin.add_pvscsi_controller(MASTER_TARGET)
    admin.set_vm_guest(
        APP,
        net=[{"mac": "00:50:56:01:02:03", "network": "VM Network", "dhcp": False,
              "ips": [{"ip": "10.20.0.21", "prefix": 24, "origin": "manual"}]}],
        gateway="10.20.0.1",
        dns=["10.20.0.2"],
    )
    admin.set_clock(600)


def run_demo(format_name: str = "text") -> int:
    from runner.writers import writer_for

    sim = VCSim()
    _say("building and starting the lab vCenter (VMware's govmomi simulator; the first build takes about a minute)")
    try:
        sim.start(username="administrator@vsphere.local", password="demo-Lab-Password-1", timeout=60)
        with VCenterAdmin(sim) as admin, tempfile.TemporaryDirectory(prefix="failback-demo-") as directory:
            _say(f"vCenter at {sim.url}; shaping a classic site and breaking it the usual ways")
            lab = build_lab_site(sim, admin, Path(directory), "classic")
            break_the_site(admin)
            _say(f"running the preflight (site file {lab.site_path.name})")
            site = lab.site()
            only = frozenset(c.meta.id for c in all_checks() if set(c.meta.sources) <= DEMO_SOURCES)
            facts = collect(site, {"vcenter": VCenterSource(site, sim.password).collect})
            report = evaluate(facts, Selection(only=only))
            sys.stdout.write(writer_for(format_name)(report))
    except Exception as exc:  # the demo must end with a message, never a traceback
        print(f"failback demo: {exc}", file=sys.stderr)
        return ExitCode.ERROR
    finally:
        sim.stop()
    _say("done; the lab vCenter is stopped")
    return ExitCode.READY
