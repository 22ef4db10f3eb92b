"""The fake's routing: ARM-style paths (case-insensitive, as ARM's are) mapped to handlers over the world.

API modules register handlers with @route; a handler gets the fake and the request and returns a Response, or raises
ArmError, which is answered the way ARM answers errors: {"error": {"code", "message"}}.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from failback.lab.fake_arm.server import FakeArm

SUBSCRIPTION = r"/subscriptions/(?P<sub>[^/]+)"
GROUP = SUBSCRIPTION + r"/resourceGroups/(?P<rg>[^/]+)"
NETWORK = GROUP + r"/providers/Microsoft\.Network"
VAULT = GROUP + r"/providers/Microsoft\.RecoveryServices/vaults/(?P<vault>[^/]+)"
ITEM = (VAULT + r"/replicationFabrics/(?P<fabric>[^/]+)/replicationProtectionContainers/(?P<container>[^/]+)"
        r"/replicationProtectedItems/(?P<item>[^/]+)")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    base_url: str  # https://127.0.0.1:port
    params: dict[str, str] = field(default_factory=dict)  # the route's named groups


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list[dict[str, str]] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return Response(self.status, {"error": error})


def not_found(arm_type: str, name: str, group: str) -> ArmError:
    """ARM's own wording for a missing resource."""
    return ArmError(404, "ResourceNotFound", f"The Resource '{arm_type}/{name}' under resource group '{group}' was not found. "
                                             "For more details please go to https://aka.ms/ARMResourceNotFoundFix")


Handler = Callable[["FakeArm", Request], Response]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, re.compile(pattern + r"/?$", re.IGNORECASE), handler))
        return handler

    return register


def dispatch(arm: FakeArm, request: Request) -> Response:
    for method, pattern, handler in _ROUTES:
        if method == request.method and (match := pattern.match(request.path)):
            try:
                return handler(arm, Request(request.method, request.path, request.query, request.body, request.base_url, match.groupdict()))
            except ArmError as exc:
                return exc.response()
    return ArmError(404, "NoRouteInFake", f"the fake ARM has no route for {request.method} {request.path}").response()


# -- helpers the API modules share ---------------------------------------------------------------------------------------
def iso(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if moment else None


def paged(request: Request, values: list[Any], page_size: int) -> Response:
    """One page of a list, with the nextLink ARM gives when more follow: the same query (statusOnly, $filter...) and a
    $skiptoken."""
    start = int(request.query.get("$skiptoken", "0") or 0)
    body: dict[str, Any] = {"value": values[start:start + page_size]}
    if start + page_size < len(values):
        query = {**{key: value for key, value in request.query.items() if key != "$skiptoken"}, "$skiptoken": str(start + page_size)}
        body["nextLink"] = f"{request.base_url}{request.path}?{urlencode(query, safe='$')}"
    return Response(200, body)


def resource_group(arm: FakeArm, request: Request) -> Any:
    """The request's resource group, or ARM's 404 for a wrong subscription or group."""
    subscription, name = request.params["sub"], request.params["rg"]
    if subscription.lower() != arm.world.subscription_id.lower():
        raise ArmError(404, "SubscriptionNotFound", f"The subscription '{subscription}' could not be found.")
    group = arm.world.resource_groups.get(name)
    if group is None:
        raise ArmError(404, "ResourceGroupNotFound", f"Resource group '{name}' could not be found.")
    return group


def member(collection: Any, name: str, arm_type: str, group: Any) -> Any:
    """A named resource of a group's collection, or ARM's 404 naming it."""
    found = collection.get(name)
    if found is None:
        raise not_found(arm_type, name, group.name)
    return found
