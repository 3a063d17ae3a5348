"""A raster pass in a second process that starts loading the raster stage at once.

A short ``learn batch`` spends about as long starting up (pandas, geopandas, pydantic, the catalog, the
boundaries) as in its raster pass, and the raster stage has its own start-up: rasterio and GDAL, numba and the
compiled kernel (~0.5 s of numba alone, its registries and SciPy's BLAS included). All of that is single-threaded
Python, so on a machine with two or more cores the second core idles through it. :class:`RasterProcess` forks a
child as the first thing a command does; the child loads the raster stage and the kernel while the parent loads
the rest, then runs :func:`learn.raster.engine.reduce` (on all cores, as in process) when the parent sends it the
job, and sends back the stratum table. The table is the same as in process (the engine adds window tables in
window order wherever they were computed).

Only where ``fork`` is safe and cheap (Linux): elsewhere :func:`start` returns None and the pass runs in process.
Any failure of the child (it died, a message did not pickle, the pass raised) makes :meth:`RasterProcess.reduce`
run the pass in process instead, so errors are raised there with their own types and messages.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from learn.util import gc_paused

if TYPE_CHECKING:
    import pandas as pd
    from rasterio.windows import Window

    from learn.raster.engine import ReductionJob

Progress = Callable[[int, int], None]
#: Set to 0 to keep the raster pass in the calling process.
ENV_SWITCH = "LEARN_RASTER_PROCESS"


def available() -> bool:
    """Whether a raster process can be started here: Linux (fork), more than one core, not switched off, and
    no other thread running (a fork copies locks another thread may hold, e.g. the import lock, and the child
    could wait on them forever)."""
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    single_threaded = threading.active_count() == 1
    return sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1 and single_threaded


def start() -> RasterProcess | None:
    """A :class:`RasterProcess`, already loading the raster stage; None where :func:`available` says no.
    Call it before the caller's own heavy imports (and before it starts any thread): it forks."""
    if not available():
        return None
    try:
        return RasterProcess()
    except OSError:  # no process could be started (limits): the pass runs in process
        return None


def _warm_up() -> None:
    """Import the raster stage and load the compiled kernel (a one-pixel window of the usual types).

    Without ``scipy.linalg``: numba, when it loads any compiled function, imports it only to learn whether BLAS is
    there for ``np.dot`` & co. (~0.2 s with its own OpenBLAS threads); the kernel uses none, and nothing else runs
    in this process. A ``None`` in :data:`sys.modules` makes that import fail at once (numba then leaves linear
    algebra out); it is removed again afterwards."""
    import numpy as np

    import learn.raster.engine  # noqa: F401  (rasterio, GDAL)
    from learn.raster.kernel import StratumAccumulator

    blocked = "scipy.linalg" not in sys.modules
    if blocked:
        sys.modules["scipy.linalg"] = None  # type: ignore[assignment]
    try:
        StratumAccumulator().add(np.zeros(1, np.uint16), np.zeros(1, np.uint8), np.zeros(1, np.uint8))
    finally:
        if blocked:
            del sys.modules["scipy.linalg"]


def _serve(conn: Connection) -> None:  # pragma: no cover - runs in the child (covered through the parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it ends this process
    # No BLAS here: OpenBLAS would start a thread per core (numpy's and SciPy's, which numba imports) to spin idle.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # A failure shows again in the pass below, which the parent then runs itself.
    with gc_paused(), contextlib.suppress(Exception):
        _warm_up()
    gc.freeze()  # the imports' objects: later collections skip them
    from learn.raster.engine import reduce

    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        job, windows, workers = message
        try:
            table = reduce(job, windows, workers=workers, progress=lambda i, n: conn.send(("progress", i, n)))
            conn.send(("done", table))
        except Exception as err:
            conn.send(("failed", repr(err)))


class RasterProcess:
    """A forked child that loads the raster stage at once and then reduces jobs sent to it."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), name="learn-raster", daemon=True)
        self._process.start()
        child.close()
        #: Why the last pass ran in process instead (None: it ran in the child).
        self.fell_back: str | None = None

    def reduce(
        self,
        job: ReductionJob,
        windows: Sequence[Window],
        *,
        workers: int | None = None,
        progress: Progress | None = None,
    ) -> pd.DataFrame:
        """:func:`learn.raster.engine.reduce` of ``job`` over ``windows`` in the child (the same table);
        in process when the child cannot do it."""
        self.fell_back = None
        try:
            self._conn.send((job, list(windows), workers))
            while True:
                kind, *rest = self._conn.recv()
                if kind == "progress":
                    if progress:
                        progress(*rest)
                    continue
                if kind == "done":
                    return rest[0]
                self.fell_back = str(rest[0])
                break
        except Exception as err:
            self.fell_back = repr(err)
            self.close()
        from learn.raster.engine import reduce

        return reduce(job, windows, workers=workers, progress=progress)

    def close(self) -> None:
        """End the child at once, even half-way through loading (it holds nothing that could be lost)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._conn.close()

    def __enter__(self) -> RasterProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
