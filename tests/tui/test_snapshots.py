"""What each screen shows, as pictures (pytest-textual-snapshot), on the demo site's saved facts at 80x24 and larger."""

from __future__ import annotations

from failback.tui.result_table import ResultTable


async def _settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_overview_at_80x24(offline_app, snap_compare):
    assert snap_compare(offline_app, terminal_size=(80, 24), run_before=_settled)


def test_results_with_detail(offline_app, snap_compare):
    async def select_snapshots(pilot):
        await _settled(pilot)
        await pilot.press("slash", *"snapshots app01", "tab")
        await pilot.pause()

    assert snap_compare(offline_app, terminal_size=(120, 36), run_before=select_snapshots)


def test_export_dialog(offline_app, snap_compare, monkeypatch):
    # The dialog starts on a path below the working directory, with the cursor at its end: the same everywhere.
    monkeypatch.chdir("/")

    async def open_export(pilot):
        await _settled(pilot)
        pilot.app.query_one("#problems", ResultTable).focus()
        await pilot.press("e")
        pilot.app.screen.query_one("#export-path").value = "/srv/cab/failback-lab-classic"
        await pilot.pause()

    assert snap_compare(offline_app, terminal_size=(100, 36), run_before=open_export)


def test_help(offline_app, snap_compare):
    async def open_help(pilot):
        await _settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(offline_app, terminal_size=(100, 36), run_before=open_help)


def test_run_tab_before_a_run(offline_app, snap_compare):
    async def open_run(pilot):
        await _settled(pilot)
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(offline_app, terminal_size=(100, 30), run_before=open_run)


def test_fix_confirmation(offline_app, snap_compare):
    from failback.remediations.fixes.base import FixAction
    from failback.tui.modals import ConfirmFix

    async def open_fix(pilot):
        await _settled(pilot)
        pilot.app.push_screen(ConfirmFix("vm.snapshots", [
            FixAction("vm.snapshots", "vm:app01", "delete all 1 snapshot(s) of VM app01 (before-windows-update) and consolidate its disks"),
            FixAction("vm.snapshots", "vm:db01", "delete the snapshots of db01", refused="db01 is poweredOn: power it off first"),
        ]))
        await pilot.pause()

    assert snap_compare(offline_app, terminal_size=(100, 30), run_before=open_fix)
