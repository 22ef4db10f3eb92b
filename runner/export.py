"""Writing a report in several formats at once; the documents name the SHA-256 of the JSON report written with them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from failback.runner.report import Report
from failback.runner.writers import FORMATS, writer_for
from failback.runner.writers.json_writer import digest, pieces


class ExportError(Exception):
    """A document could not be written; the message names the path and why."""


def render(report: Report, formats: list[str], verbose: bool = False, json_digest: str | None = None) -> dict[str, str]:
    """Every asked format's text, keyed by format; JSON first, so the others can cite its digest."""
    texts: dict[str, str] = {}
    if "json" in formats:
        texts["json"] = writer_for("json")(report)
        json_digest = digest(texts["json"])
    for name in formats:
        if name not in texts:
            texts[name] = _text(report, name, verbose, json_digest)
    return texts


def _text(report: Report, name: str, verbose: bool, json_digest: str | None) -> str:
    if name == "text":
        from failback.runner.writers.text_writer import write as write_text

        return write_text(report, json_digest, verbose=verbose)
    return writer_for(name)(report, json_digest)


def paths_for(output: Path, formats: list[str]) -> dict[str, Path]:
    """With one format, PATH itself; with several, PATH is a stem and each format gets its extension."""
    if len(formats) == 1:
        return {formats[0]: output}
    extensions = {f.extension for f in FORMATS.values()}
    stem = output.with_suffix("") if output.suffix.lstrip(".") in extensions else output
    return {name: stem.with_name(f"{stem.name}.{FORMATS[name].extension}") for name in formats}


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from None


def _write_json(report: Report, path: Path) -> str:
    """The JSON report streamed to its file and hashed on the way (a large site's report is never one string in
    memory); its SHA-256 is returned."""
    hasher = hashlib.sha256()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            for piece in pieces(report):
                data = piece.encode("utf-8")
                hasher.update(data)
                out.write(data)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from None
    return hasher.hexdigest()


def export(report: Report, formats: list[str], output: Path, verbose: bool = False, json_digest: str | None = None) -> list[Path]:
    """Write each format, JSON first so the others cite its digest; a JSON report gets a `.sha256` file beside it for
    `sha256sum -c`."""
    ordered = list(dict.fromkeys(sorted(formats, key=lambda name: name != "json")))
    written = []
    for name, path in paths_for(output, ordered).items():
        if name == "json":
            json_digest = _write_json(report, path)
            checksum = path.with_name(path.name + ".sha256")
            _write(checksum, f"{json_digest}  {path.name}\n")
            written += [path, checksum]
        else:
            _write(path, _text(report, name, verbose, json_digest))
            written.append(path)
    return written
