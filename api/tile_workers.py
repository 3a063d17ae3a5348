"""Map tiles rendered in worker processes: :class:`ProcessTileRenderer`.

A cold tile is ~6 ms of rio-tiler, GDAL and NumPy work, much of it holding the GIL: in one process the
server's threads take turns, so eight map clients queue on one core. Worker processes render on every
core; the server process keeps the PNG cache and sends each tile to render once (single flight).

Three rules keep the service up and honest:

* an error crossing the process boundary must unpickle in the server, or the pool breaks and every later
  tile fails: workers convert every error to :class:`api.errors.TileUnavailable` (message and hint only);
* a pool that breaks anyway (a worker killed by the OOM killer, a crash inside GDAL) is replaced, and the
  tile is drawn in the server meanwhile; :meth:`ProcessTileRenderer.ready_now` (``/api/health``) says
  false until the new workers are up;
* workers exit by themselves when the server dies (even by SIGKILL), instead of living on as orphans.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from api.cache import LruCache, SingleFlight
from api.errors import ServerBusy, TileUnavailable
from api.render import TileRenderer, tile_key
from learn.errors import LearnError
from learn.pipeline.region import Region
from learn.sources.catalog import load_catalog

log = logging.getLogger("api")
#: How often a worker checks that the server that started it is still there (seconds).
PARENT_POLL_S = 0.5

_worker: dict[str, Any] = {}


def _exit_when_orphaned(parent_pid: int) -> None:
    """Exit at once when the server process is gone (the worker has been re-parented).

    A thread polling ``os.getppid()`` rather than Linux's ``PR_SET_PDEATHSIG``: that signal fires when
    the *thread* that spawned the worker ends, and workers are spawned from short-lived threads
    (the start-up thread, request threads), so it would kill healthy workers."""
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(0)


def _init_worker(catalog_path: str, cache_size: int, parent_pid: int) -> None:
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), name="orphan-watch", daemon=True).start()
    _worker.update(
        catalog=load_catalog(catalog_path),
        catalog_path=catalog_path,
        renderer=TileRenderer(cache_size),
        regions={},
    )


def _render_in_worker(region_name: str, layer: str, z: int, x: int, y: int, params: dict[str, int]) -> bytes:
    try:
        regions: dict[str, Region] = _worker["regions"]
        if region_name not in regions:
            if region_name not in _worker["catalog"].regions:  # added since (a county prepared on request)
                _worker["catalog"] = load_catalog(_worker["catalog_path"])
            regions[region_name] = Region(_worker["catalog"], region_name)
        renderer: TileRenderer = _worker["renderer"]
        return renderer.render(regions[region_name], layer, z, x, y, params)
    except LearnError as err:  # re-made from message and hint: subclasses may not unpickle
        failure = TileUnavailable(err.message, hint=err.hint)
    except Exception as err:
        failure = TileUnavailable(
            f"tile {layer} {z}/{x}/{y} could not be drawn ({type(err).__name__}: {err})",
            hint="see the server log",
        )
    # Raised outside the handlers, so it has no __context__: once tblib's pickling support is installed
    # (dask.distributed does), the whole chain is pickled, and GDAL's errors do not unpickle.
    raise failure


def _ready() -> int:
    return os.getpid() if _worker else 0


class ProcessTileRenderer:
    """:class:`TileRenderer` in ``workers`` processes (spawned: forking a threaded server is unsafe),
    each with its own readers and caches, for regions of the catalog at ``catalog_path``.

    Workers take a few seconds to start (GDAL, rio-tiler, xarray imports), so :meth:`start` launches
    them in the background and tiles are drawn in the server process until they are up.
    """

    def __init__(self, catalog_path: Path, workers: int, cache_size: int = 2048) -> None:
        self.catalog_path, self.workers = catalog_path, workers
        self.pngs: LruCache[tuple[Any, ...], bytes] = LruCache(cache_size)
        self._flight: SingleFlight[tuple[Any, ...], bytes] = SingleFlight()
        self._local = TileRenderer(cache_size=64)  # while the workers start
        self._lock = threading.Lock()
        self._closed = False
        #: Times a broken pool was replaced since the server started.
        self.restarts = 0
        self.ready = threading.Event()
        self._pool = self._new_pool()
        self._pids: set[int] = set()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            # PNGs are cached here, in the server process, not twice
            initargs=(str(self.catalog_path), 0, os.getpid()),
        )

    def start(self) -> threading.Thread:
        """Start the workers in a background thread; :attr:`ready` is set when all are up."""
        thread = threading.Thread(
            target=self._spawn, args=(self._pool,), name="tile-workers-start", daemon=True
        )
        thread.start()
        return thread

    def _spawn(self, pool: ProcessPoolExecutor) -> None:
        # Children inherit this thread's signal mask: Ctrl+C stops the server, whose shutdown stops them,
        # instead of interrupting them mid-import with a traceback each. multiprocessing's resource tracker is
        # started first: starting it unblocks SIGINT in the calling thread.
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            pids = {future.result() for future in [pool.submit(_ready) for _ in range(self.workers)]}
        except (RuntimeError, BrokenProcessPool):  # shut down or broken while starting
            return
        with self._lock:
            if pool is self._pool and not self._closed:
                self._pids = pids
                self.ready.set()

    def ready_now(self) -> bool:
        """Whether the workers are up: false while they start, and after one died (the pool is then replaced)."""
        if not self.ready.is_set():
            return False
        for pid in list(self._pids):
            try:
                os.kill(pid, 0)
            except (
                ProcessLookupError,
                PermissionError,
            ):  # gone (PermissionError: pid reused by another user)
                self._replace(self._pool)
                return False
        return True

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """Swap a broken pool for a new one (once, however many threads saw it break)."""
        with self._lock:
            if broken is not self._pool or self._closed:
                return
            self.ready.clear()
            self._pids = set()
            self.restarts += 1
            self._pool = self._new_pool()
        log.warning("a tile worker process died; starting new tile workers (restart %d)", self.restarts)
        broken.shutdown(wait=False, cancel_futures=True)
        self.start()

    def render(self, region: Region, layer: str, z: int, x: int, y: int, params: dict[str, int]) -> bytes:
        key = tile_key(region, layer, z, x, y, params)
        png = self.pngs.get(key)
        if png is None:
            png = self._flight.run(key, lambda: self._render(region, layer, z, x, y, params))
            self.pngs.put(key, png)
        return png

    def _render(self, region: Region, layer: str, z: int, x: int, y: int, params: dict[str, int]) -> bytes:
        pool = self._pool
        if not self.ready.is_set():
            return self._local.render(region, layer, z, x, y, params)
        try:
            future = pool.submit(_render_in_worker, region.name, layer, z, x, y, params)
        except (BrokenProcessPool, RuntimeError):  # broken, or shut down since: replaced (or closing)
            self._replace(pool)
            return self._local.render(region, layer, z, x, y, params)
        try:
            return future.result()
        except BrokenProcessPool:
            self._replace(pool)
            # not drawn here instead: if this tile is what killed the worker, it would kill the server
            raise ServerBusy(
                f"the tile process drawing tile {layer} {z}/{x}/{y} died; new tile processes are starting",
                hint="retry in a few seconds",
                retry_after_s=2,
            ) from None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self.ready.clear()
            pool = self._pool
        pool.shutdown(wait=True, cancel_futures=True)
        self._local.close()
