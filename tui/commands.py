"""The command palette's failback commands: everything the keys do, findable by name."""

from __future__ import annotations

from functools import partial

from textual.command import Hit, Hits, Provider

from failback.tui.results import STATUS_FILTERS


class FailbackCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        commands = [
            ("Re-run every check", app.action_rerun_all, "gather the facts again and judge every check"),
            ("Re-run the selected check", app.action_rerun_selected, "only the check of the selected result"),
            ("Fix the selected result", app.action_fix_selected, "preview the automatic fix, then apply with confirmation"),
            ("Export the report", app.action_export, "JSON, HTML, Markdown, JUnit, CSV or text"),
            ("Search the results", app.action_search, "by check, target or message"),
            ("Show the overview", partial(app.action_show_tab, "overview"), "go/no-go per gate and the problems"),
            ("Help", app.action_help, "keys and what they do"),
        ]
        commands += [(f"Filter results: {status}", partial(app.set_filter, status), "show only these results") for status in STATUS_FILTERS]
        return commands

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield Hit(1.0, name, callback, help=help_text)
