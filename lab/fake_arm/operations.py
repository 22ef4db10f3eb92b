"""Long-running operations as ARM runs them: 202 Accepted with a Location to poll, 200 with the result when done.

An operation may stay in progress for a number of polls (202 again), so pollers really poll. The runner's ASR actions
will add Azure-AsyncOperation status documents and jobs on top of this.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from failback.lab.fake_arm.routes import SUBSCRIPTION, ArmError, Request, Response, route
from failback.lab.fake_arm.state import new_guid


@dataclass
class Operation:
    result: Any  # the body of the final 200
    polls_left: int = 0


class Operations:
    def __init__(self) -> None:
        self._operations: dict[str, Operation] = {}
        self._lock = threading.Lock()
        self.polls_before_done = 1  # answers 202 this many times on the Location before the result

    def accept(self, request: Request, result: Any, location: str = "westeurope") -> Response:
        """Start an operation whose answer is `result`: 202 with the Location the SDK polls."""
        operation_id = new_guid()
        with self._lock:
            self._operations[operation_id] = Operation(result, self.polls_before_done)
        provider = request.path.split("/providers/")[1].split("/")[0]
        api_version = request.query.get("api-version", "")
        url = (f"{request.base_url}/subscriptions/{request.params['sub']}/providers/{provider}/locations/{location}"
               f"/operationResults/{operation_id}?api-version={api_version}")
        return Response(202, None, {"Location": url, "Retry-After": "0"})

    def poll(self, request: Request, operation_id: str) -> Response:
        with self._lock:
            operation = self._operations.get(operation_id)
            if operation is None:
                raise ArmError(404, "OperationNotFound", f"operation {operation_id} is unknown")
            if operation.polls_left > 0:
                operation.polls_left -= 1
                return Response(202, None, {"Location": f"{request.base_url}{request.path}?{_query(request)}", "Retry-After": "0"})
            del self._operations[operation_id]
        return Response(200, operation.result)


def _query(request: Request) -> str:
    return "&".join(f"{key}={value}" for key, value in request.query.items())


@route("GET", SUBSCRIPTION + r"/providers/(?P<provider>[^/]+)/locations/(?P<location>[^/]+)/operationResults/(?P<operation>[^/]+)")
def _operation_result(arm, request: Request) -> Response:
    return arm.operations.poll(request, request.params["operation"])
