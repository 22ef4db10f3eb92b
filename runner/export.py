"""Writing a report in several formats at once; the documents name the SHA-256 of the JSON report written with them."""

from __future__ import annotations

from pathlib import Path

from failback.runner.report import Report
from failback.runner.writers import FORMATS, writer_for
from failback.runner.writers.json_writer import digest


class ExportError(Exception):
    """A document could not be written; the message names the path and why."""


def render(report: Report, formats: list[str], verbose: bool = False, json_digest: str | None = None) -> dict[str, str]:
    """Every asked format's text, keyed by format; JSON first, so the others can cite its digest."""
    texts: dict[str, str] = {}
    if "json" in formats:
        texts["json"] = writer_for("json")(report)
        json_digest = digest(texts["json"])
    for name in formats:
        if name == "text":
            from failback.runner.writers.text_writer import write as write_text

            texts[name] = write_text(report, json_digest, verbose=verbose)
        elif name not in texts:
            texts[name] = writer_for(name)(report, json_digest)
    return texts


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


def export(report: Report, formats: list[str], output: Path, verbose: bool = False, json_digest: str | None = None) -> list[Path]:
    """Write each format; a JSON report gets a `.sha256` file beside it for `sha256sum -c`."""
    texts = render(report, formats, verbose, json_digest)
    written = []
    for name, path in paths_for(output, list(texts)).items():
        _write(path, texts[name])
        written.append(path)
        if name == "json":
            checksum = path.with_name(path.name + ".sha256")
            _write(checksum, f"{digest(texts[name])}  {path.name}\n")
            written.append(checksum)
    return written
