"""The run in the dashboard against the fake ARM and the lab vCenter: a job fails with 78093, the hint panel shows
ASR's words and ours, retry completes the failback."""

from __future__ import annotations

from textual.widgets import Markdown, RichLog

from failback.lab.fake_arm.state import JobError
from failback.runner.access import SiteAccess
from failback.runner.preflight import Preflight
from failback.runner.waivers import load_waivers
from failback.checks.registry import known_ids
from failback.checks.sitefile import load_site
from failback.tui.app import FailbackApp
from failback.tui.run_view import AskStep


async def test_run_with_a_failing_job_its_hint_and_a_retry(run_lab, monkeypatch):
    for key, value in run_lab.env().items():
        monkeypatch.setenv(key, value)
    run_lab.azure.arm.actions.fail_next("ReverseReplicate", JobError(
        "78093", "The VM app01 is not running or not responding.", recommended_action="Start the VM app01 and retry."))
    access = SiteAccess(load_site(run_lab.site_path), run_lab.site_path)
    preflight = Preflight(access.site, access=access, waivers=load_waivers(run_lab.waivers, known_ids()))
    app = FailbackApp(preflight, state_dir=run_lab.state_dir)
    hint_seen = ""
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("a")
        for _ in range(2000):
            await pilot.pause(0.02)
            screen = pilot.app.screen
            if isinstance(screen, AskStep):
                if "retry" in screen.choices:
                    hint_seen = pilot.app.query_one("#hint", Markdown).source
                    await pilot.press("r")
                else:
                    await pilot.press("y" if "Delete the Azure VMs" not in screen.question else "n")
            elif not any(w.is_running for w in pilot.app.workers):
                break
        log = "\n".join(str(line.text) for line in pilot.app.query_one("#run-log", RichLog).lines)
    assert "ASR error 78093" in hint_seen and "ASR recommends: Start the VM app01 and retry." in hint_seen
    assert "Start Azure VM" in hint_seen, "our remediation beside ASR's"
    assert "run: failback complete" in log
    assert run_lab.azure.arm.actions.submitted.count(("ReverseReplicate", "app01")) == 2  # toward on-premises, back to Azure
    assert run_lab.azure.arm.actions.restarted == [("ReverseReplicate", "app01")]  # the failed job, retried


async def test_stopped_run_resumes_from_the_dashboard(run_lab, monkeypatch):
    for key, value in run_lab.env().items():
        monkeypatch.setenv(key, value)
    run_lab.azure.arm.actions.fail_next("ReverseReplicate", JobError("78093", "The VM app01 is not running or not responding."))
    access = SiteAccess(load_site(run_lab.site_path), run_lab.site_path)
    app = FailbackApp(Preflight(access.site, access=access, waivers=load_waivers(run_lab.waivers, known_ids())), state_dir=run_lab.state_dir)
    async with app.run_test(size=(140, 45)) as pilot:
        for key, stop_answer in (("a", "s"), ("u", "r")):  # first run: stop at the failure; then resume it
            await pilot.press(key)
            for _ in range(2000):
                await pilot.pause(0.02)
                screen = pilot.app.screen
                if isinstance(screen, AskStep):
                    if "retry" in screen.choices:
                        await pilot.press(stop_answer)
                    else:
                        await pilot.press("y" if "Delete the Azure VMs" not in screen.question else "n")
                elif not any(w.is_running for w in pilot.app.workers):
                    break
            status = str(pilot.app.query_one("#run-status").render())
            if key == "a":
                assert "resume once its cause is removed" in status
        assert "failback complete" in str(pilot.app.query_one("#run-status").render())
    failover = "PlannedFailover" if run_lab.azure.experience == "modernized" else "UnplannedFailover"
    # The resumed run restarted the failed job: no operation was posted twice.
    assert run_lab.azure.arm.actions.restarted == [("ReverseReplicate", "app01")]
    assert run_lab.azure.arm.actions.submitted == [
        ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01"), (failover, "rp-app"),
        ("Commit", "rp-app"), ("ReverseReplicate", "app01"), ("ReverseReplicate", "db01")]
