"""Reading a site file: every problem found at once, each named by file, line and key, never a traceback."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from failback.checks.site import Site

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class SiteFileError(Exception):
    """The site file cannot be used; `problems` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_ARRAY_TABLE = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-.\"' ]+?)\s*=")


def _split_dotted(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in dotted.split(".")]


def key_lines(text: str) -> dict[Location, int]:
    """Map each table and key of a TOML text to its 1-based line, for error messages.

    tomllib keeps no positions; this follows table headers, arrays of tables and `key =` lines, which is all a site
    file uses. A key it cannot place is reported at its table's line.
    """
    lines: dict[Location, int] = {}
    table: list[str | int] = []
    array_counts: dict[tuple[str, ...], int] = {}
    # TOML ends lines at \n only; splitlines() would also split at \x85 or U+2028 inside a string and miscount.
    for number, line in enumerate(text.split("\n"), start=1):
        if match := _ARRAY_TABLE.match(line):
            path = tuple(_split_dotted(match.group(1)))
            index = array_counts.get(path, 0)
            array_counts[path] = index + 1
            table = [*path, index]
            lines.setdefault(tuple(path), number)
            lines[tuple(table)] = number
        elif match := _TABLE.match(line):
            table = _split_dotted(match.group(1))
            lines.setdefault(tuple(table), number)
        elif match := _KEY.match(line):
            lines.setdefault((*table, *_split_dotted(match.group(1))), number)
    return lines


def _line_of(lines: dict[Location, int], location: Location) -> int | None:
    for end in range(len(location), 0, -1):
        if location[:end] in lines:
            return lines[location[:end]]
    return None


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(location: Location) -> type[BaseModel] | None:
    """The pydantic model that holds the last key of a location, to suggest the keys it knows."""
    model: Any = Site
    for part in location[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            # list[Model]
            args = [a for c in candidates for a in getattr(c, "__args__", ())]
            model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return None
    return model


def _explain(error: dict[str, Any]) -> str:
    location = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        model = _model_at(location)
        known = [name for name in (model.model_fields if model else {}) if name != "source_stem"]
        close = difflib.get_close_matches(str(location[-1]), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown key{hint}"
    if error["type"] == "missing":
        return "required key is missing"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def read_text_file(path: Path, what: str) -> str:
    """A file's text, or a SiteFileError saying why it cannot be had: unreadable, or not UTF-8 text (with the line)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SiteFileError([Problem(str(path), None, "", f"cannot read the {what}: {exc.strerror}")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SiteFileError([Problem(str(path), line, "", f"the {what} is not UTF-8 text (byte {exc.start})")]) from None


def load_site(path: Path) -> Site:
    """Parse and validate a site file, raising SiteFileError with every problem at once."""
    name = str(path)
    text = read_text_file(path, "site file")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _lineno_from_message(str(exc))
        raise SiteFileError([Problem(name, line, "", f"not valid TOML: {exc}")]) from None
    lines = key_lines(text)
    problems: list[Problem] = []
    if "source_stem" in raw:
        problems.append(Problem(name, _line_of(lines, ("source_stem",)), "source_stem", "unknown key"))
        raw.pop("source_stem")
    try:
        site = Site.model_validate({**raw, "source_stem": path.stem})
    except ValidationError as exc:
        for error in exc.errors():
            location = tuple(error["loc"])
            problems.append(Problem(name, _line_of(lines, location) if location else None, _dotted(location), _explain(error)))
        raise SiteFileError(problems) from None
    if problems:
        raise SiteFileError(problems)
    return site


def _lineno_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def missing_environment(site: Site, path: Path) -> list[Problem]:
    """Environment variables the site names for secrets but the environment does not hold."""
    try:
        lines = key_lines(path.read_text(encoding="utf-8"))
    except OSError:
        lines = {}
    wanted: list[tuple[Location, str | None]] = [(("vcenter", "password_env"), site.vcenter.password_env)]
    if site.azure is not None:
        wanted.append((("azure", "client_secret_env"), site.azure.client_secret_env))
    if site.config_server is not None:
        wanted.append((("config_server", "backup_ssh_key_passphrase_env"), site.config_server.backup_ssh_key_passphrase_env))
    for index, master_target in enumerate(site.master_targets):
        wanted.append((("master_targets", index, "ssh_key_passphrase_env"), master_target.ssh_key_passphrase_env))
    wanted.append((("guest_operations", "password_env"), site.guest_operations.password_env))
    for index, vm in enumerate(site.vms):
        wanted.append((("vms", index, "guest_password_env"), vm.guest_password_env))
    return [
        Problem(str(path), _line_of(lines, location), _dotted(location), f"environment variable {variable} is not set")
        for location, variable in wanted
        if variable and variable not in os.environ
    ]
