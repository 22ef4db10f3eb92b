"""ARM's request limits: the fake applies them as ARM does (a token bucket per subscription, identity and kind of request),
and the preflight of a vault larger than one burst waits for tokens instead of spending its retries on 429s."""

from __future__ import annotations

import time

import requests
from azure.identity import ClientSecretCredential

from failback.checks.model import Status
from failback.lab.fake_arm.scenarios import ASR_GROUP, CLIENT_ID
from failback.lab.fake_arm.throttling import Limit, Throttle

from .conftest import run_checks

CHECKS = ("asr.recovery_point", "azure.vm_running")
VMS = [f"vm{index:02}" for index in range(12)]  # some 45 reads: more than one burst of the small bucket below
# ARM's limits scaled down for a test: 30 reads at once, 10 a second after. The site's budget below holds the same
# burst (ten seconds of 3 a second) and refills slower, as a client sharing its identity would.
BUCKET, REFILL, SITE_READS_PER_SECOND = 30, 10.0, 3


def _small_bucket(lab) -> None:
    lab.arm.throttle = Throttle({"reads": Limit(BUCKET, REFILL)})  # the lab runs without ARM's limits unless asked


def test_the_lab_arm_throttles_reads_past_the_bucket_as_arm_does(classic):
    classic.arm.throttle = Throttle({"reads": Limit(BUCKET, 1.0)})  # a slow refill: the burst runs out on any machine
    token = ClientSecretCredential(classic.world.tenant_id, CLIENT_ID, classic.secret, authority=classic.arm.url,
                                   disable_instance_discovery=True, connection_verify=classic.arm.ca_file
                                   ).get_token(classic.arm.url + "/.default").token
    url = f"{classic.arm.url}/subscriptions/{classic.world.subscription_id}/resourceGroups/{ASR_GROUP}?api-version=2024-03-01"
    with requests.Session() as session:
        answers = [session.get(url, headers={"Authorization": f"Bearer {token}"}, verify=classic.arm.ca_file, timeout=10)
                   for _ in range(BUCKET + 10)]
    remaining = [answer.headers.get("x-ms-ratelimit-remaining-subscription-reads") for answer in answers]
    assert remaining[:3] == [str(BUCKET - 1), str(BUCKET - 2), str(BUCKET - 3)]
    throttled = [answer for answer in answers if answer.status_code == 429]
    assert throttled, f"past {BUCKET} reads at once, ARM answers 429"
    assert throttled[0].json()["error"]["code"] == "SubscriptionRequestsThrottled"
    assert int(throttled[0].headers["Retry-After"]) >= 1


def test_a_vault_larger_than_one_burst_is_read_whole_without_meeting_a_429(start, tmp_path):
    lab = start("modernized", stage="replicating_back", vm_names=VMS)
    _small_bucket(lab)
    began = time.monotonic()
    run = run_checks(lab, tmp_path, *CHECKS, arm_reads_per_second=SITE_READS_PER_SECOND)
    elapsed = time.monotonic() - began
    assert {r.status for r in run.results} == {Status.PASS}, [(r.target, r.status.value, r.message) for r in run.results]
    reads = [call for call in lab.arm.requests if call.method == "GET" and "/subscriptions/" in call.path]
    assert len(reads) > BUCKET, "more reads than one burst"
    assert not [call for call in reads if call.status == 429]
    assert elapsed >= (len(reads) - BUCKET) / SITE_READS_PER_SECOND * 0.8, "the reads past the burst waited for their tokens"


def test_without_the_budget_the_same_vault_loses_reads_to_throttling(start, tmp_path):
    lab = start("modernized", stage="replicating_back", vm_names=VMS)
    lab.arm.throttle = Throttle({"reads": Limit(BUCKET, 1.0)})  # a slow refill: however slow the machine, the burst runs out
    run = run_checks(lab, tmp_path, *CHECKS, arm_reads_per_second=100000, retry_total=0)
    errors = [r for r in run.results if r.status is Status.ERROR]
    assert errors and "SubscriptionRequestsThrottled" in errors[0].message, [(r.target, r.status.value) for r in run.results]


def test_what_arm_says_is_left_holds_the_preflight_when_another_client_shares_the_identity(start, tmp_path):
    # Another tool left 12 of the identity's 30 reads: the first answers say so (x-ms-ratelimit-remaining-subscription-
    # reads) and the rest of the preflight waits for ARM's refill instead of spending the 30 tokens it started with.
    # Four calls at a time, so that the calls sent before any answer came back fit in what is left.
    lab = start("modernized", stage="replicating_back", vm_names=VMS[:6])
    _small_bucket(lab)
    lab.arm.throttle.spend(lab.world.subscription_id, CLIENT_ID, leaving=12)
    run = run_checks(lab, tmp_path, *CHECKS, arm_reads_per_second=SITE_READS_PER_SECOND, max_parallel_calls=4)
    assert {r.status for r in run.results} == {Status.PASS}, [(r.target, r.status.value, r.message) for r in run.results]
    assert not [call for call in lab.arm.requests if call.status == 429]


def test_a_429_holds_every_caller_of_the_subscription_for_its_retry_after(classic, tmp_path):
    # ARM throttled the items' listing for 2 s (another client's burst): the VPN's and the vault's other calls wait too,
    # instead of spending their own retries on the same 429.
    classic.arm.fail(r"/replicationProtectedItems$", 429, times=1, retry_after="2", code="SubscriptionRequestsThrottled",
                     message="Number of 'read' requests for subscription exceeded.")
    run = run_checks(classic, tmp_path, "asr.item_state", "network.vpn", retry_total=1)
    assert {r.status for r in run.results} == {Status.PASS}, [(r.target, r.status.value, r.message) for r in run.results]
    throttled = next(call.at for call in classic.arm.requests if call.status == 429)
    held = [call.path for call in classic.arm.requests if throttled + 0.3 < call.at < throttled + 1.5 and "/subscriptions/" in call.path]
    assert not held, f"answered while the subscription was held: {held}"
