"""Faults injected into every source, against the real lab peers: connections cut (RST or FIN) or stalled at points
swept through a whole fault-free conversation (TLS handshake, login, retrievals, logout), a vCenter killed mid-run,
ARM throttling, server errors and slowness, DNS servers that never answer or answer nonsense, ports that hang.

Each case holds the same line: every selected check still ends with a status and a reason (an error names what went
wrong and what to do), no check loses its result, a fault never changes a verdict into another pass, warn or fail, and
the collection ends within its timeouts. The command line never shows a traceback.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from failback.checks.model import Experience, Status
from failback.checks.registry import all_checks
from failback.checks.sitefile import load_site
from failback.checks.sources.azure import OPERATION_TIMEOUT_FACTOR, AzureSource
from failback.checks.sources.backup import BackupSource
from failback.checks.sources.dns import DnsSource
from failback.checks.sources.master_targets import MasterTargetSource
from failback.checks.sources.tcp import TcpSource
from failback.checks.sources.vcenter import VCenterSource
from failback.lab.dns import SilentDnsServer
from failback.lab.endpoints import BlackholePort, SilentPort, TlsPort, certificate
from failback.lab.fake_arm.scenarios import LabAzure, SECRET_ENV, start_lab
from failback.lab.master_target import AGENT_VERSION, ubuntu_master_target
from tests.labsite import VCENTER_CHECKS

from .conftest import Run, assert_explained, assert_faithful, cut_point, failback, failure_kinds, make_site, run_sources
from .faultproxy import FaultProxy
from .sites import SiteParts, whole_site

# A fault is allowed this much on top of the timeouts it meets: scheduling noise on a busy CI machine.
SLACK_SECONDS = 1.0
# Where in a fault-free conversation (as a share of the bytes the server sends) a connection is cut or stalled.
CUT_AT = (0.0, 0.005, 0.015, 0.03, 0.1, 0.3, 0.6, 0.95, 0.999)
STALL_AT = (0.0, 0.015, 0.1, 0.6, 0.999)

# Runs the checks of one source through the given proxy.
FaultRun = Callable[[FaultProxy], Run]


@dataclass
class Baseline:
    run: Run  # the fault-free verdicts
    server_bytes: int  # what the server sends in a fault-free collection, through the proxy
    upstream: tuple[str, int]


def _measure(upstream: tuple[str, int], through: FaultRun) -> Baseline:
    with FaultProxy(upstream) as proxy:
        run = through(proxy)
    assert_explained(run)
    return Baseline(run, proxy.bytes_down, upstream)


def _with_fault(baseline: Baseline, through: FaultRun, fault: str, share: float) -> Run:
    with FaultProxy(baseline.upstream, after_bytes=cut_point(baseline.server_bytes, share), fault=fault) as proxy:
        return through(proxy)


# == vCenter =============================================================================================================
VCENTER_TIMEOUT = 1  # pyVmomi takes whole seconds
VCENTER_IDS = frozenset(VCENTER_CHECKS)


@pytest.fixture(scope="module")
def vcenter(healthy_lab, tmp_path_factory) -> tuple[Baseline, FaultRun]:
    directory = tmp_path_factory.mktemp("vcenter-faults")
    sim = healthy_lab.sim

    def through(proxy: FaultProxy) -> Run:
        text = healthy_lab.site_path.read_text().replace(f"port = {sim.port}", f"port = {proxy.port}")
        path = directory / "site.toml"
        path.write_text(text.replace("timeout_seconds = 10", f"timeout_seconds = {VCENTER_TIMEOUT}"))
        site = load_site(path)
        return run_sources(site, {"vcenter": VCenterSource(site, sim.password).collect}, VCENTER_IDS)

    return _measure((sim.host, sim.port), through), through


@pytest.mark.parametrize("share", CUT_AT)
@pytest.mark.parametrize("fault", ["reset", "close"])
def test_vcenter_cut_anywhere_in_the_conversation_is_an_error_saying_so(vcenter, fault, share):
    baseline, through = vcenter
    run = _with_fault(baseline, through, fault, share)
    assert_faithful(run, baseline.run)
    assert failure_kinds(run) <= {"unreachable", "tls"}
    assert run.elapsed < baseline.run.elapsed + SLACK_SECONDS, "a cut connection is noticed at once"


@pytest.mark.parametrize("share", STALL_AT)
def test_vcenter_stalling_anywhere_costs_one_timeout(vcenter, share):
    baseline, through = vcenter
    run = _with_fault(baseline, through, "stall", share)
    assert_faithful(run, baseline.run)
    assert failure_kinds(run) <= {"timeout"}
    # One timeout, not one per call still to make: no DestroyView and no logout over a hung connection.
    assert run.elapsed < baseline.run.elapsed + VCENTER_TIMEOUT + SLACK_SECONDS


def test_vcenter_killed_mid_retrieval_through_the_command_line(lab, tmp_path):
    # A clean collection of the lab is about 140 kB: 40 kB in, the inventory retrieval is under way.
    with FaultProxy((lab.sim.host, lab.sim.port), after_bytes=40_000, fault="relay", on_trip=lab.sim.stop) as proxy:
        site = tmp_path / "site.toml"
        site.write_text(lab.site_path.read_text().replace(f"port = {lab.sim.port}", f"port = {proxy.port}"))
        done = failback("check", "--site", str(site), "--only", ",".join(VCENTER_CHECKS), "--format", "json", env=lab.env())
    assert proxy.tripped.is_set() and not lab.sim.running
    assert done.returncode == 3, done.stderr
    results = json.loads(done.stdout)["results"]
    connect = next(r for r in results if r["check"] == "vcenter.connect")
    assert connect["status"] == "error" and "connection lost" in connect["message"], connect
    assert all(r["status"] in ("error", "skip") and r["message"] for r in results)


# == SSH: the master target ==============================================================================================
SSH_TIMEOUT = 0.5
SSH_IDS = frozenset(check.meta.id for check in all_checks() if check.meta.sources == ("ssh",))


def _trusting(directory: Path, proxy: FaultProxy, ssh_keys) -> Path:
    """A known_hosts file that trusts the lab host key behind the proxy's port."""
    path = directory / f"known_hosts-{proxy.port}"
    path.write_text(f"[{proxy.host}]:{proxy.port} {ssh_keys.host.public_line}\n")
    return path


@pytest.fixture(scope="module")
def master_target_ssh(master_target, ssh_keys, tmp_path_factory) -> tuple[Baseline, FaultRun]:
    directory = tmp_path_factory.mktemp("ssh-faults")
    ubuntu_master_target(master_target.scenario)

    def through(proxy: FaultProxy, timeout: float = SSH_TIMEOUT) -> Run:
        entry = {"name": "mt01", "host": proxy.host, "ssh_port": proxy.port, "ssh_user": master_target.sshd.user,
                 "ssh_key": str(ssh_keys.user.private_path), "known_hosts": str(_trusting(directory, proxy, ssh_keys)),
                 "ssh_timeout_seconds": timeout}
        site = make_site(master_targets=[entry], config_server={"host": "cs01.lab.test", "version": AGENT_VERSION})
        return run_sources(site, {"ssh": MasterTargetSource(site, {}).collect}, SSH_IDS)

    # The fault-free run gets a generous timeout: the lab's commands start a mount namespace each.
    return _measure((master_target.sshd.host, master_target.sshd.port), lambda proxy: through(proxy, 10)), through


@pytest.mark.parametrize("share", (0.0, 0.05, 0.1, 0.3, 0.6, 0.999))
@pytest.mark.parametrize("fault", ["reset", "close"])
def test_ssh_dropped_anywhere_is_an_error_of_that_master_target(master_target_ssh, fault, share):
    baseline, through = master_target_ssh
    run = _with_fault(baseline, through, fault, share)
    assert_faithful(run, baseline.run)
    assert failure_kinds(run) <= {"unreachable", "protocol", "timeout"}
    assert run.elapsed < baseline.run.elapsed + SSH_TIMEOUT + SLACK_SECONDS


@pytest.mark.parametrize("share", (0.0, 0.1, 0.3, 0.6))
def test_ssh_stalling_anywhere_ends_within_its_timeout(master_target_ssh, share):
    baseline, through = master_target_ssh
    run = _with_fault(baseline, through, "stall", share)
    assert_faithful(run, baseline.run)
    assert failure_kinds(run) <= {"timeout"}, [r.message for r in run.results]
    assert run.elapsed < baseline.run.elapsed + SSH_TIMEOUT + SLACK_SECONDS


# == SFTP: the configuration server's backups ============================================================================
@pytest.fixture(scope="module")
def backup_sftp(sftp_server, sftp_root, ssh_keys, tmp_path_factory) -> tuple[Baseline, FaultRun]:
    directory = tmp_path_factory.mktemp("sftp-faults")
    backups = sftp_root / "D:" / "ASRBackups-faults"
    for day in range(1, 11):  # a listing long enough to be cut in the middle
        (backups / f"2024-05-{day:02}").mkdir(parents=True, exist_ok=True)
        (backups / f"2024-05-{day:02}" / "cs-db.zip").write_bytes(b"x" * 2048)

    def through(proxy: FaultProxy, timeout: float = SSH_TIMEOUT) -> Run:
        # An IP literal: cs.backup compares it with nothing DNS would have to answer.
        site = make_site(config_server={
            "host": "127.0.0.1", "ip": "127.0.0.1", "backup_path": "D:/ASRBackups-faults", "backup_ssh_port": proxy.port,
            "backup_ssh_user": sftp_server.user, "backup_ssh_key": str(ssh_keys.user.private_path),
            "backup_ssh_known_hosts": str(_trusting(directory, proxy, ssh_keys)), "backup_timeout_seconds": timeout,
        })
        collectors = {"backup": BackupSource(site, {}).collect, "dns": DnsSource(site).collect}
        return run_sources(site, collectors, frozenset({"cs.backup"}))

    return _measure((sftp_server.host, sftp_server.port), lambda proxy: through(proxy, 10)), through


@pytest.mark.parametrize("fault, share", [*(("reset", share) for share in (0.0, 0.2, 0.3, 0.5, 0.9)),
                                          *(("stall", share) for share in (0.2, 0.3, 0.5, 0.9))])
def test_sftp_dropped_or_stalled_while_listing_backups(backup_sftp, fault, share):
    baseline, through = backup_sftp
    run = _with_fault(baseline, through, fault, share)
    assert_faithful(run, baseline.run)
    assert run.elapsed < baseline.run.elapsed + SSH_TIMEOUT + SLACK_SECONDS


# == Azure: ARM and the token endpoint ===================================================================================
AZURE_TIMEOUT = 0.5
AZURE_IDS = frozenset(check.meta.id for check in all_checks() if "azure" in check.meta.sources)
# What the Azure lab's classic site judges (the others are skipped there).
AZURE_CLASSIC_IDS = frozenset(check.meta.id for check in all_checks() if "azure" in check.meta.sources and check.meta.applies_to(Experience.CLASSIC))
# A stall meets one request timeout, or the timeout of the long-running call it hit (effective rules, connectivity).
AZURE_STALL_BOUND = (1 + OPERATION_TIMEOUT_FACTOR) * AZURE_TIMEOUT


@pytest.fixture(scope="module")
def arm_lab() -> Iterator[LabAzure]:
    lab = start_lab("classic")
    yield lab
    lab.arm.stop()


@pytest.fixture
def arm(arm_lab) -> Iterator[LabAzure]:
    yield arm_lab
    arm_lab.arm.faults.clear()


def _azure_run(lab: LabAzure, directory: Path, **azure_overrides) -> Run:
    path = directory / "site.toml"
    path.write_text(lab.site_text(**{"timeout_seconds": AZURE_TIMEOUT, **azure_overrides}))
    site = load_site(path)
    return run_sources(site, {"azure": AzureSource(site, lab.secret).collect}, AZURE_IDS)


@pytest.fixture(scope="module")
def azure(arm_lab, tmp_path_factory) -> tuple[Baseline, FaultRun]:
    directory = tmp_path_factory.mktemp("azure-faults")

    def through(proxy: FaultProxy, timeout: float = AZURE_TIMEOUT) -> Run:
        url = f"https://{proxy.host}:{proxy.port}"
        return _azure_run(arm_lab, directory, arm_endpoint=url, authority=url, timeout_seconds=timeout)

    return _measure(("127.0.0.1", arm_lab.arm.port), lambda proxy: through(proxy, 5)), through


@pytest.mark.parametrize("share", (0.0, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999))
def test_arm_connection_cut_anywhere_errors_only_what_it_cut(azure, share):
    baseline, through = azure
    run = _with_fault(baseline, through, "reset", share)
    assert_faithful(run, baseline.run)
    assert failure_kinds(run) <= {"unreachable"}
    assert run.elapsed < baseline.run.elapsed + SLACK_SECONDS


@pytest.mark.parametrize("share", (0.0, 0.1, 0.3, 0.6, 0.9))
def test_arm_stalling_anywhere_ends_within_its_timeouts(azure, share):
    baseline, through = azure
    run = _with_fault(baseline, through, "stall", share)
    assert_faithful(run, baseline.run)
    assert run.elapsed < baseline.run.elapsed + AZURE_STALL_BOUND + SLACK_SECONDS


@pytest.fixture(scope="module")
def azure_baseline(arm_lab, tmp_path_factory) -> Run:
    return _azure_run(arm_lab, tmp_path_factory.mktemp("azure-baseline"), timeout_seconds=5)


RETRIES = 2
SLOW = AZURE_TIMEOUT * 6  # well past the timeout; the fake answers afterwards, to nobody
# name: (how the fake misbehaves, the [azure] keys of the site, the checks that must say so)
ARM_FAULTS = {
    "token endpoint throttles, Retry-After 1 h": (lambda arm: arm.fail(r"/oauth2/", 429, retry_after="3600"), {"retry_total": RETRIES},
                                                  AZURE_CLASSIC_IDS),
    "vault throttles, Retry-After 1 h": (lambda arm: arm.fail(r"/replicationFabrics$", 429, retry_after="3600"), {"retry_total": RETRIES},
                                         AZURE_CLASSIC_IDS),
    "vault answers 500": (lambda arm: arm.fail(r"/replicationProtectedItems$", 500), {"retry_total": RETRIES}, AZURE_CLASSIC_IDS),
    "token endpoint answers 503": (lambda arm: arm.fail(r"/oauth2/", 503), {}, AZURE_CLASSIC_IDS),
    "a VPN connection answers 503": (lambda arm: arm.fail(r"/connections/", 503), {}, {"network.vpn"}),
    "token endpoint slow": (lambda arm: arm.slow(r"/oauth2/", SLOW), {}, AZURE_CLASSIC_IDS),
    "fabrics slow": (lambda arm: arm.slow(r"/replicationFabrics$", SLOW), {}, AZURE_CLASSIC_IDS),
    "jobs slow": (lambda arm: arm.slow(r"/replicationJobs$", SLOW), {}, set()),
    "recovery plan slow": (lambda arm: arm.slow(r"/replicationRecoveryPlans/", SLOW), {}, {"asr.item_state", "asr.recovery_point"}),
    "Azure VMs slow": (lambda arm: arm.slow(r"/virtualMachines/", SLOW), {}, {"azure.vm_running"}),
    "NIC list slow": (lambda arm: arm.slow(r"/networkInterfaces$", SLOW), {}, {"network.nsg"}),
    "effective rules slow": (lambda arm: arm.slow(r"/effectiveNetworkSecurityGroups", SLOW), {}, {"network.nsg"}),
    "connectivity check slow": (lambda arm: arm.slow(r"/connectivityCheck", SLOW), {}, {"network.azure_path"}),
    "BGP peer status slow": (lambda arm: arm.slow(r"/getBgpPeerStatus", SLOW), {}, {"network.vpn"}),
    "ExpressRoute circuit slow": (lambda arm: arm.slow(r"/expressRouteCircuits/", SLOW), {}, {"network.expressroute"}),
}


@pytest.mark.parametrize("name", ARM_FAULTS)
def test_arm_throttling_errors_and_slowness_end_within_the_timeouts(arm, azure_baseline, tmp_path, name):
    inject, settings, must_error = ARM_FAULTS[name]
    inject(arm.arm)
    run = _azure_run(arm, tmp_path, **settings)
    assert_faithful(run, azure_baseline)
    errored = {r.check for r in run.results if r.status is Status.ERROR}
    assert must_error <= errored, f"{name}: {sorted(must_error - errored)} did not say so"
    # Retries wait at most one timeout each, whatever Retry-After asks (an hour here).
    retries = settings.get("retry_total", 0) * AZURE_TIMEOUT * 2
    assert run.elapsed < azure_baseline.elapsed + AZURE_STALL_BOUND + retries + SLACK_SECONDS


def test_arm_throttling_names_the_status_and_the_retries(tmp_path):
    # A lab of its own: calls the earlier fault tests left running (a retry sleeping, a slowed answer) must not be counted.
    lab = start_lab("classic")
    try:
        lab.arm.fail(r"/replicationFabrics$", 429, retry_after="3600")
        run = _azure_run(lab, tmp_path, retry_total=RETRIES)
    finally:
        lab.arm.stop()
    reason = run.facts.failures["azure"].reason
    assert f"Azure answered HTTP 429 TooManyRequests after {RETRIES} retries" in reason
    assert [call.status for call in lab.arm.calls("/replicationFabrics")] == [429] * (RETRIES + 1)


# == DNS ==================================================================================================================
DNS_TIMEOUT = 0.5


class AnsweringDnsServer:
    """A UDP socket on loopback that answers every query with `reply(query)`: a broken or hostile DNS server."""

    def __init__(self, reply: Callable[[bytes], bytes]):
        self._reply = reply
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        threading.Thread(target=self._serve, name="dns-fault", daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                query, peer = self._socket.recvfrom(4096)
                self._socket.sendto(self._reply(query), peer)
            except OSError:
                return  # closed

    def close(self) -> None:
        self._socket.close()


def _flags(query: bytes, flags: bytes) -> bytes:
    """The query sent back as a response with these header flags and no records."""
    return query[:2] + flags + query[4:6] + bytes(6) + query[12:]


DNS_REPLIES = {
    "random bytes": lambda query: bytes(range(7, 47)),
    "one byte": lambda query: b"\x00",
    "the query echoed back": lambda query: query,
    "an answer to another query id": lambda query: bytes([query[0] ^ 0xFF]) + query[1:],
    "SERVFAIL": lambda query: _flags(query, b"\x81\x82"),
    "truncated, and TCP refused": lambda query: _flags(query, b"\x83\x80"),
}


@pytest.fixture(params=["never answers", *DNS_REPLIES])
def broken_dns(request) -> Iterator[str]:
    server = SilentDnsServer() if request.param == "never answers" else AnsweringDnsServer(DNS_REPLIES[request.param])
    yield server.address
    server.close()


def test_a_dns_server_that_never_answers_or_answers_nonsense_is_an_error_within_one_timeout(broken_dns):
    names = [f"esx{index:02}.lab.test" for index in range(20)]  # asked all at once: one timeout, not twenty
    site = make_site(vcenter={"host": "vcenter.lab.test", "user": "u", "datacenter": "DC1", "target_hosts": names},
                     dns={"onprem_servers": [broken_dns], "azure_servers": [broken_dns], "timeout_seconds": DNS_TIMEOUT})
    run = run_sources(site, {"dns": DnsSource(site).collect}, frozenset({"dns.resolution"}))
    assert_explained(run)
    assert run.results and all(r.status is Status.ERROR for r in run.results), [(r.target, r.message) for r in run.results]
    assert run.elapsed < DNS_TIMEOUT + SLACK_SECONDS


# == TCP and TLS probes ===================================================================================================
PROBE_TIMEOUT = 0.5


@pytest.fixture(scope="module")
def tls_port() -> Iterator[TlsPort]:
    with TlsPort(certificate(trustme.CA(), "cs01.lab.test")) as port:
        yield port


@pytest.mark.parametrize("fault, after", [("reset", 0), ("reset", 500), ("close", 500), ("stall", 0), ("stall", 500)])
def test_a_tls_handshake_cut_or_stalled_is_a_port_result_with_its_reason(tls_port, fault, after):
    with FaultProxy((tls_port.host, tls_port.port), after_bytes=after, fault=fault) as proxy:
        site = make_site(endpoints=[{"name": "configuration server", "host": proxy.host, "port": proxy.port, "tls": True}],
                         policy={"probe_timeout_seconds": PROBE_TIMEOUT})
        run = run_sources(site, {"tcp": TcpSource(site).collect}, frozenset({"network.ports"}))
    assert_explained(run)
    (probe,) = run.facts.sources["tcp"]["endpoints"]
    assert probe["outcome"] in ({"tls_timeout"} if fault == "stall" else {"tls_error"}), probe
    assert run.elapsed < PROBE_TIMEOUT + SLACK_SECONDS


def test_many_ports_that_hang_take_one_probe_timeout():
    ports = [BlackholePort() for _ in range(10)] + [SilentPort() for _ in range(10)]
    try:
        endpoints = [{"name": f"port {index}", "host": port.host, "port": port.port, "tls": isinstance(port, SilentPort)}
                     for index, port in enumerate(ports)]
        site = make_site(endpoints=endpoints, policy={"probe_timeout_seconds": PROBE_TIMEOUT})
        run = run_sources(site, {"tcp": TcpSource(site).collect}, frozenset({"network.ports"}))
    finally:
        for port in ports:
            port.close()
    assert_explained(run)
    assert {probe["outcome"] for probe in run.facts.sources["tcp"]["endpoints"]} == {"timeout", "tls_timeout"}
    assert run.elapsed < PROBE_TIMEOUT + SLACK_SECONDS


# == Everything at once, through the command line =========================================================================
# A clean collection of the lab vCenter sends about 140 kB: 40 kB in, the inventory retrieval is under way.
VCENTER_MID_RETRIEVAL = 40_000
# The lab master target's conversation is about 17 kB: 4 kB in, its commands are running.
SSH_MID_COMMANDS = 4_000
COMMAND_LINE_START_SECONDS = 8.0  # an interpreter importing the SDKs, on a busy machine (a test worker per core)


def test_every_source_failing_at_once_through_the_command_line(healthy_lab, arm, master_target, ssh_keys, tmp_path):
    ubuntu_master_target(master_target.scenario)
    arm.arm.fail(r"/replicationFabrics$", 500)
    with (FaultProxy((healthy_lab.sim.host, healthy_lab.sim.port), after_bytes=VCENTER_MID_RETRIEVAL, fault="stall") as vcenter,
          FaultProxy((master_target.sshd.host, master_target.sshd.port), after_bytes=SSH_MID_COMMANDS, fault="reset") as ssh,
          SilentDnsServer() as dns, SilentPort() as control, BlackholePort() as data):
        site = tmp_path / "site.toml"
        site.write_text(whole_site(SiteParts(
            vcenter=healthy_lab, vcenter_port=vcenter.port, azure=arm, azure_overrides={"timeout_seconds": AZURE_TIMEOUT},
            master_target={"name": "mt01", "host": ssh.host, "ssh_port": ssh.port, "ssh_user": master_target.sshd.user,
                           "ssh_key": str(ssh_keys.user.private_path), "known_hosts": str(_trusting(tmp_path, ssh, ssh_keys)),
                           "port": data.port, "ssh_timeout_seconds": SSH_TIMEOUT},
            vcenter_extra={"target_hosts": ["esx01.lab.test"]},  # a name only DNS is asked about
            config_server={"port": control.port},
            dns={"onprem_servers": [dns.address], "azure_servers": [dns.address], "timeout_seconds": DNS_TIMEOUT},
            policy={"probe_timeout_seconds": PROBE_TIMEOUT},
        )))
        env = {**healthy_lab.env(), SECRET_ENV: arm.secret}
        began = time.monotonic()
        checked = failback("check", "--site", str(site), "--format", "json", env=env)
        elapsed = time.monotonic() - began
        collected = failback("collect", "--site", str(site), "--output", str(tmp_path / "facts.json"), env=env)

    assert checked.returncode in (1, 3), checked.stderr  # fail: the ports that hang; error: what could not be verified
    results = json.loads(checked.stdout)["results"]
    assert all(r["message"] and (r["status"] != "error" or r["remediation"]) for r in results)
    assert not any(sign in r["message"] for r in results for sign in ("unexpectedly", "could not evaluate"))
    errors = {r["check"] for r in results if r["status"] == "error"}
    assert {"vcenter.connect", "cs.health", "mt.linux_os", "dns.resolution"} <= errors
    assert elapsed < COMMAND_LINE_START_SECONDS + VCENTER_TIMEOUT + SLACK_SECONDS

    assert collected.returncode == 3
    # The vCenter proxy stalls from the first byte now: the certificate is never even shown.
    for source, reason in [("vcenter", "answer"), ("vcenter", f"within {VCENTER_TIMEOUT} s"), ("azure", "Azure answered HTTP 500")]:
        assert f"failback: {source}: " in collected.stderr and reason in collected.stderr, collected.stderr


# == A peer dripping its answers, each TLS record inside the read timeout: only the source deadline ends it ==============
# The deadline leaves room for importing the SDKs on a busy machine: it counts from the start of the collection.
SOURCE_DEADLINE = 6
DRIP_SECONDS = 1.0  # a TLS record a second: well inside the read timeouts below (3 s and 10 s); unbounded, these
# collections took 6.5 s and 10.3 s at 0.3 s a record, past their timeouts, and grow with the size of the site


def _assert_given_up_at_the_deadline(done: subprocess.CompletedProcess, elapsed: float, source: str, proxy: FaultProxy) -> None:
    assert proxy.tripped.is_set()
    assert done.returncode == 3, done.stderr
    results = json.loads(done.stdout)["results"]
    assert results and all(r["status"] == "error" and r["remediation"] for r in results)
    assert all(f"the {source} source was still collecting after {SOURCE_DEADLINE} s" in r["message"] for r in results), results[0]["message"]
    # The command does not wait for the abandoned source's threads, still reading the drip.
    assert elapsed < COMMAND_LINE_START_SECONDS + SOURCE_DEADLINE + SLACK_SECONDS, elapsed


def test_a_vcenter_dripping_its_inventory_is_given_up_at_the_source_deadline(lab, tmp_path):
    with FaultProxy((lab.sim.host, lab.sim.port), after_bytes=VCENTER_MID_RETRIEVAL, fault="drip", drip_seconds=DRIP_SECONDS) as proxy:
        site = tmp_path / "site.toml"
        text = lab.site_path.read_text().replace(f"port = {lab.sim.port}", f"port = {proxy.port}")
        site.write_text(text.replace("timeout_seconds = 10", "timeout_seconds = 3")
                        + f"\n[policy]\nsource_deadline_seconds = {SOURCE_DEADLINE}\n")
        began = time.monotonic()
        done = failback("check", "--site", str(site), "--only", ",".join(VCENTER_CHECKS), "--format", "json", env=lab.env())
        elapsed = time.monotonic() - began
    _assert_given_up_at_the_deadline(done, elapsed, "vcenter", proxy)


def test_arm_dripping_its_answers_is_given_up_at_the_source_deadline(arm, tmp_path):
    with FaultProxy(("127.0.0.1", arm.arm.port), after_bytes=0, fault="drip", drip_seconds=DRIP_SECONDS) as proxy:
        url = f"https://{proxy.host}:{proxy.port}"
        site = tmp_path / "site.toml"
        site.write_text(arm.site_text(arm_endpoint=url, authority=url, timeout_seconds=10)
                        + f"\n[policy]\nsource_deadline_seconds = {SOURCE_DEADLINE}\n")
        began = time.monotonic()
        done = failback("check", "--site", str(site), "--only", "cs.health,asr.item_state", "--format", "json",
                        env={**os.environ, SECRET_ENV: arm.secret})
        elapsed = time.monotonic() - began
    _assert_given_up_at_the_deadline(done, elapsed, "azure", proxy)
