"""dns.resolution against real dnsmasq servers: an on-prem one, an Azure-side one that disagrees, one that never answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from failback.checks.model import Status
from failback.checks.sources.dns import DnsSource
from failback.lab.dns import Dnsmasq, SilentDnsServer, Zone

from .conftest import make_site, only_result, run_check


def _zone() -> Zone:
    zone = Zone()
    zone.host("vcenter.lab.test", "127.0.0.10").host("cs01.lab.test", "127.0.0.5").host("esx01.lab.test", "127.0.0.21")
    zone.forward_only("mt01.lab.test", "127.0.0.7").pointer("127.0.0.7", "old-mt.lab.test")  # reverse disagrees
    zone.forward_only("ps01.lab.test", "127.0.0.8")  # no PTR at all
    zone.host("moved.lab.test", "127.0.0.30")
    return zone


@pytest.fixture(scope="module")
def onprem() -> Iterator[Dnsmasq]:
    with Dnsmasq(_zone()).start() as server:
        yield server


@pytest.fixture(scope="module")
def azure() -> Iterator[Dnsmasq]:
    zone = _zone()
    zone.hosts = [(name, "127.0.0.99" if name == "moved.lab.test" else address) for name, address in zone.hosts]
    with Dnsmasq(zone).start() as server:
        yield server


@pytest.fixture(scope="module")
def silent() -> Iterator[SilentDnsServer]:
    with SilentDnsServer() as server:
        yield server


def _resolve(onprem_servers: list[str], azure_servers: list[str], **sections):
    sections.setdefault("vcenter", {"host": "vcenter.lab.test", "user": "administrator@vsphere.local", "datacenter": "DC1",
                                    "target_hosts": ["esx01.lab.test"]})
    site = make_site(dns={"onprem_servers": onprem_servers, "azure_servers": azure_servers, "timeout_seconds": 1}, **sections)
    return run_check(site, "dns.resolution", {"dns": DnsSource(site).collect})


def test_names_that_resolve_alike_everywhere_pass(onprem, azure):
    results, _ = _resolve([onprem.address], [azure.address], config_server={"host": "cs01.lab.test", "ip": "127.0.0.5"},
                          process_server={"host": "10.1.0.4"})
    by_target = {r.target: r for r in results}
    for name in ("dns:vcenter.lab.test", "dns:cs01.lab.test", "dns:esx01.lab.test"):
        assert by_target[name].status is Status.PASS, by_target[name].message
    cs = by_target["dns:cs01.lab.test"]
    assert "configuration server" in cs.message and "127.0.0.5 on 2 DNS servers" in cs.message
    assert cs.evidence["reverse"] == {"127.0.0.5": ["cs01.lab.test"]}
    # An IP literal is not resolved.
    assert by_target["dns:10.1.0.4"].status is Status.SKIP


def test_nxdomain_fails_and_says_so(onprem):
    results, _ = _resolve([onprem.address], [], config_server={"host": "gone.lab.test"})
    result = only_result(results, "dns:gone.lab.test")
    assert result.status is Status.FAIL
    assert f"onprem {onprem.address}: gone.lab.test does not exist (NXDOMAIN)" in result.message and result.evidence["failures"] == ["nxdomain"]
    assert result.remediation["id"] == "fix-dns-records"
    assert "NXDOMAIN" in result.remediation["steps"][0]


def test_forward_and_reverse_disagreeing_fails(onprem):
    results, _ = _resolve([onprem.address], [], master_targets=[{"name": "mt01", "host": "mt01.lab.test"}])
    result = only_result(results, "dns:mt01.lab.test")
    assert result.status is Status.FAIL
    assert "forward and reverse disagree: 127.0.0.7 points back to old-mt.lab.test" in result.message


def test_a_missing_ptr_record_is_a_warning(onprem):
    results, _ = _resolve([onprem.address], [], process_server={"host": "ps01.lab.test"})
    result = only_result(results, "dns:ps01.lab.test")
    assert result.status is Status.WARN and "127.0.0.8 has no PTR record" in result.message


def test_onprem_and_azure_disagreeing_fails(onprem, azure):
    results, _ = _resolve([onprem.address], [azure.address], endpoints=[{"name": "app gateway", "host": "moved.lab.test", "port": 443}])
    result = only_result(results, "dns:moved.lab.test")
    assert result.status is Status.FAIL
    assert f"onprem {onprem.address} says 127.0.0.30" in result.message and f"azure {azure.address} says 127.0.0.99" in result.message
    assert result.remediation["id"] == "fix-dns-records"


def test_a_server_that_never_answers_is_told_apart_as_a_timeout(onprem, silent):
    results, _ = _resolve([onprem.address], [silent.address])
    result = only_result(results, "dns:vcenter.lab.test")
    assert result.status is Status.ERROR
    assert f"azure {silent.address} did not answer within 1 s" in result.message and result.evidence["failures"] == ["timeout"]
    assert result.remediation["id"] == "fix-dns-records"


def test_the_configuration_server_resolving_to_another_ip_than_registered_fails(onprem):
    results, _ = _resolve([onprem.address], [], config_server={"host": "cs01.lab.test", "ip": "127.0.0.55"})
    result = only_result(results, "dns:cs01.lab.test")
    assert result.status is Status.FAIL
    assert "resolves to 127.0.0.5, but the configuration server was registered with 127.0.0.55" in result.message
