"""When Azure cannot be read: wrong names, refused sign-in, throttling, server errors, slowness. Every Azure check then
says why in an error result, never a traceback; retries and timeouts are azure-core's, configured from the site file."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
import trustme

from failback.checks.model import Status
from failback.checks.registry import all_checks
from failback.lab.fake_arm.scenarios import CLIENT_ID, SECRET_ENV

from .conftest import remediation_id, run_checks

# The checks that read Azure alone: the lab here has no vCenter.
AZURE_CHECKS = sorted(check.meta.id for check in all_checks() if check.meta.sources == ("azure",))


def _judged(run):
    """Results of the checks that apply to the site (the others are skipped by experience)."""
    return [r for r in run.results if r.status is not Status.SKIP]


def _all_not_verified(run, reason: str) -> None:
    judged = _judged(run)
    assert judged and all(r.status is Status.ERROR for r in judged), [(r.check, r.status.value, r.message) for r in judged]
    assert all(r.message == f"not verified: {reason}" for r in judged), judged[0].message
    assert {remediation_id(r) for r in judged} == {"azure-access"}


NETWORK_CHECKS = {"network.vpn", "network.expressroute"}  # they read the connections and circuits, not the vault
# Classic names the process server's VM in path_from: the path from Azure is tested without the vault too.
VAULT_FREE = {"classic": NETWORK_CHECKS | {"network.azure_path"}, "modernized": NETWORK_CHECKS}


def test_a_wrong_vault_name_says_which_vault_is_missing_and_the_network_is_still_judged(start, tmp_path):
    for experience in ("classic", "modernized"):
        run = run_checks(start(experience), tmp_path, *AZURE_CHECKS, vault="vault-typo")
        vault_checks = [r for r in _judged(run) if r.check not in VAULT_FREE[experience]]
        assert vault_checks and all(r.status is Status.ERROR for r in vault_checks), vault_checks
        assert {r.message for r in vault_checks} == {
            "not verified: Recovery Services vault 'vault-typo' in resource group 'rg-asr' was not found: The Resource "
            "'Microsoft.RecoveryServices/vaults/vault-typo' under resource group 'rg-asr' was not found."}
        assert {remediation_id(r) for r in vault_checks} == {"azure-resource-names"}
        assert {r.evidence["missing"] for r in vault_checks} == {"vault"}
        # The VPN connection and the circuit are judged one by one, as with the right vault.
        assert run.only("network.vpn").target.startswith("connection:") and run.only("network.vpn").status is Status.PASS
        assert run.only("network.expressroute").target.startswith("circuit:")
        assert run.only("network.expressroute").status is Status.PASS


def test_a_wrong_resource_group_says_which_group_is_missing(modernized, tmp_path):
    run = run_checks(modernized, tmp_path, *AZURE_CHECKS, resource_group="rg-typo")
    vault_checks = [r for r in _judged(run) if r.check not in NETWORK_CHECKS]
    assert {r.message for r in vault_checks} == {"not verified: Recovery Services vault 'vault-asr' in resource group "
                                                 "'rg-typo' was not found: Resource group 'rg-typo' could not be found."}
    # The connection, named in the same wrong group, says so for itself.
    assert "VPN connection 'cn-onprem' in resource group 'rg-typo'" in run.only("network.vpn").message


def test_a_wrong_secret_names_the_credential_tried_and_never_the_secret(classic, tmp_path):
    run = run_checks(classic, tmp_path, *AZURE_CHECKS, secret="Not-The-Secret-42")
    reason = run.facts.failures["azure"].reason
    assert reason.startswith(f"Azure sign-in with client_secret (service principal {CLIENT_ID} in tenant {classic.world.tenant_id}, "
                             f"secret from ${SECRET_ENV}) failed: Authentication failed: AADSTS7000215: Invalid client secret provided.")
    assert run.facts.failures["azure"].kind == "auth"
    _all_not_verified(run, reason)
    assert "Not-The-Secret-42" not in run.facts.to_json() and classic.secret not in run.facts.to_json()


def test_an_unknown_client_id_is_explained(classic, tmp_path):
    run = run_checks(classic, tmp_path, "network.vpn", client_id="0000-unknown")
    assert "AADSTS700016: Application with identifier '0000-unknown' was not found" in run.only().message


def test_a_token_arm_rejects_is_an_auth_error(classic, tmp_path):
    classic.arm.fail(r"/replicationFabrics$", 401)
    run = run_checks(classic, tmp_path, "cs.health")
    assert run.facts.failures["azure"].kind == "auth"
    assert "Azure refused the sign-in (InvalidAuthenticationToken): The access token is invalid." in run.only().message


def test_throttling_is_retried_after_the_time_azure_asks(classic, tmp_path):
    classic.arm.fail(r"/replicationProtectedItems$", 429, times=1, retry_after="1")
    run = run_checks(classic, tmp_path, "asr.item_state", retry_total=2)
    assert run.only(target="item:app01").status is Status.PASS
    calls = classic.arm.calls("/replicationProtectedItems")
    assert [call.status for call in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0, "Retry-After: 1 is honoured"


def test_server_errors_are_retried_then_reported(classic, tmp_path):
    classic.arm.fail(r"/replicationFabrics$", 500)
    run = run_checks(classic, tmp_path, *AZURE_CHECKS, retry_total=2)
    _all_not_verified(run, "Recovery Services vault 'vault-asr' in resource group 'rg-asr': Azure answered HTTP 500 "
                           "InternalServerError after 2 retries: The server encountered an internal error.")
    assert [call.status for call in classic.arm.calls("/replicationFabrics")] == [500, 500, 500]


def test_a_failing_connection_errors_only_its_own_check(classic, tmp_path):
    classic.arm.fail(r"/connections/", 503)
    run = run_checks(classic, tmp_path, "network.vpn", "network.expressroute", "asr.item_state")
    vpn = run.only("network.vpn")
    assert vpn.status is Status.ERROR and "Azure answered HTTP 503 ServiceUnavailable" in vpn.message
    assert run.only("network.expressroute").status is Status.PASS
    assert all(r.status is Status.PASS for r in run.of("asr.item_state"))


def test_a_slow_answer_times_out_within_the_configured_timeout(classic, tmp_path):
    classic.arm.slow(r"/replicationFabrics$", 3)
    began = time.monotonic()
    run = run_checks(classic, tmp_path, "cs.health", timeout_seconds=0.5)
    elapsed = time.monotonic() - began
    assert run.only().message == ("not verified: Recovery Services vault 'vault-asr' in resource group 'rg-asr': "
                                  "Azure did not answer within 0.5 s")
    assert run.facts.failures["azure"].kind == "timeout"
    assert elapsed < 2.5


def test_a_certificate_nobody_vouches_for_is_refused(classic, tmp_path):
    run = run_checks(classic, tmp_path, "cs.health", ca_file=None)
    assert run.facts.failures["azure"].kind == "untrusted"
    assert "certificate is not trusted" in run.only().message


def test_the_site_ca_file_adds_to_the_public_cas_instead_of_replacing_them(classic, tmp_path, monkeypatch):
    # The lab's CA plays a public CA here (requests' default bundle, which REQUESTS_CA_BUNDLE names) and the site's
    # ca_file is a proxy's CA that signs nothing of this lab: sign-in and ARM must still be trusted, as
    # login.microsoftonline.com must stay trusted behind a private endpoint.
    proxy_ca = tmp_path / "proxy-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(proxy_ca))
    alone = run_checks(classic, tmp_path, "cs.health", ca_file=str(proxy_ca))
    assert alone.facts.failures["azure"].kind == "untrusted", "the lab's CA is not public yet: still verified"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", classic.arm.ca_file)
    run = run_checks(classic, tmp_path, "cs.health", ca_file=str(proxy_ca))
    assert "azure" not in run.facts.failures
    assert run.only().status is Status.PASS


def test_a_netrc_password_for_the_arm_host_does_not_replace_the_token(classic, tmp_path, monkeypatch):
    # requests, left to itself, signs a request with ~/.netrc's password for the host when it is given no credential of
    # its own, over the bearer token: ARM would answer 401 to every call.
    netrc = tmp_path / "netrc"
    host = urlsplit(classic.arm.url).hostname
    netrc.write_text(f"machine {host} login someone password not-a-token\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    run = run_checks(classic, tmp_path, "cs.health")
    assert "azure" not in run.facts.failures
    assert run.only().status is Status.PASS


def test_an_unreadable_ca_file_is_a_configuration_error(classic, tmp_path):
    run = run_checks(classic, tmp_path, "cs.health", ca_file=str(tmp_path / "missing.pem"))
    assert run.facts.failures["azure"].kind == "config"
    assert "cannot load [azure] ca_file" in run.only().message and "missing.pem" in run.only().message


def test_an_unreachable_endpoint_is_reported(classic, tmp_path):
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{closed.getsockname()[1]}"
        run = run_checks(classic, tmp_path, "cs.health", arm_endpoint=url, authority=url)
    assert run.facts.failures["azure"].kind == "unreachable"
    assert f"cannot reach the authority {url}" in run.only().message


def test_a_site_without_azure_section_is_not_verified(classic, tmp_path):
    text = classic.site_text()
    start = text.index("[azure]")
    text = text[:start] + text[text.index("[config_server]"):]
    run = run_checks(classic, tmp_path, "cs.health", site_text=text)
    assert run.only().message.startswith("not verified: the site file has no [azure] section")


@pytest.mark.parametrize("experience", ["classic", "modernized"])
def test_facts_are_plain_json_without_secret_or_token(start, tmp_path, experience):
    lab = start(experience)
    run = run_checks(lab, tmp_path, *AZURE_CHECKS)
    text = run.facts.to_json()
    assert lab.secret not in text
    assert not any(token in text for token in lab.arm.tokens)
    assert "azure" in run.facts.sources and not run.facts.failures
