"""A results table that draws only the rows on screen, so filtering 5,000 results is a list comprehension, not a rebuild.

Textual's DataTable measures every cell of every row it is given; at thousands of results that alone takes most of a
second. This table keeps the results as a list and renders visible lines with the Line API.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from failback.checks.model import Result, Status

# Column widths: status, check, target; the message takes the rest.
COLUMNS = (("status", 7), ("check", 23), ("target", 26))
STATUS_STYLE = {
    Status.FAIL: Style(color="red", bold=True), Status.ERROR: Style(color="magenta", bold=True), Status.WARN: Style(color="yellow"),
    Status.WAIVED: Style(color="cyan"), Status.PASS: Style(color="green"), Status.SKIP: Style(dim=True),
}


def status_label(status: Status) -> str:
    return status.value.upper() if status in (Status.FAIL, Status.ERROR, Status.WARN) else status.value


def _cell(text: str, width: int) -> str:
    return (text[: width - 2] + "… ") if len(text) > width - 1 else text.ljust(width)


class ResultTable(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up,k", "move(-1)", "Up", show=False),
        Binding("down,j", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]
    DEFAULT_CSS = """
    ResultTable { height: 1fr; overflow-x: hidden; }
    ResultTable > .result-table--header { text-style: bold; background: $panel; }
    ResultTable > .result-table--cursor { background: $accent 40%; }
    ResultTable:focus > .result-table--cursor { background: $accent; }
    """
    COMPONENT_CLASSES = {"result-table--header", "result-table--cursor"}

    cursor_row: reactive[int] = reactive(0)

    class Highlighted(Message):
        def __init__(self, table: ResultTable, result: Result | None) -> None:
            super().__init__()
            self.table, self.result = table, result

        @property
        def control(self) -> ResultTable:
            return self.table

    class Chosen(Highlighted):
        """Enter (or a click) on a row."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: list[Result] = []

    def set_results(self, results: list[Result]) -> None:
        self.results = results
        self.virtual_size = Size(0, len(results) + 1)  # + the header line; lines are cut to the width, never scrolled
        self.cursor_row = min(self.cursor_row, max(0, len(results) - 1))
        self.refresh()
        self.post_message(self.Highlighted(self, self.selected))

    @property
    def selected(self) -> Result | None:
        return self.results[self.cursor_row] if 0 <= self.cursor_row < len(self.results) else None

    def move_cursor(self, row: int) -> None:
        if self.results:
            self.cursor_row = max(0, min(row, len(self.results) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        line = new + 1
        top = self.scroll_offset.y + 1  # the header stays on the first line
        if line < top:
            self.scroll_to(y=line - 1, animate=False)
        elif line >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=line - self.size.height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self, self.selected))

    def action_move(self, delta: int) -> None:
        self.move_cursor(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_jump(self, row: int) -> None:
        self.move_cursor(row if row >= 0 else len(self.results) - 1)

    def action_choose(self) -> None:
        if self.selected is not None:
            self.post_message(self.Chosen(self, self.selected))

    def on_click(self, event) -> None:
        row = event.y + self.scroll_offset.y - 1
        if 0 <= row < len(self.results):
            self.move_cursor(row)
            if event.chain > 1:
                self.action_choose()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            header = "".join(_cell(name, w) for name, w in COLUMNS) + "message"
            return Strip([Segment(header.ljust(width)[:width], self.get_component_rich_style("result-table--header"))])
        row = y + self.scroll_offset.y - 1
        if row >= len(self.results):
            return Strip.blank(width, self.rich_style)
        result = self.results[row]
        base = self.get_component_rich_style("result-table--cursor") if row == self.cursor_row else self.rich_style
        segments = [
            Segment(_cell(status_label(result.status), COLUMNS[0][1]), base + STATUS_STYLE[result.status]),
            Segment(_cell(result.check, COLUMNS[1][1]) + _cell(result.target, COLUMNS[2][1]), base),
        ]
        used = sum(w for _, w in COLUMNS)
        segments.append(Segment(result.message[: max(0, width - used)].ljust(max(0, width - used)), base))
        return Strip(segments).crop(0, width)
