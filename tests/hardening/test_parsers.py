"""Every parser of outside input, fed generated input (hypothesis): site files and waiver files as an operator might
write them (typos, wrong types, broken TOML, not even text), the bastions a site names, what a Linux host answers over
SSH, and what ASR puts in its job errors and health errors. Any input gives a result or the parser's documented error, never another exception; and
what the checks then make of the parsed facts is a verdict, never a crashed check.

Example counts are kept per property (EXAMPLES) and written down in docs/hardening.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from failback.checks.facts import Facts
from failback.checks.model import Result, Status
from failback.checks.registry import all_checks, known_ids
from failback.checks.site import MasterTarget, Site
from failback.checks.sitefile import SiteFileError, load_site, missing_environment
from failback.checks.sources import linux_host
from failback.checks.sources.azure_asr import health_errors, job_facts
from failback.checks.sources.dns import DnsSource, site_names
from failback.checks.sources.ssh import CommandResult, SshFailure, SshSession, backup_access, master_target_access, parse_jump_host
from failback.checks.sources.tcp import site_endpoints
from failback.runner.engine import Selection, evaluate
from failback.runner.waivers import Waiver, WaiverFileError, apply_waivers, load_waivers

from .conftest import BUG_SIGNS, failback, make_site

EXAMPLES = {
    "site file": 300,
    "waivers file": 300,
    "each Linux output parser": 200,
    "well-formed Linux answers": 150,
    "Linux host end to end": 150,
    "bastion": 300,
    "ASR job": 300,
    "ASR health errors": 300,
}


def fuzz(name: str):
    return settings(max_examples=EXAMPLES[name], deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# == TOML as an operator writes it ========================================================================================
text_without_surrogates = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
toml_scalars = st.one_of(
    text_without_surrogates,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.dates(),
    st.datetimes(timezones=st.none() | st.just(dt.timezone.utc)),
)
toml_values = st.recursive(toml_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner, max_size=3), max_leaves=6)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, dt.date):  # dates and datetimes alike
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key} = {toml_value(item)}" for key, item in value.items()) + "}"
    # A basic string: JSON escapes what TOML needs escaped, but for DEL.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


def toml_document(top: dict[str, Any], tables: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [f"{key} = {toml_value(value)}" for key, value in top.items()]
    for header, keys in tables:
        lines.append(header)
        lines += [f"{key} = {toml_value(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


def keys_of(known: list[str]) -> st.SearchStrategy[str]:
    """Mostly a key the file format knows, sometimes a typo of one, sometimes anything."""
    typo = st.sampled_from(known).map(lambda key: key[:-1] + key[-1].upper())
    return st.one_of(st.sampled_from(known), st.sampled_from(known), typo, st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,10}", fullmatch=True))


def of_type(annotation: Any) -> st.SearchStrategy[Any]:
    """A value of the type a key declares (so validation gets past it and what reads a site is fuzzed too)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return of_type(args[0])
    if origin in (typing.Union, types.UnionType):
        return st.one_of([of_type(arg) for arg in args if arg is not type(None)])
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(of_type(args[0]), max_size=3)
    return {bool: st.booleans(), int: st.integers(0, 70000), float: st.floats(0.01, 700), str: text_without_surrogates}.get(annotation, toml_values)


# Values that are right for their type and still worth trying.
TRICKY = {
    "host": st.sampled_from(["10.0.0.5", "vc.example.local", "::1", "", " "]),
    "onprem_servers": st.lists(st.sampled_from(["10.0.0.2", "10.0.0.2:5353", "[::1]:53", "::1", "10.0.0.2:", "x:y", "10.0.0.2:²", ""]), max_size=3),
    "thumbprint": st.sampled_from(["AB:CD", ":".join(["AB"] * 32), "zz" * 32]),
    "jump_host": st.sampled_from(["bastion", "u@b:22", "a@corp@b", "[::1]:2222", "a,b", " ", "b:x", "b:99999", "[::1]:", "b:²"]),
}


def site_values(model: type, anything: bool) -> Callable[[str], st.SearchStrategy[Any]]:
    """For a key of this table: something of its type or a tricky value; with `anything`, also any value at all."""
    def value_for(key: str) -> st.SearchStrategy[Any]:
        field = model.model_fields.get(key)
        typed = of_type(field.annotation) if field else toml_values
        return st.one_of(typed, TRICKY.get(key, typed), *([toml_values] if anything else []))
    return value_for


def tables_of(header: str, known: list[str], value_for: Callable[[str], st.SearchStrategy[Any]], required: dict[str, Any] | None = None) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """A table of a few keys, each with a value; it starts from its required keys, which the drawn ones may spoil."""
    keys = st.lists(keys_of(known), max_size=4, unique=True)
    tables = keys.flatmap(lambda chosen: st.fixed_dictionaries({key: value_for(key) for key in chosen}))
    return tables.map(lambda table: (header, {**(required or {}), **table}))


def _model(annotation: Any) -> type:
    candidates = [annotation, *typing.get_args(annotation)]
    return next(c for c in candidates if isinstance(c, type) and hasattr(c, "model_fields"))


SECTIONS = {name: _model(field.annotation) for name, field in Site.model_fields.items() if name not in ("name", "experience", "source_stem")}
# What each table needs to be valid: most generated sites then get past validation.
REQUIRED = {
    "vcenter": {"host": "vc.example.local", "user": "administrator@vsphere.local", "datacenter": "DC1"},
    "azure": {"subscription_id": "s", "resource_group": "rg-asr", "vault": "vault-asr"},
    "config_server": {"host": "cs01.example.local"}, "process_server": {"host": "10.1.0.4"},
    "master_targets": {"name": "mt01"}, "vms": {"name": "app01"}, "endpoints": {"name": "extra", "host": "10.0.0.9", "port": 443},
}


def section_tables(section: str, anything: bool) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    model = SECTIONS[section]
    header = f"[[{section}]]" if section in ("master_targets", "vms", "endpoints") else f"[{section}]"
    return tables_of(header, list(model.model_fields), site_values(model, anything), required=REQUIRED.get(section))


def site_documents(anything: bool) -> st.SearchStrategy[str]:
    """Site files with the tables of a site; values of the right type (most such files are valid), or also anything."""
    others = st.sampled_from(sorted(set(SECTIONS) - {"vcenter"})).flatmap(lambda section: section_tables(section, anything))
    tables = st.tuples(section_tables("vcenter", anything), st.lists(others, max_size=6, unique_by=lambda table: table[0]))
    experience = st.one_of(st.sampled_from(["classic", "modernized"]), *([toml_values] if anything else []))
    top = st.fixed_dictionaries({"experience": experience}, optional={"name": st.one_of(text_without_surrogates, *([toml_values] if anything else []))})
    return st.builds(toml_document, top, tables.map(lambda drawn: [drawn[0], *drawn[1]]))


@st.composite
def damaged(draw, documents: st.SearchStrategy[str]) -> str:
    """A document with a slice cut out or something pasted in: a half-saved file, a bad copy and paste."""
    text = draw(documents)
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 40)))
    return text[:start] + draw(text_without_surrogates) + text[end:]


def file_contents(documents: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """Mostly documents as written, then damaged ones, any text, any bytes."""
    return st.one_of(documents.map(str.encode), documents.map(str.encode), damaged(documents).map(str.encode),
                     text_without_surrogates.map(str.encode), st.binary(max_size=60))


def assert_problems_are_clear(error: SiteFileError, path: Path, data: bytes) -> None:
    assert error.problems
    lines = data.count(b"\n") + 1
    for problem in error.problems:
        assert problem.file == str(path) and problem.message.strip(), problem
        assert problem.line is None or 1 <= problem.line <= lines + 1, (problem, lines)
        assert "Traceback" not in str(problem)


@fuzz("site file")
@given(data=file_contents(st.one_of(site_documents(anything=False), site_documents(anything=True))))
def test_any_site_file_gives_a_site_or_every_problem_with_its_place(tmp_path, data):
    path = tmp_path / "site.toml"
    path.write_bytes(data)
    try:
        site = load_site(path)
    except SiteFileError as error:
        assert_problems_are_clear(error, path, data)
        event("refused")
        return
    event("a valid site")
    # What reads a valid site next: the environment it names, the names DNS asks for, the ports probed, the SSH
    # targets (their bastions have a property of their own, below), the bundle.
    missing_environment(site, path)
    site_names(site)
    site_endpoints(site)
    DnsSource(site)
    for master_target in site.master_targets:
        json.dumps(master_target_access(master_target).describe())
    if site.config_server is not None:
        json.dumps(backup_access(site.config_server).describe())
    json.dumps(site.model_dump(mode="json"))


jump_hosts = st.one_of(st.from_regex(r"([a-z@\\]{0,6}@)?(\[[0-9a-f:]{0,6}\]|[a-z0-9.:]{0,8})(:[0-9²x]{0,6})?", fullmatch=True),
                       text_without_surrogates)


@fuzz("bastion")
@given(jump_host=jump_hosts)
def test_any_bastion_a_site_accepts_is_reached_or_refused_as_that_hosts_problem(jump_host):
    try:
        master_target = MasterTarget(name="mt01", host="10.0.0.7", jump_host=jump_host)
    except ValueError:
        return  # refused when the site file is read
    target = master_target_access(master_target)
    try:
        user, host, port = parse_jump_host(target.jump_host, target.user)
    except ValueError:
        # Documented: the session refuses it as a problem of this master target's settings, before connecting.
        with pytest.raises(SshFailure) as refused:
            SshSession(target, {}).__enter__()
        assert refused.value.kind == "config" and "jump_host" in refused.value.reason
        return
    assert user and host and 1 <= port <= 65535


# == Waivers ==============================================================================================================
WAIVER_KEYS = ["check", "target", "justification", "approver", "expires"]
KNOWN_CHECKS = sorted(known_ids())


def waiver_values(key: str) -> st.SearchStrategy[Any]:
    plausible = {
        "check": st.sampled_from([*KNOWN_CHECKS[:3], "vm.snapshot", ""]),
        "target": st.sampled_from(["*", "vm:app01", "vm:[", "vm:*", ""]),
        "expires": st.dates() | st.datetimes(),
    }
    return st.one_of(plausible.get(key, text_without_surrogates), toml_values)


waiver_tables = st.lists(tables_of("[[waiver]]", WAIVER_KEYS, waiver_values), max_size=4)
waiver_documents = st.builds(toml_document, st.dictionaries(st.sampled_from(["waiver", "waivers", "check"]), toml_values, max_size=1),
                             waiver_tables)
some_results = st.lists(st.builds(Result, check=st.sampled_from(KNOWN_CHECKS[:3]), target=st.sampled_from(["vm:app01", "vm:[x]", "site:s"]),
                             status=st.sampled_from(list(Status)), message=st.just("m")), max_size=5)


@fuzz("waivers file")
@given(data=file_contents(waiver_documents), results=some_results, today=st.dates())
def test_any_waivers_file_gives_waivers_or_every_problem_with_its_place(tmp_path, data, results, today):
    path = tmp_path / "waivers.toml"
    path.write_bytes(data)
    try:
        waivers = load_waivers(path, set(KNOWN_CHECKS))
    except WaiverFileError as error:
        assert_problems_are_clear(error, path, data)
        return
    for waiver in waivers:
        assert isinstance(waiver, Waiver) and waiver.check in KNOWN_CHECKS and isinstance(waiver.target, str)
        assert waiver.justification and waiver.approver and type(waiver.expires) is dt.date
    ledger = apply_waivers(results, waivers, today)
    assert len(ledger) == len(waivers)
    json.dumps(ledger)


# == What a Linux host answers ============================================================================================
def answers(tokens: list[str], separators: str) -> st.SearchStrategy[str]:
    """Lines of fields a real answer is made of, mixed with anything, joined the way that answer joins them."""
    field = st.one_of(st.sampled_from(tokens), text_without_surrogates)
    line = st.tuples(st.lists(field, max_size=6), st.sampled_from(list(separators))).map(lambda pair: pair[1].join(pair[0]))
    return st.one_of(st.lists(line, max_size=8).map("\n".join), text_without_surrogates)


def df_answers() -> st.SearchStrategy[str]:
    """`df -P -k` shaped: a header, then a filesystem's line whose numbers may be anything that looks like one."""
    number = st.one_of(st.integers(0, 2**60).map(str), st.sampled_from(["²", "٣", "-1", "1e3", "0x10", "", "-"]), text_without_surrogates)
    line = st.tuples(st.sampled_from(["/dev/sdb1", "tmpfs", ""]), number, number, number, st.sampled_from(["50%", "-"]),
                     st.sampled_from(["/mnt/retention", "/mnt/a b", ""])).map(" ".join)
    header = "Filesystem 1024-blocks Used Available Capacity Mounted on"
    return st.one_of(line.map(lambda text: f"{header}\n{text}\n"), answers([header, "/dev/sdb1", "100%"], " "))


OUTPUTS = {
    "os_release": (linux_host.parse_os_release, answers(['ID', 'ubuntu', 'ID_LIKE', '"rhel fedora"', 'VERSION_ID', '"16.04"', "#", "'"], "=")),
    "redhat_release": (linux_host.parse_redhat_release, answers(["CentOS", "Linux", "release", "6.6", "(Final)", "Red Hat Enterprise"], " ")),
    "mount_table": (linux_host.parse_mount_table, answers(["/dev/sda1", "/mnt/retention", "ext4", "defaults", "0", "#", "\\040", "\\777"], " \t")),
    "df": (linux_host.parse_df, df_answers()),
    "vx_version": (linux_host.parse_vx_version, answers(["VERSION", "PROD_VERSION", "INSTALLATION_DIR", "9.54.0.0", "version"], "=")),
    "dpkg_query": (linux_host.parse_dpkg_query, answers(["ii", "rc", "i", "lvm2", "kpartx:amd64", "2.02.133-1ubuntu10"], "\t")),
    "rpm_query": (linux_host.parse_rpm_query, answers(["xfsprogs", "3.1.1-16.el6", " "], "\t")),
    "apt_periodic": (linux_host.parse_apt_periodic, answers(['APT::Periodic::Unattended-Upgrade', '"1";', '"0";', "APT::Periodic::"], " ")),
    "lsblk": (linux_host.parse_lsblk, answers(["sda", "disk", "sda1", "part", "mpatha", "mpath"], " ")),
}


def _plain(value: Any) -> bool:
    """Facts are plain JSON: what a bundle saves and a check reads."""
    json.dumps(value)
    return True


@pytest.mark.parametrize("name", OUTPUTS)
@fuzz("each Linux output parser")
@given(data=st.data())
def test_every_linux_output_parser_reads_any_answer(name, data):
    parse, outputs = OUTPUTS[name]
    parsed = parse(data.draw(outputs))
    assert _plain(parsed)
    if name in ("os_release", "redhat_release") and parsed is not None:
        assert isinstance(parsed["id"], str) and all(isinstance(like, str) for like in parsed["id_like"])
        assert linux_host.package_manager(parsed) in (None, "dpkg", "rpm")
    if name == "df" and parsed is not None:
        assert all(isinstance(parsed[key], int) and parsed[key] >= 0 for key in ("size_bytes", "used_bytes", "available_bytes"))


package_names = st.from_regex(r"[a-z0-9][a-z0-9+.\-]{0,15}", fullmatch=True)
versions = st.from_regex(r"[0-9][A-Za-z0-9.+~\-]{0,12}", fullmatch=True)


@fuzz("well-formed Linux answers")
@given(packages=st.dictionaries(package_names, st.tuples(versions, st.sampled_from(["ii", "rc", "un", "iU", "hi"])), max_size=8))
def test_dpkg_answers_are_read_exactly(packages):
    output = "".join(f"{state}\t{name}\t{version}\n" for name, (version, state) in packages.items())
    installed = {name: version for name, (version, state) in packages.items() if state[1] == "i"}
    assert linux_host.parse_dpkg_query(output) == installed


@fuzz("well-formed Linux answers")
@given(blocks=st.tuples(*[st.integers(0, 2**50)] * 3), mount=st.sampled_from(["/mnt/retention", "/mnt/with space", "/"]))
def test_df_answers_are_read_exactly(blocks, mount):
    size, used, available = blocks
    output = f"Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sdb1 {size} {used} {available} 50% {mount}\n"
    assert linux_host.parse_df(output) == {"filesystem": "/dev/sdb1", "size_bytes": size * 1024, "used_bytes": used * 1024,
                                           "available_bytes": available * 1024, "mounted_on": mount}


class ScriptedHost:
    """Stands for an SSH session: each command answers what the test drew for it."""

    def __init__(self, answers: dict[tuple[str, ...], CommandResult]):
        self._answers = answers

    def run(self, argv, timeout=None) -> CommandResult:
        return self._answers[tuple(argv)]


SSH_CHECKS = frozenset(check.meta.id for check in all_checks() if check.meta.sources == ("ssh",))
ALL_QUESTIONS = [*linux_host.FIRST_ROUND, *(fact for round_ in linux_host.PACKAGE_ROUND.values() for fact in round_)]
ANSWERS_FOR_PARSER = {parse: outputs for parse, outputs in OUTPUTS.values()}


@fuzz("Linux host end to end")
@given(data=st.data())
def test_any_answers_of_a_master_target_give_verdicts(data):
    """The parsers and the SSH checks together: whatever the host says, each check ends with a verdict and a reason."""
    scripted = {}
    for question in ALL_QUESTIONS:
        output = data.draw(ANSWERS_FOR_PARSER.get(question.parse, text_without_surrogates), label=question.name)
        status = data.draw(st.sampled_from([0, 0, 0, 1, 2]), label=f"{question.name} exit")
        scripted[question.argv] = CommandResult(" ".join(question.argv), status, output, "no such file")
    host = linux_host.describe_linux_host(ScriptedHost(scripted))
    assert _plain(host)
    site = make_site(master_targets=[{"name": "mt01", "host": "10.0.0.7"}], config_server={"host": "cs01", "version": "9.54.0.0"})
    access = master_target_access(site.master_targets[0]).describe()
    facts = Facts(site, "2024-05-01T00:00:00+00:00", "test", sources={"ssh": {"master_targets": {
        "mt01": {"access": access, "connection": {"ok": True, "host_key": {"type": "ssh-ed25519", "sha256": "SHA256:x", "verified": True}},
                 **host}}}})
    for result in evaluate(facts, Selection(only=SSH_CHECKS)).results:
        assert result.message.strip() and not any(sign in result.message for sign in BUG_SIGNS), (result.check, result.message)


# == What ASR says about its jobs and its health ===========================================================================
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text_without_surrogates)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text_without_surrogates, inner, max_size=3),
                           max_leaves=6)
moments = st.one_of(st.datetimes().map(lambda moment: moment.isoformat() + "Z"), json_values)


def payload(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """An object with any of these fields (each right or of any JSON type), or sometimes not an object at all."""
    return st.one_of(st.fixed_dictionaries({}, optional={key: st.one_of(value, json_values) for key, value in fields.items()}),
                     json_values)


service_error = payload({"code": text_without_surrogates, "message": text_without_surrogates, "possibleCauses": text_without_surrogates,
                         "recommendedAction": text_without_surrogates, "activityId": text_without_surrogates})
provider_error = payload({"errorCode": st.integers(), "errorMessage": text_without_surrogates, "errorId": text_without_surrogates})
job_error = payload({"serviceErrorDetails": service_error, "providerErrorDetails": provider_error, "errorLevel": text_without_surrogates,
                     "creationTime": moments, "taskId": text_without_surrogates})
job_payloads = payload({"id": text_without_surrogates, "name": text_without_surrogates, "properties": payload({
    "scenarioName": text_without_surrogates, "friendlyName": text_without_surrogates, "state": st.sampled_from(["Failed", "Succeeded"]),
    "startTime": moments, "endTime": moments, "targetObjectId": text_without_surrogates, "targetObjectName": text_without_surrogates,
    "errors": st.lists(job_error, max_size=4)})})
health_error = payload({"errorCode": text_without_surrogates, "errorMessage": text_without_surrogates, "summaryMessage": text_without_surrogates,
                        "possibleCauses": text_without_surrogates, "recommendedAction": text_without_surrogates,
                        "errorLevel": st.sampled_from(["Error", "Warning"]), "creationTimeUtc": moments})
health_payloads = st.one_of(st.lists(health_error, max_size=5), json_values)

TEXT_OR_NONE = (str, type(None))


def _sdk(model: Any, document: Any) -> Any:
    """The SDK's model of an ARM answer, built the way its operations build it."""
    from azure.mgmt.recoveryservicessiterecovery._utils.model_base import _deserialize

    return _deserialize(model, document)


@fuzz("ASR job")
@given(document=job_payloads)
def test_any_asr_job_answer_gives_its_facts(document):
    from azure.mgmt.recoveryservicessiterecovery.models import Job

    facts = job_facts(_sdk(Job, document))
    assert _plain(facts)
    for error in facts["errors"]:
        assert all(isinstance(error[key], TEXT_OR_NONE) for key in ("code", "message", "possible_causes", "recommended_action"))
    assert all(isinstance(facts[key], TEXT_OR_NONE) for key in ("id", "state", "scenario", "started", "target_id"))


@fuzz("ASR health errors")
@given(document=health_payloads)
def test_any_asr_health_errors_give_their_facts(document):
    from azure.mgmt.recoveryservicessiterecovery.models import HealthError

    errors = health_errors(_sdk(list[HealthError], document) if isinstance(document, list) else document)
    assert _plain(errors)
    assert all(isinstance(value, TEXT_OR_NONE) for error in errors for value in error.values())


# == The same, through the command line ====================================================================================
NOT_TEXT = b"name = \"x\xff\xfe\"\n"


def test_files_that_are_not_text_are_refused_clearly_by_the_command_line(tmp_path):
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(NOT_TEXT)
    for args, says in [(("check", "--site", str(garbage)), "the site file is not UTF-8 text"),
                       (("check", "--facts", str(garbage)), "not a failback facts bundle"),
                       (("check", "--facts", str(garbage), "--waivers", str(garbage)), "the waivers file is not UTF-8 text"),
                       (("report", "--from", str(garbage)), "not a text file")]:
        done = failback(*args)
        assert done.returncode == 2 and says in done.stderr, (args, done.stderr)
