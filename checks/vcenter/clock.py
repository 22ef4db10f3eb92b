"""time.skew: the clocks of the tool host, vCenter and every connected ESXi host agree."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from failback.checks.facts import Facts
from failback.checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from failback.checks.registry import register

TIME_SKEW = CheckMeta(
    id="time.skew",
    title="The clocks of this machine, vCenter and the ESXi hosts agree within the allowed skew",
    severity=Severity.MEDIUM,
    gates=(Gate.REPROTECT,),
    experiences=BOTH,
    sources=("vcenter",),
    why="Skewed clocks break token and certificate validation between the ASR components and confuse job timelines.",
    remediation="sync-clocks",
)


@register(TIME_SKEW)
def time_skew(facts: Facts) -> Iterator[Result]:
    vcenter = facts.source("vcenter")
    allowed = facts.site.policy.time_skew_max_seconds
    yield _compare(f"vcenter:{vcenter['host']}", "vCenter", vcenter["clock"], "vcenter", allowed)
    for host in vcenter["hosts"].values():
        clock = host.get("clock")  # absent: a host not connected (host checks report it) or an older facts bundle
        if clock is None:
            continue
        target = f"host:{host['name']}"
        if "error" in clock:
            yield Result(TIME_SKEW.id, target, Status.ERROR, f"{host['name']} did not tell its time: {clock['error']}", {})
        else:
            yield _compare(target, host["name"], clock, "host", allowed)


def _compare(target: str, who: str, clock: dict[str, str], reading: str, allowed: int) -> Result:
    before, after = dt.datetime.fromisoformat(clock["tool_before"]), dt.datetime.fromisoformat(clock["tool_after"])
    # The peer read its clock somewhere between our two readings: compare with the midpoint.
    ours = before + (after - before) / 2
    skew = round((dt.datetime.fromisoformat(clock[reading]) - ours).total_seconds(), 1)
    evidence = {"skew_seconds": skew, "max_seconds": allowed, f"{reading}_time": clock[reading], "tool_time": ours.isoformat()}
    if abs(skew) > allowed:
        side = "ahead of" if skew > 0 else "behind"
        return Result(TIME_SKEW.id, target, Status.FAIL, f"{who}'s clock is {abs(skew):g} s {side} this machine's (allowed {allowed} s)", evidence)
    return Result(TIME_SKEW.id, target, Status.PASS, f"{who}'s clock is within {abs(skew):g} s of this machine's", evidence)
