"""The `failback` command. Imports stay inside the commands so `failback --help` starts fast."""

from __future__ import annotations

import argparse
import difflib
import getpass
import logging
import os
import sys
from pathlib import Path

from runner.report import ExitCode

GATES = ("reprotect", "failover", "after-failback")

_EPILOG = """\
exit codes of `check`: 0 ready (only pass, warn, skip, waived), 1 at least one fail, 2 bad usage or site file,
3 no fail but at least one error (something could not be verified).

examples:
  failback checks                                   list the check catalog
  failback check --site site.toml                   run every check, print the verdict and what to do
  failback check --site site.toml --gate reprotect --format json --output preflight.json
  failback collect --site site.toml --output facts.json   save the facts (no secrets) for offline review
  failback check --facts facts.json                 evaluate a saved bundle again, offline
  failback demo                                     the whole preflight on an embedded lab vCenter
"""


class UsageError(Exception):
    """Bad command line or site: exit 2 with this message, never a traceback."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="failback",
        description="Preflight checks for failing back from Azure Site Recovery to on-premises VMware.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="log what the sources do (never secrets) to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="run the preflight checks and report the go/no-go",
                                description="Gather facts from the site (or a saved bundle) and judge every check.")
    origin = check.add_mutually_exclusive_group(required=True)
    origin.add_argument("--site", type=Path, metavar="FILE", help="the site file (TOML): see examples/site.toml")
    origin.add_argument("--facts", type=Path, metavar="FACTS.json", help="evaluate a bundle saved by `failback collect`, offline")
    check.add_argument("--gate", choices=GATES, help="only the checks that must pass before this phase (default: all)")
    check.add_argument("--only", metavar="ID,...", help="only these check ids (see `failback checks`)")
    check.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")
    check.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("-v", "--verbose", action="store_true", help="text format: list passed and skipped results too")

    collect = commands.add_parser("collect", help="gather the site's facts into a bundle for offline review",
                                  description="Save every fact the checks read (never a secret) to a JSON bundle.")
    collect.add_argument("--site", type=Path, required=True, metavar="FILE", help="the site file (TOML)")
    collect.add_argument("--output", type=Path, required=True, metavar="FACTS.json", help="where to write the bundle")

    catalog = commands.add_parser("checks", help="list the check catalog", description="List every check with its gates and experiences.")
    catalog.add_argument("--json", action="store_true", help="as JSON: id, title, severity, gates, experiences, remediation")

    demo = commands.add_parser("demo", help="run the preflight on an embedded lab vCenter full of problems",
                               description="Start VMware's simulator as a lab site with typical failback problems and run the preflight on it.")
    demo.add_argument("--format", choices=("text", "json"), default="text", help="report format (default: text)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="failback: %(levelname)s: %(message)s", stream=sys.stderr)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "collect":
            return _collect(args)
        if args.command == "checks":
            return _list_checks(args)
        if args.command == "demo":
            from lab.demo import run_demo

            return run_demo(args.format)
    except UsageError as exc:
        print(f"failback: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("failback: interrupted", file=sys.stderr)
        return 130
    return ExitCode.USAGE


# -- check and collect ------------------------------------------------------------------------------------------------
def _load_site(path: Path):
    from checks.sitefile import SiteFileError, load_site

    try:
        return load_site(path)
    except SiteFileError as exc:
        raise UsageError("the site file has problems:\n  " + "\n  ".join(str(p) for p in exc.problems)) from None


def _selection(args: argparse.Namespace):
    from checks.model import Gate
    from checks.registry import known_ids
    from runner.engine import Selection

    only = None
    if args.only:
        only = frozenset(part.strip() for part in args.only.split(",") if part.strip())
        known = known_ids()
        unknown = sorted(only - known)
        if unknown:
            hints = [f"{u} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(u, known, n=1)) else u for u in unknown]
            raise UsageError(f"--only names unknown check ids: {', '.join(hints)}; `failback checks` lists them")
    return Selection(gate=Gate(args.gate) if args.gate else None, only=only)


def _vcenter_password(site, site_path: Path) -> str:
    from checks.sitefile import missing_environment

    variable = site.vcenter.password_env
    if variable:
        problems = [p for p in missing_environment(site, site_path) if p.key == "vcenter.password_env"]
        if problems:
            raise UsageError(str(problems[0]))
        return os.environ[variable]
    if sys.stdin.isatty():
        return getpass.getpass(f"Password for {site.vcenter.user} on {site.vcenter.host}: ")
    raise UsageError(f"{site_path}: [vcenter] has no password_env and stdin is not a terminal to ask for the password")


def _gather(site_path: Path, selection):
    from checks.sources.vcenter import VCenterSource
    from runner.engine import collect, select_collectors

    site = _load_site(site_path)
    factories = {"vcenter": lambda: VCenterSource(site, _vcenter_password(site, site_path)).collect}
    return collect(site, select_collectors(site, selection, factories))


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None


def _check(args: argparse.Namespace) -> int:
    from checks.facts import Facts, FactsFileError
    from runner.engine import evaluate
    from runner.writers import writer_for

    selection = _selection(args)
    if args.facts is not None:
        try:
            facts = Facts.load(args.facts)
        except FactsFileError as exc:
            raise UsageError(str(exc)) from None
    else:
        facts = _gather(args.site, selection)
    report = evaluate(facts, selection)
    if args.format == "text":
        from runner.writers.text_writer import write

        text = write(report, verbose=args.verbose)
    else:
        text = writer_for(args.format)(report)
    _emit(text, args.output)
    if args.output is not None:
        counts = report.counts()
        print(f"{'READY' if report.ready else 'NOT READY'}: {counts['fail']} fail, {counts['error']} error, {counts['warn']} warn; report in {args.output}", file=sys.stderr)
    return report.exit_code


def _collect(args: argparse.Namespace) -> int:
    from runner.engine import Selection

    facts = _gather(args.site, Selection())
    try:
        facts.save(args.output)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    for name, failure in sorted(facts.failures.items()):
        print(f"failback: {name}: {failure.reason}", file=sys.stderr)
    print(f"facts from {', '.join(sorted(facts.sources)) or 'no source'} saved to {args.output}", file=sys.stderr)
    return ExitCode.ERROR if facts.failures else ExitCode.READY


# -- the catalog --------------------------------------------------------------------------------------------------------
def _list_checks(args: argparse.Namespace) -> int:
    import json

    from checks.registry import all_checks

    checks = all_checks()
    if args.json:
        print(json.dumps([
            {
                "id": c.meta.id,
                "title": c.meta.title,
                "severity": c.meta.severity.value,
                "gates": [g.value for g in c.meta.gates],
                "experiences": sorted(e.value for e in c.meta.experiences),
                "remediation": c.meta.remediation,
                "why": c.meta.why,
            }
            for c in checks
        ], indent=2))
        return ExitCode.READY
    for c in checks:
        experiences = "both" if len(c.meta.experiences) == 2 else next(iter(c.meta.experiences)).value
        gates = ",".join(g.value for g in c.meta.gates)
        print(f"{c.meta.id:<22} {c.meta.severity.value:<8} {gates:<26} {experiences:<10} {c.meta.title}")
    return ExitCode.READY


if __name__ == "__main__":
    sys.exit(main())
