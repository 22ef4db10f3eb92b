"""Faults on demand, per route: a status instead of the answer (401, 404, 429 with Retry-After, 500...), or a delay.

A fault matches requests whose path contains its regex (case-insensitive) and, when given, whose method is its method;
it applies to the first `times` of them, or to all when `times` is None. `hits` counts the requests it changed.
A delayed request reads `status` when its delay ends: setting it meanwhile refuses a request already on its way,
as if it never reached the service.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from failback.lab.fake_arm.routes import Response

_REASONS = {
    401: ("InvalidAuthenticationToken", "The access token is invalid."),
    403: ("AuthorizationFailed", "The client does not have authorization to perform this action."),
    404: ("ResourceNotFound", "The resource was not found."),
    409: ("AnotherOperationInProgress", "Another operation is in progress on this item."),
    429: ("TooManyRequests", "The request is being throttled."),
    500: ("InternalServerError", "The server encountered an internal error."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
}


@dataclass
class Fault:
    path: str  # a regex searched in the request path
    status: int | None = None  # None: answer normally, after the delay
    method: str | None = None
    times: int | None = None
    delay_seconds: float = 0.0
    retry_after: str | None = None  # the Retry-After header of the answer, as sent
    code: str | None = None  # the error code of the body; defaults by status
    message: str | None = None
    hits: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path, re.IGNORECASE)

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        return (self.method is None or self.method == method) and bool(self._pattern.search(path))

    def response(self, path: str) -> Response | None:
        if self.status is None:
            return None
        default_code, default_message = _REASONS.get(self.status, ("Error", f"HTTP {self.status}"))
        code, message = self.code or default_code, self.message or default_message
        headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        if "/oauth2/" in path:  # the token endpoint answers errors the Entra ID way
            return Response(self.status, {"error": code, "error_description": message}, headers)
        return Response(self.status, {"error": {"code": code, "message": message}}, headers)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault that applies to this request, counted as hit."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None
