"""The dashboard's behaviour, driven with Textual's Pilot as an operator would with the keyboard."""

from __future__ import annotations

from textual.widgets import Input, Markdown, Static

from failback.tui.modals import ConfirmFix, ExportDialog, HelpScreen
from failback.tui.result_table import ResultTable, status_label


def rows(app, table_id: str) -> list[tuple[str, str, str]]:
    return [(status_label(r.status), r.check, r.target) for r in app.query_one(table_id, ResultTable).results]


async def test_first_screen_shows_go_no_go_and_the_problems_without_a_key_press(offline_app):
    async with offline_app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "NO-GO" in str(pilot.app.query_one("#gate-reprotect", Static).render())
        problems = rows(pilot.app, "#problems")
        assert ("FAIL", "vm.snapshots", "vm:app01") in problems
        assert ("FAIL", "vcenter.permissions", "vcenter:127.0.0.1") in problems
        assert all(status in ("FAIL", "ERROR", "WARN") for status, _, _ in problems)


async def test_filter_and_search_narrow_the_results(offline_app):
    async with offline_app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("2")
        everything = len(pilot.app.report.results)
        for _ in range(5):  # problems -> fail -> error -> warn -> waived -> pass
            await pilot.press("f")
        assert pilot.app.view.status == "pass"
        assert {status for status, _, _ in rows(pilot.app, "#table")} == {"pass"}
        await pilot.press("f", "f")  # skip -> all
        assert pilot.app.view.status == "all" and len(rows(pilot.app, "#table")) == everything
        await pilot.press("slash")
        await pilot.press(*"snapshot app01")
        assert pilot.app.query_one("#search", Input).value == "snapshot app01"
        assert rows(pilot.app, "#table") == [("FAIL", "vm.snapshots", "vm:app01")]


async def test_detail_pane_shows_what_to_do(offline_app):
    async with offline_app.run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("slash", *"permissions", "tab")
        await pilot.pause()
        detail = pilot.app.query_one("#detail", Markdown).source
        assert "Grant the discovery account every privilege ASR needs" in detail
        assert "Datastore.AllocateSpace" in detail and "### Evidence" in detail


async def test_enter_on_a_problem_opens_it_in_the_results_view(offline_app):
    async with offline_app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        table = pilot.app.query_one("#problems", ResultTable)
        table.focus()
        table.move_cursor(next(i for i, row in enumerate(rows(pilot.app, "#problems")) if row[1] == "vm.snapshots"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.selected_result().check == "vm.snapshots"


async def test_export_writes_the_chosen_formats(offline_app, tmp_path):
    async with offline_app.run_test(size=(100, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("e")
        dialog = pilot.app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#export-path", Input).value = str(tmp_path / "cab")
        await pilot.click("#export")
        await pilot.pause()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cab.html", "cab.json", "cab.json.sha256", "cab.md"]


async def test_fixes_are_not_offered_offline(offline_app):
    async with offline_app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("slash", *"snapshot", "tab", "x")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, ConfirmFix)


async def test_help_and_quit(offline_app):
    async with offline_app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.press("q")
    assert offline_app.return_code == 0


async def test_ctrl_q_quits(offline_app):
    async with offline_app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+q")
    assert offline_app.return_code == 0
