"""ARM's request limits, as ARM applies them since 2024 ("Understand how Azure Resource Manager throttles requests",
learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling): a token bucket per
subscription, identity and kind of request. Reads: 250 at once, 25 more a second; writes and deletes: 200, then 10 a
second. A request finding its bucket empty is answered 429 SubscriptionRequestsThrottled with a Retry-After; every answer
tells what is left in x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}.
"""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass

from failback.lab.fake_arm.routes import Response

_SUBSCRIPTION = re.compile(r"^/subscriptions/([^/]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Limit:
    size: int
    per_second: float


# ARM's documented limits per subscription and identity.
ARM_LIMITS = {"reads": Limit(250, 25.0), "writes": Limit(200, 10.0), "deletes": Limit(200, 10.0)}


def kind_of(method: str) -> str:
    return {"GET": "reads", "HEAD": "reads", "DELETE": "deletes"}.get(method.upper(), "writes")


class Throttle:
    """The buckets of every subscription and identity the fake serves: ARM's limits by default, {} for none."""

    def __init__(self, limits: dict[str, Limit] | None = None):
        self.limits = dict(ARM_LIMITS if limits is None else limits)
        self._buckets: dict[tuple[str, str, str], list[float]] = {}  # key -> [tokens, last refill]
        self._lock = threading.Lock()

    def take(self, method: str, path: str, identity: str) -> tuple[Response | None, dict[str, str]]:
        """(a 429 answer or None, the headers every answer carries) for one request of `identity` on `path`."""
        match = _SUBSCRIPTION.match(path)
        kind = kind_of(method)
        limit = self.limits.get(kind)
        if match is None or limit is None:
            return None, {}
        subscription = match.group(1).lower()
        with self._lock:
            bucket = self._buckets.setdefault((subscription, identity, kind), [float(limit.size), time.monotonic()])
            now = time.monotonic()
            bucket[0] = min(limit.size, bucket[0] + (now - bucket[1]) * limit.per_second)
            bucket[1] = now
            if bucket[0] >= 1:
                bucket[0] -= 1
                return None, {f"x-ms-ratelimit-remaining-subscription-{kind}": str(int(bucket[0]))}
            wait = math.ceil((1 - bucket[0]) / limit.per_second)
        headers = {f"x-ms-ratelimit-remaining-subscription-{kind}": "0", "Retry-After": str(wait)}
        message = (f"Number of '{kind[:-1]}' requests for subscription '{subscription}' actor '{identity}' exceeded. Please try "
                   f"again after '{wait}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling "
                   "for additional information.")
        return Response(429, {"error": {"code": "SubscriptionRequestsThrottled", "message": message}}, headers), headers

    def spend(self, subscription: str, identity: str, leaving: int = 0, kind: str = "reads") -> None:
        """Spend the bucket down to `leaving` tokens now, as another client on the same identity would."""
        with self._lock:
            self._buckets[(subscription.lower(), identity, kind)] = [float(leaving), time.monotonic()]
