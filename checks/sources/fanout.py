"""Calls that start further calls, on one bounded thread pool: each follows up as soon as its own answer is in.

A source lists what it knows it needs; every answer may start the calls it makes possible (an item's VM, that VM's
NICs...). `wait()` returns when nothing is left. The first exception a call lets escape is fatal: calls not started yet
are dropped and `wait()` raises it. Calls that can fail alone (one VPN connection of ten) catch their own errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class Fanout:
    def __init__(self, max_workers: int, name: str = "call"):
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._done = threading.Condition()
        self._pending = 0
        self._fatal: BaseException | None = None

    def start(self, call: Callable[..., Any], *args: Any) -> None:
        with self._done:
            if self._fatal is not None:
                return
            self._pending += 1
        self._pool.submit(self._run, call, args)

    def _run(self, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            if self._fatal is None:
                call(*args)
        except BaseException as exc:  # recorded for wait() to raise in the caller's thread
            with self._done:
                self._fatal = self._fatal or exc
        finally:
            with self._done:
                self._pending -= 1
                self._done.notify_all()

    def wait(self) -> None:
        """Block until every call, and every call they started, has finished; raise the first fatal error."""
        try:
            with self._done:
                while self._pending:
                    self._done.wait()
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._fatal is not None:
            raise self._fatal
