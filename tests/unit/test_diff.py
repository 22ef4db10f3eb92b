"""The report diff on fixed documents: the fixed report of tests/reports as the baseline, variants of it as later runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from failback.checks.model import Status
from failback.runner.diff import compare
from failback.runner.diff_writers import write_json, write_markdown, write_text
from failback.runner.report import ExitCode, report_from_document

FIXED_REPORT = Path(__file__).parents[1] / "reports" / "fixed_report.json"
# In the fixed report: vm.snapshots on app01 fails, on db01 passes; guest.ip_mode on app01 warns; esxi.license on one host is waived.
APP_SNAPSHOTS, DB_SNAPSHOTS = ("vm.snapshots", "vm:app01"), ("vm.snapshots", "vm:db01")
APP_IP_MODE, WAIVED_LICENCE = ("guest.ip_mode", "vm:app01"), ("esxi.license", "host:DC0_C0_H0")


@pytest.fixture
def baseline() -> dict:
    return json.loads(FIXED_REPORT.read_text())


def later(document: dict, statuses: dict[tuple[str, str], str] | None = None, drop: tuple[tuple[str, str], ...] = (),
          add: tuple[tuple[str, str, str], ...] = ()) -> dict:
    """A later run of the same site: some results with another status, some gone, some new."""
    variant = copy.deepcopy(document)
    variant["generated_at"] = "2026-11-21T09:30:00+00:00"
    results = [r for r in variant["results"] if (r["check"], r["target"]) not in drop]
    for result in results:
        if (status := (statuses or {}).get((result["check"], result["target"]))) is not None:
            result.update(status=status, message=f"{result['target']} is now {status}")
    for check, target, status in add:
        results.append({**copy.deepcopy(results[0]), "check": check, "target": target, "status": status, "message": f"{target} appeared {status}"})
    variant["results"] = results
    return variant


def diff_of(old: dict, new: dict):
    return compare(report_from_document(old), report_from_document(new))


def keys(changes) -> list[tuple[str, str]]:
    return [(c.check, c.target) for c in changes]


def test_the_same_report_twice_has_no_change(baseline):
    diff = diff_of(baseline, later(baseline))
    assert (diff.worse, diff.better, diff.appeared, diff.gone) == ([], [], [], [])
    assert diff.unchanged == len(baseline["results"])
    assert diff.exit_code == ExitCode.READY and diff.baseline_exit_code == ExitCode.READY


def test_statuses_rank_pass_skip_waived_below_warn_below_error_below_fail(baseline):
    diff = diff_of(baseline, later(baseline, {DB_SNAPSHOTS: "warn", APP_IP_MODE: "error", APP_SNAPSHOTS: "waived",
                                              ("vm.name_clash", "vm:app01"): "skip", WAIVED_LICENCE: "fail"}))
    assert [(c.check, c.target, c.before, c.after) for c in diff.worse] == [
        (*WAIVED_LICENCE, Status.WAIVED, Status.FAIL),  # the worst news first
        (*APP_IP_MODE, Status.WARN, Status.ERROR),
        (*DB_SNAPSHOTS, Status.PASS, Status.WARN),
    ]
    assert keys(diff.better) == [APP_SNAPSHOTS]
    assert diff.unchanged == len(baseline["results"]) - 4, "pass -> skip is no change"


def test_new_and_gone_results_are_told_apart_from_changes(baseline):
    diff = diff_of(baseline, later(baseline, drop=(DB_SNAPSHOTS,), add=(("vm.snapshots", "vm:web01", "fail"), ("vm.snapshots", "vm:web02", "pass"))))
    assert keys(diff.appeared) == [("vm.snapshots", "vm:web01"), ("vm.snapshots", "vm:web02")]
    assert [(c.before, c.after) for c in diff.appeared] == [(None, Status.FAIL), (None, Status.PASS)]
    assert [(c.check, c.target, c.before, c.after, c.message) for c in diff.gone] == [
        (*DB_SNAPSHOTS, Status.PASS, None, "db01 has no snapshots")]
    assert keys(diff.new_problems) == [("vm.snapshots", "vm:web01")], "a new pass is no problem"


@pytest.mark.parametrize(("change", "diff_exit", "baseline_exit"), [
    ({"statuses": {DB_SNAPSHOTS: "warn"}}, ExitCode.FAIL, ExitCode.READY),  # worse, but only a warning
    ({"statuses": {DB_SNAPSHOTS: "fail"}}, ExitCode.FAIL, ExitCode.FAIL),
    ({"statuses": {DB_SNAPSHOTS: "error"}}, ExitCode.FAIL, ExitCode.ERROR),
    ({"statuses": {DB_SNAPSHOTS: "error", APP_IP_MODE: "fail"}}, ExitCode.FAIL, ExitCode.FAIL),
    ({"add": (("vm.snapshots", "vm:web01", "fail"),)}, ExitCode.FAIL, ExitCode.FAIL),
    ({"add": (("vm.snapshots", "vm:web01", "error"),)}, ExitCode.FAIL, ExitCode.ERROR),
    ({"add": (("vm.snapshots", "vm:web01", "warn"),)}, ExitCode.READY, ExitCode.READY),  # new, but ready
    ({"statuses": {APP_SNAPSHOTS: "pass"}, "drop": (DB_SNAPSHOTS,)}, ExitCode.READY, ExitCode.READY),  # better and gone
    ({"statuses": {APP_SNAPSHOTS: "error"}}, ExitCode.READY, ExitCode.READY),  # fail -> error ranks better
])
def test_exit_codes_count_only_what_is_new_or_worse(baseline, change, diff_exit, baseline_exit):
    diff = diff_of(baseline, later(baseline, **change))
    assert (diff.exit_code, diff.baseline_exit_code) == (diff_exit, baseline_exit)


def test_a_problem_the_baseline_already_had_does_not_count(baseline):
    diff = diff_of(baseline, later(baseline))
    assert report_from_document(baseline).exit_code == ExitCode.FAIL, "the baseline itself is not ready"
    assert diff.baseline_exit_code == ExitCode.READY


def test_different_sites_and_gates_are_noted(baseline):
    variant = later(baseline)
    variant.update(site="other-site", gate="reprotect")
    notes = diff_of(baseline, variant).notes
    assert notes == ["the reports are of different sites: lab-classic and other-site",
                     "the reports cover different gates (all and reprotect): results of one gate only show as new or gone"]


def test_a_check_reported_twice_on_one_target_is_judged_by_its_worse_result(baseline):
    twice = later(baseline, add=((*DB_SNAPSHOTS, "fail"),))
    diff = diff_of(baseline, twice)
    assert [(c.check, c.target, c.after) for c in diff.worse] == [(*DB_SNAPSHOTS, Status.FAIL)]


# -- rendering ----------------------------------------------------------------------------------------------------------
@pytest.fixture
def mixed(baseline):
    return diff_of(baseline, later(baseline, {DB_SNAPSHOTS: "fail", APP_SNAPSHOTS: "pass"}, drop=(APP_IP_MODE,),
                                   add=(("vm.snapshots", "vm:web01", "error"),)))


def test_text_puts_the_verdict_first_then_each_kind_of_change(mixed):
    text = write_text(mixed)
    lines = text.splitlines()
    assert lines[1] == "WORSE: 2 new or worse problem(s) since 2026-11-20T09:30:00+00:00"
    assert lines[2] == "1 worse, 1 new, 1 better, 1 gone, 25 unchanged"
    assert text.index("Worse (1):") < text.index("New (1):") < text.index("Better (1):") < text.index("Gone (1):")
    assert "    pass -> fail   vm.snapshots vm:db01" in lines
    assert "     new -> error  vm.snapshots vm:web01" in lines
    assert "    warn -> gone   guest.ip_mode vm:app01" in lines


def test_markdown_has_a_table_per_kind_of_change(mixed):
    markdown = write_markdown(mixed)
    assert markdown.startswith("# Failback preflight diff: lab-classic\n")
    assert "| before | 2026-11-20T09:30:00+00:00 | NO-GO: not ready | 4 fail, 0 error, 1 warn |" in markdown
    assert "| `vm.snapshots` | `vm:db01` | pass | fail | vm:db01 is now fail |" in markdown
    assert "| `vm.snapshots` | `vm:web01` | - | error | vm:web01 appeared error |" in markdown


def test_json_carries_both_reports_and_every_change(mixed):
    document = json.loads(write_json(mixed))
    assert document["schema"] == "failback.diff/1" and document["regressed"] is True
    assert document["reports"]["before"]["summary"]["fail"] == 4 and document["reports"]["after"]["summary"]["error"] == 1
    assert document["counts"] == {"worse": 1, "new": 1, "better": 1, "gone": 1, "unchanged": 25}
    assert document["new"] == [{"check": "vm.snapshots", "target": "vm:web01", "before": None, "after": "error",
                                "title": document["new"][0]["title"], "message": "vm:web01 appeared error"}]
    assert document["gone"][0]["after"] is None


def test_every_format_says_when_nothing_got_worse(baseline):
    diff = diff_of(baseline, later(baseline))
    assert "\nNOT WORSE: nothing new or worse" in write_text(diff)
    assert "**NOT WORSE: nothing new or worse" in write_markdown(diff)
    assert json.loads(write_json(diff))["regressed"] is False
