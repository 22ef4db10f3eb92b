"""ARM's request limits, kept on our side of the wire.

ARM gives each identity a token bucket per subscription and kind of request ("Understand how Azure Resource Manager
throttles requests"): reads 250 at once and 25 more a second, writes and deletes 200 and 10 a second. Past it every call
is answered 429 until tokens come back, and a large vault's preflight (2,000 reads at 1,000 items) would spend its
retries there and report reads as throttled. So each attempt takes a token before it leaves (this policy sits after the
retry policy), ARM's own count of what is left (x-ms-ratelimit-remaining-subscription-*) lowers ours when another client
shares the identity, and a 429 all the same holds every caller of that bucket for its Retry-After.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.policies import HTTPPolicy

_SUBSCRIPTION = re.compile(r"/subscriptions/([^/?]+)", re.IGNORECASE)
BURST_SECONDS = 10  # ARM's buckets hold ten seconds of refill (250 reads at 25 a second)
WRITES_PER_SECOND = 10.0  # writes and deletes alike


def kind_of(method: str) -> str:
    return {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}.get(method.upper(), "writes")


@dataclass
class _Bucket:
    per_second: float
    tokens: float
    refilled: float
    held_until: float = 0.0
    in_flight: int = 0  # calls sent that ARM's count of what is left may not hold yet

    @property
    def size(self) -> float:
        return self.per_second * BURST_SECONDS

    def refill(self, now: float) -> None:
        self.tokens = min(self.size, self.tokens + (now - self.refilled) * self.per_second)
        self.refilled = now


class ArmRequestBudget:
    """The buckets of one session, shared by every client of it: ARM's, per subscription and kind of request."""

    def __init__(self, reads_per_second: float, hold_at_most: float):
        """`hold_at_most`: the longest a Retry-After holds the callers (the request timeout, as BoundedRetryPolicy)."""
        self._hold_at_most = hold_at_most
        self._rates = {"reads": reads_per_second, "writes": WRITES_PER_SECOND, "deletes": WRITES_PER_SECOND}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def policy(self) -> HTTPPolicy:
        """A pipeline's policy drawing on this budget: one per pipeline, as a policy links to the next one of its own."""
        return _BudgetPolicy(self)

    def send(self, policy: HTTPPolicy, request: Any) -> Any:
        http_request = request.http_request
        key = (self._scope(http_request.url), kind_of(http_request.method))
        self._take(key)
        try:
            response = policy.next.send(request)
        except BaseException:
            self._landed(key)
            raise
        self._landed(key, response.http_response)
        return response

    @staticmethod
    def _scope(url: str) -> str:
        match = _SUBSCRIPTION.search(url)
        return match.group(1).lower() if match else "tenant"

    def _bucket(self, key: tuple[str, str], now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            rate = self._rates[key[1]]
            bucket = self._buckets[key] = _Bucket(rate, rate * BURST_SECONDS, now)
        return bucket

    def _take(self, key: tuple[str, str]) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                bucket = self._bucket(key, now)
                bucket.refill(now)
                wait = bucket.held_until - now
                if wait <= 0 and bucket.tokens >= 1:
                    bucket.tokens -= 1
                    bucket.in_flight += 1
                    return
                wait = max(wait, (1 - bucket.tokens) / bucket.per_second)
            time.sleep(wait)

    def _landed(self, key: tuple[str, str], response: Any = None) -> None:
        """A call came back: what ARM says is left, less the calls still on their way, caps our count; a 429 holds
        every caller of the bucket for its Retry-After."""
        headers = response.headers if response is not None else {}
        remaining = _number(headers.get(f"x-ms-ratelimit-remaining-subscription-{key[1]}"))
        retry_after = _number(headers.get("Retry-After")) if response is not None and response.status_code == 429 else None
        with self._lock:
            now = time.monotonic()
            bucket = self._bucket(key, now)
            bucket.in_flight = max(0, bucket.in_flight - 1)
            bucket.refill(now)
            if remaining is not None:
                bucket.tokens = max(0.0, min(bucket.tokens, remaining - bucket.in_flight))
            if retry_after is not None:
                bucket.tokens = 0.0
                bucket.held_until = max(bucket.held_until, now + min(retry_after, self._hold_at_most))


class _BudgetPolicy(HTTPPolicy):
    def __init__(self, budget: ArmRequestBudget):
        super().__init__()
        self._budget = budget

    def send(self, request: Any) -> Any:
        return self._budget.send(self, request)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
