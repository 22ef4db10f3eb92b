"""The dashboard against the live lab: a fix is previewed, declined changes nothing, confirmed it applies and re-checks."""

from __future__ import annotations

from failback.lab.site import APP, PASSWORD_ENV
from failback.runner.access import SiteAccess
from failback.runner.preflight import Preflight
from tests.labsite import by_target, run_checks
from failback.tui.app import FailbackApp
from failback.tui.modals import ConfirmFix


class VCenterOnlyAccess(SiteAccess):
    """The lab starts vCenter only; the other sources would report errors that this test does not look at."""

    def _factories(self, selection):
        return {"vcenter": super()._factories(selection)["vcenter"]}


async def test_fix_from_the_dashboard(lab, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, lab.sim.password)
    lab.admin.create_snapshot(APP, "before-patch")
    site = lab.site()
    app = FailbackApp(Preflight(site, access=VCenterOnlyAccess(site, lab.site_path), audit_log=tmp_path / "audit.jsonl"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("slash", *"vm.snapshots app01", "tab", "x")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmFix)
        assert "delete all 1 snapshot(s) of VM app01 (before-patch)" in pilot.app.screen.actions[0].description
        await pilot.press("escape")
        await pilot.pause()
        assert by_target(run_checks(lab, "vm.snapshots"))[f"vm:{APP}"].status.value == "fail", "declined changes nothing"

        await pilot.press("x")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        snapshots = [r for r in pilot.app.report.results if r.check == "vm.snapshots" and r.target == f"vm:{APP}"]
        assert snapshots[0].status.value == "pass"
    assert by_target(run_checks(lab, "vm.snapshots"))[f"vm:{APP}"].status.value == "pass"
    assert "applied" in (tmp_path / "audit.jsonl").read_text()
