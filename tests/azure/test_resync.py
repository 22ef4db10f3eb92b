"""asr.resync: modernized items that need resynchronisation, or whose last planned failover failed, read through the SDK."""

from __future__ import annotations

from failback.checks.model import Status
from failback.lab.fake_arm.state import JobError

from .conftest import remediation_id, run_checks


def test_items_replicating_back_in_sync_pass(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    results = run_checks(lab, tmp_path, "asr.resync").of("asr.resync")
    assert [(r.target, r.status) for r in results] == [("item:app01", Status.PASS), ("item:db01", Status.PASS)]
    assert results[0].evidence["resync_required"] == "false" and results[0].evidence["provider"] == "InMageRcmFailback"


def test_an_item_that_needs_resynchronisation_fails_with_the_resync_steps(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    item = lab.item("app01")
    item.resync_required, item.resync_state = True, "PreparedForResynchronization"
    result = run_checks(lab, tmp_path, "asr.resync").only(target="item:app01")
    assert result.status is Status.FAIL
    assert "ASR says app01 needs resynchronisation (resyncRequired true, resyncState PreparedForResynchronization)" in result.message
    assert "replication back on-premises keeps no consistent recovery point" in result.message
    assert remediation_id(result) == "resync-protected-item"
    assert result.remediation["steps"][0] == "ASR: resyncRequired true, resyncState PreparedForResynchronization."
    assert "repairReplication" in result.remediation["steps"][1]


def test_a_resynchronisation_under_way_warns_and_a_failed_over_items_stale_flag_is_not_judged(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    item = lab.item("app01")
    item.resync_required, item.resync_state, item.resync_progress_percent = True, "StartedResynchronization", 40
    assert run_checks(lab, tmp_path, "asr.resync").only(target="item:app01").status is Status.WARN

    lab = start("modernized", stage="in_azure")
    lab.item("app01").resync_required = True
    result = run_checks(lab, tmp_path, "asr.resync").only(target="item:app01")
    assert result.status is Status.PASS
    assert "ASR still flags a resynchronisation from before the failover" in result.message


def test_a_failed_planned_failover_fails_with_the_retry_steps(start, tmp_path):
    lab = start("modernized", stage="replicating_back")
    actions = lab.arm.actions
    actions.fail_next("PlannedFailover", JobError("8038", "The VM app01 could not be powered on: not enough memory on the host."))
    job = actions.start(lab.vault, lab.item("app01"), "PlannedFailover")
    while job.state == "InProgress":
        actions.advance(job)

    result = run_checks(lab, tmp_path, "asr.resync").only(target="item:app01")
    assert result.status is Status.FAIL
    started = result.evidence["last_planned_failover_started"]
    assert started and f"the last planned failover of app01, started {started}, failed" in result.message
    assert result.evidence["last_planned_failover_status"] == "Failed"
    assert remediation_id(result) == "retry-planned-failover"
    assert "Cancel failover" in result.remediation["steps"][2]
    assert run_checks(lab, tmp_path, "asr.resync").only(target="item:db01").status is Status.PASS
