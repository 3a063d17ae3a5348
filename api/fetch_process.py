"""``learn fetch`` for a prepare job in its own process, so the server's requests never wait on it.

A fetch is minutes of GDAL reads and Python around them. In a thread of the server it shares the GIL with the
event loop that answers tiles and reports (a cold tile's p95 doubled during a fetch on 2 cores, even niced); in a
spawned child it shares only the cores, at a lower priority. The child sends its progress (label, rows done,
rows in all) and then "done" or the error's message and hint over a pipe; the parent reports them as the job's.

The child never outlives its server, however the server ends, even while the child is blocked in a network read:

* a stopping server (SIGTERM, SIGINT / Ctrl+C: the app's shutdown) terminates its children and waits for them
  (:meth:`FetchProcesses.stop`); the child does not see a terminal's Ctrl+C itself (SIGINT is blocked while it
  starts, and it inherits that mask; multiprocessing's resource tracker is started before, as starting it unblocks
  SIGINT in the calling thread), so it never prints a traceback of its own;
* a killed server (SIGKILL, a crash, the OOM killer) cannot do that, so the child watches it: a thread blocks on
  a *lifeline* pipe whose write end only the server holds, and ends the child (``os._exit``) when the kernel
  closes that end; on Linux, ``PR_SET_PDEATHSIG`` also has the kernel send the child SIGKILL (effective even when
  a C call holds the GIL). That signal follows the server *thread* that started the child: the job thread, which
  waits for the child to the end, so it never fires early.

multiprocessing's resource tracker (started for any spawned process) exits when the last process holding its
pipe has ended: the server and its children, so it goes with them. The child's name (``ps``, ``top``) is
``learn-fetch``.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from learn.errors import LearnError
from learn.sources.fetch_plan import FetchRequest
from learn.sources.locking import Busy

#: Nice value added to the fetch process (the map's requests go first).
FETCH_NICE = 10
#: The fetch process's name in ``ps`` and ``top`` (at most 15 bytes).
PROCESS_NAME = "learn-fetch"
#: Seconds a terminated child has to end before it is killed.
STOP_TIMEOUT_S = 5.0
_PR_SET_NAME, _PR_SET_PDEATHSIG = 15, 1


class FetchProcesses:
    """The fetch processes a server is running: :meth:`stop` ends them all (and refuses new ones) at shutdown."""

    def __init__(self) -> None:
        self._procs: set[BaseProcess] = set()
        self._lock = threading.Lock()
        self._stopped = False

    @contextlib.contextmanager
    def running(self, proc: BaseProcess) -> Iterator[None]:
        """Start ``proc`` and keep it listed for the block (LearnError when the server is stopping)."""
        with self._lock:
            if self._stopped:
                raise LearnError(
                    "the server is shutting down", hint="POST /api/prepare again once it is back"
                )
            # Started first: starting it unblocks SIGINT in this thread (multiprocessing.resource_tracker).
            resource_tracker.ensure_running()
            with _sigint_blocked():
                proc.start()
            self._procs.add(proc)
        try:
            yield
        finally:
            with self._lock:
                self._procs.discard(proc)

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Terminate every running fetch process (SIGTERM, then SIGKILL after ``timeout_s``) and reap it."""
        with self._lock:
            self._stopped = True
            procs = list(self._procs)
        for p in procs:
            p.terminate()  # SIGTERM: the child has no handler, so it ends even inside a blocking C call
        for p in procs:
            p.join(timeout_s)
            if p.is_alive():
                p.kill()
                p.join(timeout_s)


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile: a child started now inherits the mask, so a terminal's Ctrl+C
    stops the server, whose shutdown stops the child, instead of interrupting the child with a traceback."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class PreparedElsewhere(LearnError):
    """A region another process (a second server on the catalog, a ``learn fetch``) is fetching now → 409."""


def busy_elsewhere(region: str, pid: int | None) -> PreparedElsewhere:
    """The error of a region another process is fetching (its pid; no server path in it)."""
    by = f"process {pid}" if pid else "another process"
    return PreparedElsewhere(
        f"{region} is already being prepared by {by} (another server on this catalog, or a `learn fetch`)",
        hint="ask again in a few minutes: it will be ready, or the files that process fetched are reused",
    )


def fetch_in_child(
    req: FetchRequest, on_rows: Callable[[str, int, int], None], processes: FetchProcesses | None = None
) -> None:
    """Run ``learn.sources.fetch.fetch(req)`` in a spawned process; its errors are raised here as LearnError.
    ``processes`` lists the child while it runs (the server's, to stop it at shutdown)."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
    receive, send = ctx.Pipe(duplex=False)
    lifeline_end, lifeline = ctx.Pipe(duplex=False)  # the child reads; only this process may write
    proc = ctx.Process(
        target=_child, args=(req, send, lifeline_end, os.getpid()), name=PROCESS_NAME, daemon=True
    )
    try:
        with (processes or FetchProcesses()).running(proc):
            send.close()
            lifeline_end.close()
            _relay(proc, receive, on_rows)
    finally:
        lifeline.close()  # the child ends now if it is still there (EOF on its lifeline)
        for conn in (receive, send, lifeline_end):
            conn.close()
        if proc.pid is not None:
            proc.join(STOP_TIMEOUT_S)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _relay(proc: BaseProcess, receive: Connection, on_rows: Callable[[str, int, int], None]) -> None:
    while True:
        try:
            msg = receive.recv()
        except EOFError:
            proc.join(timeout=10)
            raise LearnError(
                f"the fetch process ended without a result (exit code {proc.exitcode})",
                hint="try again; the server's log may say more",
            ) from None
        if msg[0] == "rows":
            on_rows(msg[1], msg[2], msg[3])
        elif msg[0] == "error":
            raise LearnError(msg[1], hint=msg[2])
        else:
            return


def _die_with_parent(parent_pid: int, lifeline: Connection) -> None:
    """End this process as soon as the server that started it is gone (see the module's doc)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            libc.prctl(_PR_SET_NAME, PROCESS_NAME.encode(), 0, 0, 0)
    if os.getppid() != parent_pid:  # the server died before the line above: nobody would signal us
        os._exit(1)

    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            while True:
                lifeline.recv_bytes()  # nothing is ever sent: returns at EOF, when the server's end closes
        os._exit(1)

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


def _child(req: FetchRequest, send: Connection, lifeline: Connection, parent_pid: int) -> None:
    _die_with_parent(parent_pid, lifeline)
    if hasattr(os, "nice"):
        os.nice(FETCH_NICE)
    from learn.sources.fetch import fetch

    try:
        fetch(req, progress=lambda label, done, total: send.send(("rows", label, done, total)))
    except Busy as err:
        if err.path.name.startswith(
            "fetch-"
        ):  # the data folder's (fetch_lock_path): taken since the server's check
            busy = busy_elsewhere(req.region, err.holder)
            send.send(("error", busy.message, busy.hint))
        else:
            send.send(("error", err.message, err.hint))
    except LearnError as err:
        send.send(("error", err.message, err.hint))
    except Exception as err:  # reported as the job's error, like one in a thread
        send.send(("error", f"internal error ({type(err).__name__}: {err})", None))
    else:
        send.send(("done",))
    finally:
        send.close()
