"""The site file: every problem at once, with file, line and key; a did-you-mean for typos; exit 2 from the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from failback.checks.sitefile import SiteFileError, load_site, missing_environment

MINIMAL = """\
experience = "modernized"
[vcenter]
host = "vc.example"
user = "administrator@vsphere.local"
password_env = "FAILBACK_TEST_PASSWORD_UNSET"
datacenter = "DC1"
[[vms]]
name = "app01"
"""


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_example_site_file_is_valid():
    site = load_site(Path(__file__).parents[2] / "examples" / "site.toml")
    assert site.display_name == "contoso-dc1"
    assert [vm.name for vm in site.vms] == ["app01", "db01"]


def test_site_name_defaults_to_file_stem(tmp_path):
    site = load_site(write(tmp_path, MINIMAL, "prague.toml"))
    assert site.display_name == "prague"
    assert site.vcenter.discovery_account == "administrator@vsphere.local"


def test_every_problem_is_reported_with_line_and_key(tmp_path):
    text = MINIMAL.replace('host = "vc.example"', 'hots = "vc.example"').replace('experience = "modernized"', 'experience = "modernised"')
    text += "[[vms]]\nnmae = \"db01\"\n"
    with pytest.raises(SiteFileError) as caught:
        load_site(write(tmp_path, text))
    problems = {(p.line, p.key): p.message for p in caught.value.problems}
    assert problems[(1, "experience")].startswith("Input should be 'classic' or 'modernized'")
    assert problems[(3, "vcenter.hots")] == "unknown key; did you mean 'host'?"
    assert problems[(2, "vcenter.host")] == "required key is missing"
    assert problems[(10, "vms[1].nmae")] == "unknown key; did you mean 'name'?"
    assert all(p.file.endswith("site.toml") for p in caught.value.problems)


def test_toml_syntax_error_names_the_line(tmp_path):
    with pytest.raises(SiteFileError) as caught:
        load_site(write(tmp_path, 'experience = "classic"\n[vcenter\n'))
    assert caught.value.problems[0].line == 2


def test_vm_naming_an_undefined_master_target_is_refused(tmp_path):
    with pytest.raises(SiteFileError) as caught:
        load_site(write(tmp_path, MINIMAL + 'master_target = "mt9"\n'))
    assert "mt9" in str(caught.value)


def test_thumbprint_is_normalised_and_validated(tmp_path):
    pinned = "ab" * 32
    site = load_site(write(tmp_path, MINIMAL.replace('datacenter = "DC1"', f'datacenter = "DC1"\nthumbprint = "{pinned}"')))
    assert site.vcenter.thumbprint == ":".join(["AB"] * 32)
    with pytest.raises(SiteFileError) as caught:
        load_site(write(tmp_path, MINIMAL.replace('datacenter = "DC1"', 'datacenter = "DC1"\nthumbprint = "nothex"')))
    assert caught.value.problems[0].key == "vcenter.thumbprint"


def test_missing_password_variable_is_named_with_its_line(tmp_path, monkeypatch):
    monkeypatch.delenv("FAILBACK_TEST_PASSWORD_UNSET", raising=False)
    path = write(tmp_path, MINIMAL)
    problems = missing_environment(load_site(path), path)
    assert [(p.line, p.key) for p in problems] == [(5, "vcenter.password_env")]
    assert "FAILBACK_TEST_PASSWORD_UNSET is not set" in problems[0].message


def test_cli_exits_2_without_traceback_on_a_bad_site(tmp_path):
    path = write(tmp_path, MINIMAL.replace("user =", "usr ="))
    done = subprocess.run([sys.executable, "-m", "failback.cli", "check", "--site", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{path}:4: vcenter.usr: unknown key; did you mean 'user'?" in done.stderr


def test_cli_exits_2_naming_an_unset_password_variable(tmp_path):
    path = write(tmp_path, MINIMAL)
    done = subprocess.run([sys.executable, "-m", "failback.cli", "check", "--site", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"{path}:5: vcenter.password_env: environment variable FAILBACK_TEST_PASSWORD_UNSET is not set" in done.stderr
    assert "Traceback" not in done.stderr
