"""`failback diff` and `failback check --baseline` exit codes, offline on the demo site's facts bundle (5 fail, 21 error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from failback.cli.main import main
from failback.runner.report import ExitCode

DEMO_FACTS = Path(__file__).parents[1] / "tui" / "demo_facts.json"
FIXED_REPORT = Path(__file__).parents[1] / "reports" / "fixed_report.json"


def failback(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def last_run(tmp_path: Path, capsys) -> dict:
    """The JSON report of the demo facts, as a scheduled run left it for the next one."""
    path = tmp_path / "last.json"
    code, _, _ = failback(capsys, "check", "--facts", str(DEMO_FACTS), "--format", "json", "--output", str(path))
    assert code == ExitCode.FAIL
    return json.loads(path.read_text())


def write(tmp_path: Path, document: dict, name: str = "baseline.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def check_against(capsys, baseline: str, *more: str) -> tuple[int, str, str]:
    return failback(capsys, "check", "--facts", str(DEMO_FACTS), "--baseline", baseline, *more)


# -- check --baseline -------------------------------------------------------------------------------------------------
def test_problems_the_baseline_knew_exit_0_and_are_still_reported(capsys, tmp_path, last_run):
    code, out, err = check_against(capsys, write(tmp_path, last_run), "--format", "json")
    assert code == ExitCode.READY
    assert "nothing new or worse" in err
    report = json.loads(out)
    assert report["summary"]["fail"] == 5 and report["summary"]["ready"] is False, "the report is the same as without --baseline"
    assert [r["status"] for r in report["results"]] == [r["status"] for r in last_run["results"]]


def test_a_fail_new_since_the_baseline_exits_1(capsys, tmp_path, last_run):
    snapshots = next(r for r in last_run["results"] if r["check"] == "vm.snapshots" and r["target"] == "vm:app01")
    snapshots["status"] = "pass"
    code, _, err = check_against(capsys, write(tmp_path, last_run))
    assert code == ExitCode.FAIL
    assert "1 new or worse problem(s)" in err and "pass -> fail: vm.snapshots vm:app01" in err


def test_errors_new_since_the_baseline_exit_3(capsys, tmp_path, last_run):
    last_run["results"] = [r for r in last_run["results"] if r["status"] != "error"]
    code, _, err = check_against(capsys, write(tmp_path, last_run))
    assert code == ExitCode.ERROR
    assert "21 new or worse problem(s)" in err and "new -> error: mt.version site:lab-classic" in err


def test_a_baseline_that_does_not_exist_yet_knows_no_problem(capsys, tmp_path):
    code, _, err = check_against(capsys, str(tmp_path / "first-run.json"))
    assert code == ExitCode.FAIL, "as without a baseline: the fails are new"
    assert "does not exist yet: every problem counts as new" in err


@pytest.mark.parametrize(("content", "says"), [
    ("{not json", "not valid JSON"),
    (json.dumps({"schema": "failback.facts/1"}), "not a failback report"),
])
def test_a_baseline_that_is_not_a_report_exits_2_naming_it(capsys, tmp_path, content, says):
    path = tmp_path / "broken.json"
    path.write_text(content)
    code, out, err = check_against(capsys, str(path))
    assert code == ExitCode.USAGE and out == ""
    assert str(path) in err and says in err


def test_help_documents_the_baseline_exit_codes(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "with --baseline LAST.json" in capsys.readouterr().out


# -- diff -------------------------------------------------------------------------------------------------------------
def test_diff_of_a_report_with_itself_exits_0(capsys):
    code, out, _ = failback(capsys, "diff", str(FIXED_REPORT), str(FIXED_REPORT))
    assert code == ExitCode.READY and "NOT WORSE" in out


def test_diff_exits_1_when_something_got_worse(capsys, tmp_path, last_run):
    later = json.loads(json.dumps(last_run))
    next(r for r in later["results"] if r["status"] == "pass")["status"] = "warn"
    code, out, _ = failback(capsys, "diff", write(tmp_path, last_run, "old.json"), write(tmp_path, later, "new.json"), "--format", "json")
    assert code == ExitCode.FAIL
    assert json.loads(out)["counts"]["worse"] == 1


def test_diff_exits_0_when_only_better(capsys, tmp_path, last_run):
    later = json.loads(json.dumps(last_run))
    for result in later["results"]:
        if result["status"] == "fail":
            result["status"] = "pass"
    code, out, _ = failback(capsys, "diff", write(tmp_path, last_run, "old.json"), write(tmp_path, later, "new.json"), "--format", "markdown")
    assert code == ExitCode.READY and "## Better (5)" in out


def test_diff_of_a_missing_file_exits_2_naming_it(capsys, tmp_path):
    missing = tmp_path / "nowhere.json"
    code, out, err = failback(capsys, "diff", str(FIXED_REPORT), str(missing))
    assert code == ExitCode.USAGE and out == ""
    assert f"cannot read {missing}" in err


def test_diff_of_a_facts_bundle_exits_2(capsys):
    code, _, err = failback(capsys, "diff", str(DEMO_FACTS), str(FIXED_REPORT))
    assert code == ExitCode.USAGE and f"{DEMO_FACTS}: not a failback report" in err
