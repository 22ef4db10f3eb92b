"""The `failback` command. Imports stay inside the commands so `failback --help` starts fast."""

from __future__ import annotations

import argparse
import difflib
import gc
import getpass
import logging
import os
import sys
from pathlib import Path

from failback.runner.report import ExitCode
from failback.runner.version import TOOL_VERSION

GATES = ("reprotect", "failover", "after-failback")

_EPILOG = """\
exit codes of `check`: 0 ready (only pass, warn, skip, waived), 1 at least one fail, 2 bad usage or site file,
3 no fail but at least one error (something could not be verified).
with --baseline LAST.json (scheduled runs): the report is the same, but the exit code only counts what is new or worse
since LAST.json: 1 a fail, 3 an error, 0 nothing new or worse; a LAST.json that does not exist yet counts nothing as known.
exit codes of `diff`: 0 nothing got worse and nothing new fails or errs, 1 otherwise, 2 a file that is not a JSON report.

examples:
  failback checks                                   list the check catalog
  failback check --site site.toml                   run every check, print the verdict and what to do
  failback check --site site.toml --gate reprotect --format json --output preflight.json
  failback collect --site site.toml --output facts.json   save the facts (no secrets) for offline review
  failback check --facts facts.json                 evaluate a saved bundle again, offline
  failback check --site site.toml --waivers waivers.toml --format json --format html --format junit --output cab/preflight
  failback report --from cab/preflight.json --format markdown --output cab/preflight.md
  failback check --site site.toml --baseline last.json --format json --format junit --output preflight
  failback diff last.json preflight.json --format markdown   what got worse, better, new, gone
  failback demo [--headless]                        the whole product on an embedded demo site (no Azure, no vCenter)
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
    parser.add_argument("--version", action="version", version=f"failback {TOOL_VERSION}")
    parser.add_argument("--debug", action="store_true", help="log what the sources do (never secrets) to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="run the preflight checks and report the go/no-go",
                                description="Gather facts from the site (or a saved bundle) and judge every check.")
    origin = check.add_mutually_exclusive_group(required=True)
    origin.add_argument("--site", type=Path, metavar="FILE", help="the site file (TOML): see examples/site.toml")
    origin.add_argument("--facts", type=Path, metavar="FACTS.json", help="evaluate a bundle saved by `failback collect`, offline")
    check.add_argument("--gate", choices=GATES, help="only the checks that must pass before this phase (default: all)")
    check.add_argument("--only", metavar="ID,...", help="only these check ids (see `failback checks`)")
    _add_output_arguments(check)
    check.add_argument("--waivers", type=Path, metavar="FILE", help="accepted risks: [[waiver]] check, target, justification, approver, expires")
    check.add_argument("--baseline", type=Path, metavar="LAST.json",
                       help="a JSON report of an earlier run: exit 1 (fail) or 3 (error) only for problems new or worse since then")
    check.add_argument("-v", "--verbose", action="store_true", help="text format: list passed and skipped results too")

    render = commands.add_parser("report", help="render a saved JSON report again, in other formats",
                                 description="Render a JSON report written by `failback check --format json` as Markdown, HTML, JUnit, CSV or text.")
    render.add_argument("--from", dest="source", type=Path, required=True, metavar="REPORT.json", help="the saved JSON report")
    _add_output_arguments(render)

    from failback.runner.diff_writers import DIFF_FORMATS

    compare = commands.add_parser("diff", help="compare two JSON reports: what got worse, better, new, gone",
                                  description="Compare two JSON reports of `failback check --format json`. Statuses rank pass, skip, "
                                              "waived < warn < error < fail. Exit 0 when nothing got worse and no new result "
                                              "fails or errs, 1 otherwise, 2 when a file is not a failback JSON report.")
    compare.add_argument("old", type=Path, metavar="OLD.json", help="the earlier report (the baseline)")
    compare.add_argument("new", type=Path, metavar="NEW.json", help="the later report")
    compare.add_argument("--format", choices=tuple(DIFF_FORMATS), default="text", help="text (default), markdown or json")

    collect = commands.add_parser("collect", help="gather the site's facts into a bundle for offline review",
                                  description="Save every fact the checks read (never a secret) to a JSON bundle.")
    collect.add_argument("--site", type=Path, required=True, metavar="FILE", help="the site file (TOML)")
    collect.add_argument("--output", type=Path, required=True, metavar="FACTS.json", help="where to write the bundle")

    catalog = commands.add_parser("checks", help="list the check catalog", description="List every check with its gates and experiences.")
    catalog.add_argument("--json", action="store_true", help="as JSON: id, title, severity, gates, experiences, remediation")

    fix = commands.add_parser("fix", help="apply the automated fix of a failing check, with confirmation",
                              description="Show exactly what the fix of a check will change, ask, apply it, run the check again "
                                          "and print its status. Exit 0 applied and passing, 1 applied but not passing or the fix "
                                          "failed or was refused, 2 bad usage or no automatic fix, 4 declined (nothing changed).")
    fix.add_argument("--site", type=Path, required=True, metavar="FILE", help="the site file (TOML)")
    fix.add_argument("--check", required=True, metavar="ID", help="the check to fix, e.g. vm.snapshots")
    fix.add_argument("--target", metavar="T", help="only this target (kind:name; * and ? match), e.g. vm:app01")
    consent = fix.add_mutually_exclusive_group()
    consent.add_argument("--dry-run", action="store_true", help="show what would change and change nothing")
    consent.add_argument("--yes", action="store_true", help="apply without asking (no terminal and no --yes means declined)")
    fix.add_argument("--audit-log", type=Path, metavar="FILE", help="where fixes are recorded (default: ~/.local/state/failback/audit.jsonl)")
    fix.add_argument("--record", type=Path, metavar="BEFORE.json",
                     help="guest.ip_mode: the JSON report or facts bundle saved before failback, whose static IPs are to be restored")

    tui = commands.add_parser("tui", help="the interactive dashboard: go/no-go, problems, fixes, export",
                              description="Open the terminal dashboard (q quits, ? shows the keys).")
    tui_origin = tui.add_mutually_exclusive_group(required=True)
    tui_origin.add_argument("--site", type=Path, metavar="FILE", help="the site file (TOML)")
    tui_origin.add_argument("--facts", type=Path, metavar="FACTS.json", help="browse a saved facts bundle, offline")
    tui.add_argument("--waivers", type=Path, metavar="FILE", help="accepted risks, as for `check`")
    tui.add_argument("--state-dir", type=Path, metavar="DIR", help="where failback runs keep their journal, as for `run`")

    run = commands.add_parser("run", help="drive the whole failback through ASR, gated by the preflight, resumable",
                              description="Reprotect toward on-premises, fail over and commit, the manual steps, then reprotect to "
                                          "Azure again; every step journaled so --resume continues after a crash or Ctrl-C. "
                                          "Exit 0 completed, 1 stopped (failed gate or job), 2 bad usage or site or another run "
                                          "holds the site, 4 declined by the operator.")
    run.add_argument("--site", type=Path, required=True, metavar="FILE", help="the site file (TOML) with an [azure] section")
    mode = run.add_mutually_exclusive_group(required=True)
    mode.add_argument("--plan", action="store_true", help="print the steps and each request to ASR (its body, and where every id in it "
                      "comes from), change nothing; exit 1 when a request has no verified choice for an id")
    mode.add_argument("--apply", action="store_true", help="run the steps, asking at gates and manual steps")
    mode.add_argument("--resume", action="store_true", help="continue an interrupted run from its journal")
    run.add_argument("--yes", action="store_true", help="unattended: confirm gates and manual steps (still stops on a failed gate or job)")
    run.add_argument("--delete-azure-vms", action="store_true", help="also delete the old Azure VMs at the end (never done otherwise)")
    run.add_argument("--waivers", type=Path, metavar="FILE", help="accepted risks at the gates, as for `check`")
    run.add_argument("--state-dir", type=Path, metavar="DIR", help="where runs keep their journal (default: ~/.local/state/failback/runs)")
    run.add_argument("--output", type=Path, metavar="PATH", help="at the end, write the last gate's report with the run's timeline (stem, like check --output)")
    run.add_argument("--format", action="append", choices=("json", "html", "markdown", "junit", "csv", "text"), metavar="FORMAT",
                     help="formats of --output, may repeat (default: json and html); with --plan, json prints the plan as JSON")

    demo = commands.add_parser(
        "demo", help="the whole product on an embedded demo site: preflight, fixes, the failback, the report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start a demo site on loopback (VMware's simulator as vCenter, a fake Azure and ASR, an sshd as the\n"
                    "master target), broken the usual ways: a snapshot, a read-only discovery account, a free ESXi licence,\n"
                    "a static IP, a closed 9443, a stale configuration-server backup, a disconnected VPN tunnel. Then open\n"
                    "the dashboard on it: fix, re-run, run the failback (one ASR job fails on purpose), export the report.\n"
                    "Nothing leaves this machine; every lab peer stops when the demo ends.",
        epilog="examples:\n  failback demo                      the dashboard; its first notice says what to press\n"
               "  failback demo --headless           the same story played alone and printed (for CI, or a quick look)")
    demo.add_argument("--headless", action="store_true", help="play the story without the dashboard and print it (the default when stdout is no terminal)")
    demo.add_argument("--output", type=Path, metavar="DIR", help="the directory the headless story writes its reports into "
                      "(default: a fresh one under ~/.local/state/failback/demo, printed at the end)")
    return parser


def _add_output_arguments(command: argparse.ArgumentParser) -> None:
    from failback.runner.writers import FORMATS

    command.add_argument("--format", action="append", choices=tuple(FORMATS), metavar="FORMAT",
                         help=f"report format, may be given several times: {', '.join(FORMATS)} (default: text)")
    command.add_argument("--output", type=Path, metavar="PATH",
                         help="write the report to PATH instead of stdout; with several formats PATH is the stem and each "
                              "format gets its extension (report -> report.json, report.html, ...); a JSON report gets a "
                              ".sha256 file beside it for `sha256sum -c`")


def tune_garbage_collector() -> None:
    """Collect cycles every 100,000 allocations instead of 700. A large site's facts and results are tens of thousands
    of objects that live until the command ends: with the default thresholds the collector re-walked them in six full
    passes, 0.7 s of a 2.2 s check at 20,000 VMs, and found nothing to free. (Objects without cycles are freed at once
    either way.)"""
    gc.set_threshold(100_000, 20, 100)


def main(argv: list[str] | None = None) -> int:
    tune_garbage_collector()
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="failback: %(levelname)s: %(message)s", stream=sys.stderr)
    if not args.debug:
        logging.getLogger("azure").setLevel(logging.ERROR)  # azure-identity warns of each failed sign-in; the report says it once
        logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # its transport thread logs what the ssh source reports
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    commands = {"check": _check, "collect": _collect, "checks": _list_checks, "report": _render_saved, "diff": _diff, "fix": _fix, "tui": _tui, "run": _run, "demo": _demo}
    try:
        return commands[args.command](args)
    except UsageError as exc:
        print(f"failback: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("failback: interrupted", file=sys.stderr)
        return 130


def _demo(args: argparse.Namespace) -> int:
    from failback.lab.demo import run_demo

    headless = args.headless or not (sys.stdin.isatty() and sys.stdout.isatty())
    return run_demo(headless, args.output)


# -- check and collect ------------------------------------------------------------------------------------------------
def _load_site(path: Path):
    from failback.checks.sitefile import SiteFileError, load_site

    try:
        return load_site(path)
    except SiteFileError as exc:
        raise UsageError("the site file has problems:\n  " + "\n  ".join(str(p) for p in exc.problems)) from None


def _selection(args: argparse.Namespace):
    from failback.checks.model import Gate
    from failback.checks.registry import known_ids
    from failback.runner.engine import Selection

    only = None
    if args.only:
        only = frozenset(part.strip() for part in args.only.split(",") if part.strip())
        known = known_ids()
        unknown = sorted(only - known)
        if unknown:
            hints = [f"{u} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(u, known, n=1)) else u for u in unknown]
            raise UsageError(f"--only names unknown check ids: {', '.join(hints)}; `failback checks` lists them")
    return Selection(gate=Gate(args.gate) if args.gate else None, only=only)


def _access(site_path: Path):
    from failback.runner.access import SiteAccess

    prompt = getpass.getpass if sys.stdin.isatty() else None
    return SiteAccess(_load_site(site_path), site_path, prompt)


def _gather(site_path: Path, selection):
    from failback.runner.access import AccessError

    try:
        return _access(site_path).collect(selection)
    except AccessError as exc:
        raise UsageError(str(exc)) from None


def _documents(report, formats: list[str], output: Path | None, verbose: bool = False, json_digest: str | None = None) -> list[Path]:
    """Write the report in every format asked for, to stdout (one format) or to files."""
    from failback.runner.export import ExportError, export, render

    if output is None:
        if len(formats) > 1:
            raise UsageError("several --format need --output PATH (each format is written to PATH.<extension>)")
        sys.stdout.write(render(report, formats, verbose, json_digest)[formats[0]])
        return []
    try:
        return export(report, formats, output, verbose, json_digest)
    except ExportError as exc:
        raise UsageError(str(exc)) from None


def _waivers(path: Path | None):
    if path is None:
        return []
    from failback.checks.registry import known_ids
    from failback.runner.waivers import WaiverFileError, load_waivers

    try:
        return load_waivers(path, known_ids())
    except WaiverFileError as exc:
        raise UsageError("the waivers file has problems:\n  " + "\n  ".join(str(p) for p in exc.problems)) from None


def _check(args: argparse.Namespace) -> int:
    from failback.checks.facts import Facts, FactsFileError
    from failback.runner.engine import evaluate

    selection = _selection(args)
    waivers = _waivers(args.waivers)
    baseline = _read_baseline(args.baseline) if args.baseline else None  # a bad one is refused before any collection
    if args.facts is not None:
        try:
            facts = Facts.load(args.facts)
        except FactsFileError as exc:
            raise UsageError(str(exc)) from None
    else:
        facts = _gather(args.site, selection)
    report = evaluate(facts, selection, waivers)
    written = _documents(report, args.format or ["text"], args.output, verbose=args.verbose)
    if written:
        counts = report.counts()
        print(f"{'READY' if report.ready else 'NOT READY'}: {counts['fail']} fail, {counts['error']} error, {counts['warn']} warn, "
              f"{counts['waived']} waived; written: {', '.join(str(p) for p in written)}", file=sys.stderr)
    for waiver in report.waivers:
        if waiver["state"] == "expired":
            print(f"failback: waiver for {waiver['check']} ({waiver['target']}) expired on {waiver['expires']} and no longer applies", file=sys.stderr)
    if baseline is not None:
        return _judge_against_baseline(baseline, args.baseline, report)
    return report.exit_code


def _read_report(path: Path):
    """A saved JSON report and its text (for its digest); anything else is bad usage that names the file."""
    import json

    from failback.runner.report import ReportFileError, report_from_document

    try:
        text = path.read_text(encoding="utf-8")
        return report_from_document(json.loads(text)), text
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file, so not a JSON report") from None
    except ReportFileError as exc:
        raise UsageError(f"{path}: {exc}") from None


def _read_baseline(path: Path):
    """The baseline report; None when it does not exist yet (a scheduled run's first): then nothing counts as known."""
    if not path.exists():
        print(f"failback: baseline {path} does not exist yet: every problem counts as new", file=sys.stderr)
        return None
    return _read_report(path)[0]


def _judge_against_baseline(baseline, baseline_path: Path, report) -> int:
    from failback.runner.diff import compare

    diff = compare(baseline, report)
    for note in diff.notes:
        print(f"failback: baseline: {note}", file=sys.stderr)
    problems = diff.new_problems
    print(f"since the baseline {baseline_path} ({baseline.generated_at}): "
          f"{f'{len(problems)} new or worse problem(s)' if problems else 'nothing new or worse'}", file=sys.stderr)
    for change in problems:
        before = change.before.value if change.before else "new"
        print(f"  {before} -> {change.after.value}: {change.check} {change.target}: {change.message}", file=sys.stderr)
    return diff.baseline_exit_code


def _diff(args: argparse.Namespace) -> int:
    from failback.runner.diff import compare
    from failback.runner.diff_writers import DIFF_FORMATS

    old, _ = _read_report(args.old)
    new, _ = _read_report(args.new)
    diff = compare(old, new)
    sys.stdout.write(DIFF_FORMATS[args.format](diff))
    return diff.exit_code


def _render_saved(args: argparse.Namespace) -> int:
    from failback.runner.writers.json_writer import digest

    report, text = _read_report(args.source)
    formats = [f for f in (args.format or ["text"]) if f != "json"] or ["text"]
    written = _documents(report, formats, args.output, json_digest=digest(text))
    if written:
        print(f"written: {', '.join(str(p) for p in written)}", file=sys.stderr)
    return ExitCode.READY


def _collect(args: argparse.Namespace) -> int:
    from failback.runner.engine import Selection

    facts = _gather(args.site, Selection())
    try:
        facts.save(args.output)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
    for name, failure in sorted(facts.failures.items()):
        print(f"failback: {name}: {failure.reason}", file=sys.stderr)
    print(f"facts from {', '.join(sorted(facts.sources)) or 'no source'} saved to {args.output}", file=sys.stderr)
    return ExitCode.ERROR if facts.failures else ExitCode.READY


def _fix(args: argparse.Namespace) -> int:
    from failback.checks.registry import known_ids
    from failback.remediations import catalog
    from failback.remediations.fixes import fix_for
    from failback.runner.access import AccessError
    from failback.runner.fix import NoAutomaticFix, run_fix

    if args.check not in known_ids():
        raise UsageError(f"no check named {args.check!r}; `failback checks` lists them")
    fix = fix_for(args.check)
    if fix is None:
        from failback.checks.registry import get

        remediation = catalog.get(get(args.check).meta.remediation)
        steps = "\n".join(f"  {n}. {step}" for n, step in enumerate(remediation.steps, 1))
        raise UsageError(f"{args.check} has no automatic fix; what to do ({remediation.title}):\n{steps}")
    access = _access(args.site)

    def confirm(actions) -> bool:
        if args.yes:
            return True
        if not sys.stdin.isatty():
            print("failback: no terminal to confirm on and no --yes: declined", file=sys.stderr)
            return False
        return input("Apply? [y/N] ").strip().lower() in ("y", "yes")

    def show(actions) -> None:
        print(f"The fix of {args.check} will:")
        for action in actions:
            if action.refused:
                print(f"  - {action.target}: NOT {action.description}: {action.refused}")
            else:
                print(f"  - {action.target}: {action.description}")

    def confirm_after_showing(actions) -> bool:
        show(actions)
        return confirm(actions)

    collect = access.collect
    if args.record is not None:
        from failback.runner.ip_record import RecordFileError, load_records, with_records

        try:
            collect = with_records(collect, load_records(args.record))
        except RecordFileError as exc:
            raise UsageError(str(exc)) from None
    try:
        outcome = run_fix(access.site, args.check, args.target, collect, {fix.source: access.secrets(fix.source)},
                          confirm_after_showing, dry_run=args.dry_run, audit_log=args.audit_log)
    except AccessError as exc:
        raise UsageError(str(exc)) from None
    except NoAutomaticFix:
        raise UsageError(f"{args.check} has no automatic fix") from None
    if args.dry_run or (outcome.actions and not any(a.refused is None for a in outcome.actions)):
        show(outcome.actions)
    for action, worked, happened in outcome.applied:
        print(f"{'applied' if worked else 'FAILED'}: {action.target}: {happened}")
    for result in outcome.after:
        print(f"{result.status.value} {result.check} {result.target}: {result.message}")
    print(outcome.message, file=sys.stderr)
    return outcome.exit_code


def _tui(args: argparse.Namespace) -> int:
    from failback.runner.preflight import Preflight

    waivers = _waivers(args.waivers)
    if args.facts is not None:
        from failback.checks.facts import Facts, FactsFileError

        try:
            facts = Facts.load(args.facts)
        except FactsFileError as exc:
            raise UsageError(str(exc)) from None
        preflight = Preflight(facts.site, facts=facts, waivers=waivers)
    else:
        access = _access(args.site)
        # Ask for the password before the screen takes the terminal.
        from failback.runner.access import AccessError

        try:
            if access.site.vcenter.password_env is None:
                access.vcenter_password()
        except AccessError as exc:
            raise UsageError(str(exc)) from None
        preflight = Preflight(access.site, access=access, waivers=waivers)
    from failback.tui.app import FailbackApp

    FailbackApp(preflight, args.state_dir).run()
    return ExitCode.READY


def _run(args: argparse.Namespace) -> int:
    from failback.runner.access import AccessError
    from failback.runner.failback_run import RunRefused, print_plan, run_failback

    access = _access(args.site)
    try:
        if args.plan:
            return print_plan(access, "json" if args.format == ["json"] else "text")
        return run_failback(access, args.resume, args.yes, args.delete_azure_vms, _waivers(args.waivers), args.state_dir,
                            args.output, args.format)
    except (AccessError, RunRefused) as exc:
        raise UsageError(str(exc)) from None


# -- the catalog --------------------------------------------------------------------------------------------------------
def _list_checks(args: argparse.Namespace) -> int:
    import json

    from failback.checks.registry import all_checks

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


def entry() -> None:
    """The `failback` command: main(), then exit; without waiting for sources abandoned at their deadline."""
    try:
        code = main()
    except BrokenPipeError:  # `failback checks | head`: the reader left; no traceback (Python's documented recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    engine = sys.modules.get("failback.runner.engine")  # not imported: no source ran
    if engine is not None and engine.abandoned_sources():
        # Their threads (and the pools they started) may wait on a dripping peer for hours; the report is out.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    entry()
