"""Small thread-safe building blocks for the service's in-memory caches."""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterator
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


class LeasePool(Generic[K, V]):
    """Objects made per key and reused, one thread at a time (e.g. open COG readers, which are not
    thread-safe): :meth:`lease` hands out an idle one or makes one, and takes it back afterwards. At most
    ``idle_per_key`` stay open per key; one that raised is closed, never reused."""

    def __init__(self, make: Callable[[K], V], close: Callable[[V], None], idle_per_key: int = 4) -> None:
        self._make, self._close, self.idle_per_key = make, close, idle_per_key
        self._idle: defaultdict[K, list[V]] = defaultdict(list)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def lease(self, key: K) -> Iterator[V]:
        with self._lock:
            idle = self._idle[key]
            obj = idle.pop() if idle else None
        if obj is None:
            obj = self._make(key)
        try:
            yield obj
        except BaseException:
            self._close(obj)
            raise
        with self._lock:
            keep = len(self._idle[key]) < self.idle_per_key
            if keep:
                self._idle[key].append(obj)
        if not keep:
            self._close(obj)

    def close(self) -> None:
        """Close every idle object."""
        with self._lock:
            idle, self._idle = self._idle, defaultdict(list)
        for objs in idle.values():
            for obj in objs:
                self._close(obj)
