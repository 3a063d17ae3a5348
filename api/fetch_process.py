"""``learn fetch`` for a prepare job in its own process, so the server's requests never wait on it.

A fetch is minutes of GDAL reads and Python around them. In a thread of the server it shares the GIL with the
event loop that answers tiles and reports (a cold tile's p95 doubled during a fetch on 2 cores, even niced); in a
spawned child it shares only the cores, at a lower priority. The child sends its progress (label, rows done,
rows in all) and then "done" or the error's message and hint over a pipe; the parent reports them as the job's.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection

from learn.errors import LearnError
from learn.sources.fetch_plan import FetchRequest

#: Nice value added to the fetch process (the map's requests go first).
FETCH_NICE = 10


def fetch_in_child(req: FetchRequest, on_rows: Callable[[str, int, int], None]) -> None:
    """Run ``learn.sources.fetch.fetch(req)`` in a spawned process; its errors are raised here as LearnError."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(req, send), name="learn-fetch", daemon=True)
    proc.start()
    send.close()
    try:
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
    finally:
        receive.close()
        proc.join(timeout=30)
        if proc.is_alive():
            proc.terminate()


def _child(req: FetchRequest, send: Connection) -> None:
    if hasattr(os, "nice"):
        os.nice(FETCH_NICE)
    from learn.sources.fetch import fetch

    try:
        fetch(req, progress=lambda label, done, total: send.send(("rows", label, done, total)))
    except LearnError as err:
        send.send(("error", err.message, err.hint))
    except Exception as err:  # reported as the job's error, like one in a thread
        send.send(("error", f"internal error ({type(err).__name__}: {err})", None))
    else:
        send.send(("done",))
    finally:
        send.close()
