"""Small thread-safe building blocks for the service's in-memory caches."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A least-recently-used mapping holding at most ``size`` entries."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class SingleFlight(Generic[K, V]):
    """Run ``fn`` once per key at a time: concurrent callers with the same key share one computation.

    Used so that eight clients asking for the same uncached report start one raster pass, not eight.
    """

    def __init__(self) -> None:
        self._running: dict[K, Future[V]] = {}
        self._lock = threading.Lock()

    def run(self, key: K, fn: Callable[[], V]) -> V:
        with self._lock:
            future = self._running.get(key)
            owner = future is None
            if future is None:
                future = self._running[key] = Future()
        if not owner:
            return future.result()
        try:
            value = fn()
        except BaseException as err:
            future.set_exception(err)
            raise
        else:
            future.set_result(value)
            return value
        finally:
            with self._lock:
                del self._running[key]
