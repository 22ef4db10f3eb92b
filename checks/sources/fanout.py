"""Calls that start further calls, on one bounded set of threads: each follows up as soon as its own answer is in.

A source lists what it knows it needs; every answer may start the calls it makes possible (an item's VM, that VM's
NICs...). A call that starts nothing (a leaf: one item's recovery points, one VM's instance view) waits behind every
call that may: with a thousand leaves queued, the chain of dependent calls would otherwise wait behind all of them and
end last. `wait()` returns when nothing is left. The first exception a call lets escape is fatal: calls not started yet
are dropped and `wait()` raises it. Calls that can fail alone (one VPN connection of ten) catch their own errors.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any

_FIRST, _LEAF, _STOP = 0, 1, 2  # the queue's order: calls that lead further, then leaves, then the workers' end


class Fanout:
    def __init__(self, max_workers: int, name: str = "call"):
        self._max_workers, self._name = max_workers, name
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[..., Any] | None, tuple[Any, ...]]] = queue.PriorityQueue()
        self._order = itertools.count()  # first in, first out within a priority
        self._done = threading.Condition()
        self._pending = 0
        self._workers = 0
        self._fatal: BaseException | None = None
        self._ended = False  # wait() returned or was interrupted: calls still queued are dropped

    def start(self, call: Callable[..., Any], *args: Any, leaf: bool = False) -> None:
        """Run `call(*args)` on a worker; a `leaf` (a call that starts no other) after every call that may."""
        with self._done:
            if self._fatal is not None:
                return
            self._pending += 1
            if self._workers < min(self._max_workers, self._pending):  # threads as the work needs them, up to the bound
                self._workers += 1
                # Daemons: a source abandoned at its deadline must not keep the process alive.
                threading.Thread(target=self._work, name=f"{self._name}-{self._workers}", daemon=True).start()
        self._queue.put((_LEAF if leaf else _FIRST, next(self._order), call, args))

    def _work(self) -> None:
        while True:
            _, _, call, args = self._queue.get()
            if call is None:
                return
            self._run(call, args)

    def _run(self, call: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            if self._fatal is None and not self._ended:
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
            with self._done:
                self._ended = True
                for _ in range(self._workers):
                    self._queue.put((_STOP, next(self._order), None, ()))
                self._workers = 0
        if self._fatal is not None:
            raise self._fatal
