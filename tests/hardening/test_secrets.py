"""No secret ever leaves memory. Every credential of a site gets its own distinct value (the vCenter password, the Azure
client secret, the master target's SSH key passphrase, the backup server's SSH key passphrase) and the real lab peers
use them; then every output is searched for every value, also URL-, HTML- and JSON-encoded: reports in every format,
the --debug log on stderr, the facts bundle, the audit log of a fix, and the messages of the exceptions the sources
raise. It is done with the right secrets, with wrong ones (refused logins explain themselves) and with every peer
unreachable, and the bearer tokens Azure issued are searched for too.
"""

from __future__ import annotations

import html
import json
import os
import urllib.parse
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from failback.checks.sitefile import load_site
from failback.checks.sources.azure import AzureSource
from failback.checks.sources.errors import SourceError
from failback.checks.sources.ssh import SshFailure, SshSession, backup_access, master_target_access
from failback.checks.sources.vcenter import VCenterSource
from failback.lab.endpoints import ClosedPort
from failback.lab.fake_arm.scenarios import SECRET_ENV, LabAzure, start_lab
from failback.lab.master_target import AGENT_VERSION, ubuntu_master_target
from failback.lab.site import APP, PASSWORD_ENV
from failback.lab.sshd import KeyPair

from .conftest import PASSPHRASE, PASSPHRASE_ENV, failback
from .sites import SiteParts, whole_site

BACKUP_PASSPHRASE_ENV = "FAILBACK_HARDENING_BACKUP_PASSPHRASE"
BACKUP_PASSPHRASE = "backup-Key-Passphrase-4!rT"
WRONG = {
    PASSWORD_ENV: "wrong-vCenter-Pa55word-Jq!",
    SECRET_ENV: "wrong-Azure-Client-Secret-6k",
    PASSPHRASE_ENV: "wrong-mt-Key-Passphrase-2w",
    BACKUP_PASSPHRASE_ENV: "wrong-backup-Passphrase-0z",
}
FORMATS = ("json", "html", "markdown", "junit", "csv", "text")


def encodings(secret: str) -> set[str]:
    """A secret as it could appear in a URL, a form, an HTML page or a JSON string."""
    return {secret, urllib.parse.quote(secret), urllib.parse.quote_plus(secret), html.escape(secret), json.dumps(secret)[1:-1]}


def assert_nowhere(secrets: Iterable[str], outputs: dict[str, str]) -> None:
    assert any(outputs.values()), "nothing was searched"
    for where, text in outputs.items():
        for secret in secrets:
            for form in encodings(secret):
                assert form not in text, f"a secret leaked into {where}"


def files_under(directory: Path) -> dict[str, str]:
    return {str(path.relative_to(directory)): path.read_text(encoding="utf-8", errors="replace")
            for path in sorted(directory.rglob("*")) if path.is_file()}


def command_outputs(name: str, done) -> dict[str, str]:
    return {f"{name} stdout": done.stdout, f"{name} stderr": done.stderr}


# == the site and its peers ===============================================================================================
@pytest.fixture(scope="module")
def arm_lab() -> Iterator[LabAzure]:
    lab = start_lab("classic")
    yield lab
    lab.arm.stop()


@pytest.fixture(scope="module")
def backup_key(ssh_keys, lab_dir) -> KeyPair:
    key = KeyPair.create(lab_dir / "keys" / "id_backup_hardening", passphrase=BACKUP_PASSPHRASE)
    ssh_keys.authorize(key)
    return key


@pytest.fixture(scope="module")
def backups(sftp_root) -> str:
    folder = sftp_root / "D:" / "ASRBackups-secrets" / "2024-05-01"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cs-db.zip").write_bytes(b"x" * 2048)
    return "D:/ASRBackups-secrets"


@pytest.fixture
def site_parts(healthy_lab, arm_lab, master_target, sftp_server, protected_key, backup_key, backups, known_hosts) -> Iterator[SiteParts]:
    ubuntu_master_target(master_target.scenario)
    with ClosedPort() as data_port:
        yield SiteParts(
            vcenter=healthy_lab, vcenter_port=healthy_lab.sim.port, azure=arm_lab, azure_overrides={"timeout_seconds": 5},
            master_target={"name": "mt01", "host": master_target.sshd.host, "ssh_port": master_target.sshd.port,
                           "ssh_user": master_target.sshd.user, "ssh_key": str(protected_key.private_path),
                           "ssh_key_passphrase_env": PASSPHRASE_ENV, "known_hosts": str(known_hosts), "port": data_port.port},
            config_server={"port": data_port.port, "version": AGENT_VERSION, "backup_path": backups,
                           "backup_ssh_port": sftp_server.port, "backup_ssh_user": sftp_server.user,
                           "backup_ssh_key": str(backup_key.private_path), "backup_ssh_key_passphrase_env": BACKUP_PASSPHRASE_ENV,
                           "backup_ssh_known_hosts": str(known_hosts)},
            vcenter_timeout=5,
        )


def right_secrets(parts: SiteParts) -> dict[str, str]:
    return {PASSWORD_ENV: parts.vcenter.sim.password, SECRET_ENV: parts.azure.secret, PASSPHRASE_ENV: PASSPHRASE,
            BACKUP_PASSPHRASE_ENV: BACKUP_PASSPHRASE}


def every_secret(parts: SiteParts) -> set[str]:
    """The right and the wrong values, and every bearer token the fake ARM has issued so far."""
    return {*right_secrets(parts).values(), *WRONG.values(), *parts.azure.arm.tokens}


def environment(secrets: dict[str, str]) -> dict[str, str]:
    return {**{key: value for key, value in os.environ.items() if key not in secrets}, **secrets}


def write_site(parts: SiteParts, directory: Path) -> Path:
    path = directory / "site.toml"
    path.write_text(whole_site(parts))
    return path


def check_and_collect(site: Path, secrets: dict[str, str], directory: Path) -> dict[str, str]:
    """`check` in every format and `collect`, both logging with --debug; everything they wrote or printed."""
    env = environment(secrets)
    formats = [argument for name in FORMATS for argument in ("--format", name)]
    checked = failback("--debug", "check", "--site", str(site), *formats, "--output", str(directory / "reports" / "preflight"), env=env)
    collected = failback("--debug", "collect", "--site", str(site), "--output", str(directory / "facts.json"), env=env)
    assert len(files_under(directory / "reports")) == len(FORMATS) + 1  # and the JSON report's .sha256
    return {**files_under(directory), **command_outputs("check", checked), **command_outputs("collect", collected)}


# == the tests ============================================================================================================
def test_no_secret_in_any_output_when_every_login_works(site_parts, tmp_path):
    site = write_site(site_parts, tmp_path)
    outputs = check_and_collect(site, right_secrets(site_parts), tmp_path)
    facts = json.loads(outputs["facts.json"])
    assert {"vcenter", "azure", "ssh", "backup"} <= set(facts["sources"]) and not facts["failures"], facts["failures"]
    assert facts["sources"]["ssh"]["master_targets"]["mt01"]["connection"]["ok"] is True
    assert facts["sources"]["backup"]["file_count"] == 1
    offline = failback("check", "--facts", str(tmp_path / "facts.json"), "--format", "json", env=environment({}))
    assert_nowhere(every_secret(site_parts), {**outputs, **command_outputs("offline check", offline)})


def test_no_secret_in_any_output_when_every_secret_is_wrong(site_parts, tmp_path):
    site = write_site(site_parts, tmp_path)
    outputs = check_and_collect(site, WRONG, tmp_path)
    failures = json.loads(outputs["facts.json"])["failures"]
    assert "refused the login" in failures["vcenter"]["reason"] and "Invalid client secret" in failures["azure"]["reason"]
    facts = json.loads(outputs["facts.json"])["sources"]
    assert "wrong passphrase" in facts["ssh"]["master_targets"]["mt01"]["connection"]["reason"]
    assert "wrong passphrase" in facts["backup"]["error"]["reason"]
    assert_nowhere(every_secret(site_parts), outputs)


def test_no_secret_in_any_output_when_no_peer_answers(site_parts, tmp_path):
    with ClosedPort() as closed:
        nowhere = f"https://127.0.0.1:{closed.port}"
        site_parts.vcenter_port = closed.port
        site_parts.azure_overrides.update(arm_endpoint=nowhere, authority=nowhere)
        site_parts.master_target["ssh_port"] = site_parts.config_server["backup_ssh_port"] = closed.port
        outputs = check_and_collect(write_site(site_parts, tmp_path), right_secrets(site_parts), tmp_path)
    failures = json.loads(outputs["facts.json"])["failures"]
    assert failures["vcenter"]["kind"] == "unreachable" and failures["azure"]["kind"] == "unreachable"
    assert_nowhere(every_secret(site_parts), outputs)


def test_no_secret_in_the_audit_log_of_a_fix(lab, site_parts, tmp_path):
    lab.admin.create_snapshot(APP, "before-patching")
    site_parts.vcenter, site_parts.vcenter_port = lab, lab.sim.port
    secrets = right_secrets(site_parts)
    audit = tmp_path / "audit.jsonl"
    fixed = failback("--debug", "fix", "--site", str(write_site(site_parts, tmp_path)), "--check", "vm.snapshots", "--target", f"vm:{APP}",
                     "--yes", "--audit-log", str(audit), env=environment(secrets))
    assert fixed.returncode == 0, fixed.stderr
    entries = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [entry["outcome"] for entry in entries] == ["started", "applied"]
    assert_nowhere(every_secret(site_parts), {"audit log": audit.read_text(), **command_outputs("fix", fixed)})


def _exception_texts(error: BaseException) -> dict[str, str]:
    """What an exception could show: its message, its repr, its evidence, and every exception chained to it."""
    texts, seen = {}, error
    while seen is not None:
        name = type(seen).__name__
        texts[f"{name} message"] = str(seen)
        texts[f"{name} repr"] = repr(seen)
        texts[f"{name} evidence"] = json.dumps(getattr(seen, "evidence", {}), default=str)
        seen = seen.__cause__ or seen.__context__
    return texts


def test_no_secret_in_the_exceptions_the_sources_raise(site_parts, tmp_path):
    site = load_site(write_site(site_parts, tmp_path))
    raised: dict[str, BaseException] = {}
    for name, collect in {"vcenter": VCenterSource(site, WRONG[PASSWORD_ENV]).collect,
                          "azure": AzureSource(site, WRONG[SECRET_ENV]).collect}.items():
        with pytest.raises(SourceError) as caught:
            collect()
        raised[name] = caught.value
    for name, access in {"master target": master_target_access(site.master_targets[0]),
                         "backup": backup_access(site.config_server)}.items():
        with pytest.raises(SshFailure) as caught:
            SshSession(access, WRONG).__enter__()
        raised[name] = caught.value
    assert raised["vcenter"].kind == raised["azure"].kind == "auth"
    assert_nowhere(every_secret(site_parts), {f"{source}: {where}": text for source, error in raised.items()
                                              for where, text in _exception_texts(error).items()})
