"""azure-core's retries with one more bound: a Retry-After longer than the site's request timeout is cut to it.

ARM tells a throttled client to come back after Retry-After seconds, which may be minutes, and azure-core waits that
long before each retry: one throttled call could hold a preflight for an hour. Waiting at most one request timeout keeps
the run within its timeouts; a call still throttled once the retries are spent is reported as throttled.
"""

from __future__ import annotations

from typing import Any

from azure.core.pipeline.policies import RetryPolicy


class BoundedRetryPolicy(RetryPolicy):
    def __init__(self, *, retry_after_max: float, **kwargs: Any):
        super().__init__(**kwargs)
        self.retry_after_max = retry_after_max

    def get_retry_after(self, response: Any) -> float | None:
        asked = super().get_retry_after(response)
        return None if asked is None else min(asked, self.retry_after_max)
