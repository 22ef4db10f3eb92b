"""time.skew: the tool host and vCenter agree on the time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from checks.facts import Facts
from checks.model import BOTH, CheckMeta, Gate, Result, Severity, Status
from checks.registry import register

TIME_SKEW = CheckMeta(
    id="time.skew",
    title="The clocks of this machine and vCenter agree within the allowed skew",
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
    clock = vcenter["clock"]
    before, after = dt.datetime.fromisoformat(clock["tool_before"]), dt.datetime.fromisoformat(clock["tool_after"])
    # vCenter read its clock somewhere between our two readings: compare with the midpoint.
    ours = before + (after - before) / 2
    skew = round((dt.datetime.fromisoformat(clock["vcenter"]) - ours).total_seconds(), 1)
    allowed = facts.site.policy.time_skew_max_seconds
    evidence = {"skew_seconds": skew, "max_seconds": allowed, "vcenter_time": clock["vcenter"], "tool_time": ours.isoformat()}
    target = f"vcenter:{vcenter['host']}"
    if abs(skew) > allowed:
        side = "ahead of" if skew > 0 else "behind"
        yield Result(TIME_SKEW.id, target, Status.FAIL, f"vCenter's clock is {abs(skew):g} s {side} this machine's (allowed {allowed} s)", evidence)
    else:
        yield Result(TIME_SKEW.id, target, Status.PASS, f"vCenter's clock is within {abs(skew):g} s of this machine's", evidence)
