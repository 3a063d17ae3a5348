"""A prepare job's fetch process ends with its server, and one region is never fetched twice at once (issue 21, R5).

Real processes, no mocks: ``learn serve`` runs as a subprocess on a copy of the shipped catalog whose public sources
are the local range server of :mod:`test_fetch` (the real Northampton NLCD around its true place), here answering
16 bytes every 0.25 s while ``DRIP`` is on, so the fetch child sits blocked in a network read (GDAL's, in C) when
its server is killed — by SIGTERM, by SIGINT to its process group (a terminal's Ctrl+C) or by SIGKILL. The
processes are found with psutil: the fetch child is the server's child named ``learn-fetch``; multiprocessing's
resource tracker is the other. Before the fix (fcfc929) the child and the tracker ran on re-parented to PID 1
after SIGTERM and SIGKILL, and a server sent SIGINT mid-fetch did not exit at all (its job thread waited on the
child). ~1–2 min on a loaded 2-core machine, most of it four ``learn serve`` start-ups.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import REPO
from range_server import RangeServer, free_port, serve_app
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from test_fetch import _catalog_copy, build_public_sources

from learn.sources.locking import Busy, exclusive, held_by

COUNTY = {"county": "25015", "start": 2011, "end": 2019}  # Hampshire County, MA: inside the served files
DRIP = {"on": True}
#: How long every process the server started may take to end after it was killed (seconds).
GONE_S = 5.0


class Drip:
    """ASGI middleware: while ``DRIP["on"]``, each response body goes out 16 bytes at a time, every 0.25 s."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def dripping(message: Message) -> None:
            if message["type"] != "http.response.body" or not DRIP["on"]:
                await send(message)
                return
            body = message.get("body", b"")
            while body and DRIP["on"]:
                await send({"type": "http.response.body", "body": body[:16], "more_body": True})
                body = body[16:]
                await asyncio.sleep(0.25)
            await send({**message, "body": body})  # the rest at once when the drip is turned off

        await self.app(scope, receive, dripping)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeServer]:
    root = tmp_path_factory.mktemp("www")
    build_public_sources(root)
    app = Drip(Starlette(routes=[Mount("/", StaticFiles(directory=root))]))
    with serve_app(app, root) as srv:
        yield srv
        DRIP["on"] = False


@pytest.fixture
def catalog(sources: RangeServer, tmp_path: Path) -> Iterator[Path]:
    DRIP["on"] = True
    yield _catalog_copy(tmp_path / "project", f"{sources.url}/prepare")
    DRIP["on"] = False


class Server:
    """``learn serve`` in a subprocess (no tile workers: its children are the fetch process and multiprocessing's
    resource tracker), its log in ``log``."""

    def __init__(self, catalog: Path, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / f"serve-{self.port}.log"
        env = {**os.environ, "PYTHONPATH": str(REPO), "LEARN_CACHE_DIR": str(tmp / "cache")}
        cmd = [sys.executable, "-c", "from learn.cli import main; main()", "serve", "--catalog", str(catalog)]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [*cmd, "--port", str(self.port), "--tile-workers", "0"],
                cwd=tmp,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as in a terminal
            )
        self.ps = psutil.Process(self.proc.pid)
        self.seen: set[psutil.Process] = set()  # every process this server started, as seen by fetchers()
        self.fetch_seen: set[psutil.Process] = set()  # its fetch processes among them
        deadline = time.monotonic() + 120  # seconds on an idle machine, a minute on a loaded one
        while time.monotonic() < deadline:
            try:
                self.get("/api/health")
                return
            except OSError:
                assert self.proc.poll() is None, self.log.read_text()
                time.sleep(0.2)
        raise AssertionError(f"learn serve did not start: {self.log.read_text()}")

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.load(r)

    def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        req = urllib.request.Request(
            self.url + "/api/prepare", json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.load(r)
        except urllib.error.HTTPError as err:
            return err.code, json.load(err)

    def fetchers(self) -> list[psutil.Process]:
        """The server's fetch processes now (every process it started is remembered in ``seen``)."""
        kids = self.ps.children(recursive=True)
        self.seen.update(kids)
        found = [p for p in kids if _name(p) == "learn-fetch"]
        self.fetch_seen.update(found)
        return found

    def wait_for_fetcher(self, timeout_s: float = 120) -> psutil.Process:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.fetchers()
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no fetch process: {self.ps.children(recursive=True)} {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for p in self.seen:  # whatever outlived it if the test failed
            with contextlib.suppress(psutil.Error):
                p.kill()


def _name(p: psutil.Process) -> str:
    try:
        return p.name()
    except psutil.Error:
        return ""


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_job(server: Server, job_id: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status: dict[str, Any] = server.get(f"/api/prepare/{job_id}")
        if status["status"] in ("done", "error"):
            return status
        server.fetchers()
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {server.get(f'/api/prepare/{job_id}')}")


def _in_a_read(sources: RangeServer, before: dict[str, int]) -> None:
    """Wait until the fetch is reading land cover (an answer of the dripping server under way since ``before``)."""
    deadline = time.monotonic() + 120
    while not any("nlcd" in p.lower() for p in sources.traffic.since(before)):
        assert time.monotonic() < deadline, "the fetch never read a land-cover file"
        time.sleep(0.05)
    time.sleep(0.5)  # and now blocked in it


def _kill_and_check(server: Server, sig: signal.Signals) -> tuple[float, float]:
    """Send ``sig`` to the server; assert everything it started (the fetch child, multiprocessing's resource
    tracker) is gone within GONE_S seconds of its end, nothing left re-parented. (Seconds until the server
    ended, seconds from then until the last of them ended.)"""
    started = set(server.ps.children(recursive=True)) | server.seen
    assert any(_name(p) == "learn-fetch" for p in started), started
    assert any("resource_tracker" in " ".join(_cmdline(p)) for p in started), started  # spawn starts one
    t0 = time.monotonic()
    if sig == signal.SIGINT:
        os.killpg(server.proc.pid, sig)  # Ctrl+C in a terminal: every process of the foreground group
    else:
        server.proc.send_signal(sig)
    server.proc.wait(60)
    t1 = time.monotonic()
    while any(_alive(p) for p in started) and time.monotonic() - t1 < GONE_S:
        time.sleep(0.02)
    left = [(p.pid, _name(p), p.ppid()) for p in started if _alive(p)]
    assert not left, f"alive {GONE_S} s after the server's {sig.name} (pid, name, parent): {left}"
    return t1 - t0, time.monotonic() - t1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_server_takes_its_fetch_process_with_it(
    catalog: Path, sources: RangeServer, sig: signal.Signals, tmp_path: Path
) -> None:
    server = Server(catalog, tmp_path)
    try:
        before = sources.traffic.snapshot()
        status, job = server.post(COUNTY)
        assert status == 202, job
        server.wait_for_fetcher()
        _in_a_read(sources, before)
        _kill_and_check(server, sig)
        assert b"Traceback" not in server.log.read_bytes(), server.log.read_text()
    finally:
        server.stop()


def test_a_killed_server_leaves_no_fetch_behind_and_the_next_one_prepares_the_county_once(
    catalog: Path, sources: RangeServer, tmp_path: Path
) -> None:
    first = Server(catalog, tmp_path)
    second: Server | None = None
    try:
        before = sources.traffic.snapshot()
        status, job = first.post(COUNTY)
        assert status == 202, job
        first.wait_for_fetcher()
        _in_a_read(sources, before)
        # A second server on the same catalog (or a restarted one beside an orphan) does not fetch the county too.
        second = Server(catalog, tmp_path)
        status, busy = second.post(COUNTY)
        fetcher = next(iter(first.fetch_seen))
        assert status == 409, busy
        assert (
            f"county_25015 is already being prepared by process {fetcher.pid} (another server on this catalog"
            in busy["detail"]
        )
        assert second.fetchers() == []

        _kill_and_check(first, signal.SIGKILL)
        DRIP["on"] = False
        second.fetch_seen.clear()
        status, job = second.post(COUNTY)  # now that nobody holds the region
        assert status == 202, job
        done = _wait_job(second, job["job_id"], timeout_s=120)
        assert done["status"] == "done", done
        assert len(second.fetch_seen) == 1, second.fetch_seen
        again = second.post(COUNTY)
        assert again[0] == 200 and again[1]["status"] == "done"
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_held_by_names_a_live_holder_and_forgets_a_killed_one(tmp_path: Path) -> None:
    """What the server asks before it starts a job (409 when another process fetches the county)."""
    lock = tmp_path / "fetch-x.lock"
    assert held_by(lock) is None  # no such file yet
    hold = (
        "import sys, time; from pathlib import Path; from learn.sources.locking import exclusive\n"
        "with exclusive(Path(sys.argv[1]), what='x', lock_file=Path(sys.argv[1])):\n"
        "    print('held', flush=True); time.sleep(60)"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", hold, str(lock)], stdout=subprocess.PIPE, env=env)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        assert held_by(lock) == holder.pid
        with pytest.raises(Busy), exclusive(lock, what="x", wait_s=0, lock_file=lock):
            pass
    finally:
        holder.kill()  # SIGKILL: the kernel drops its lock
        holder.wait(10)
    assert held_by(lock) is None
    with exclusive(lock, what="x", wait_s=0, lock_file=lock):  # and a probe does not make it fail
        assert held_by(lock) == os.getpid()
