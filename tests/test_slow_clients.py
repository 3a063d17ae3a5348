"""Slow clients are cut off (R9 of the 2026-12-05 reliability audit): against a real ``learn serve`` on 127.0.0.1,
sockets trickling their headers, or a body, or sending nothing are closed by the read deadlines
(:mod:`api.slow_clients`; short ones here, 2 s), while ``/api/health`` stays fast and a slow but steady upload
is not cut off. Before, 100 such sockets were all still open after 40 s."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.slow_clients import REQUEST_TIMEOUT, ReadDeadlines

REPO = Path(__file__).resolve().parents[1]
SOCKETS = 20  # per mode
DEADLINE_S = 2.0
POST_PATH = "/api/regions/demo/inventory?start=2011&end=2019"
SQUARE = [[-75.22, 42.64], [-75.2, 42.64], [-75.2, 42.66], [-75.22, 42.66], [-75.22, 42.64]]


@pytest.fixture(scope="module")
def server(demo_catalog: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``learn serve`` (the real command, in its own process) with 2 s header and body deadlines: its port."""
    tmp = tmp_path_factory.mktemp("slow_clients")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "PYTHONPATH": str(REPO), "LEARN_CACHE_DIR": str(tmp / "cache")}
    args = ["serve", "--catalog", str(demo_catalog), "--port", str(port), "--tile-workers", "0"]
    limits = ["--header-timeout", str(DEADLINE_S), "--body-timeout", str(DEADLINE_S), "--min-rate", "500"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from learn.cli import main; main()", *args, *limits],
        cwd=tmp,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "learn serve did not start"
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def health_seconds(port: int) -> float:
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as r:
        assert r.status == 200 and json.load(r)["status"] == "ok"
    return time.monotonic() - t0


def test_trickling_and_idle_sockets_are_closed_while_health_stays_fast(server: int) -> None:
    start = {
        "headers": b"GET /api/health HTTP/1.1\r\nHost: x\r\n",
        "body": f"POST {POST_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000000\r\n\r\n{".encode(),
        "idle": b"",
    }
    drip = {"headers": b"X-a: b\r\n", "body": b" ", "idle": b""}
    socks: list[tuple[str, socket.socket]] = []
    for mode, first in start.items():
        for _ in range(SOCKETS if mode != "idle" else 5):
            s = socket.create_connection(("127.0.0.1", server), timeout=5)
            s.sendall(first)
            socks.append((mode, s))
    t0 = time.monotonic()
    got: dict[int, bytes] = {i: b"" for i in range(len(socks))}
    closed_at: dict[int, float] = {}
    latencies: list[float] = []
    try:
        while len(closed_at) < len(socks) and time.monotonic() - t0 < 30:
            for i, (mode, s) in enumerate(socks):
                if i in closed_at:
                    continue
                try:
                    while select.select([s], [], [], 0)[0]:  # read what the server said, up to its close
                        data = s.recv(4096)
                        got[i] += data
                        if not data:
                            closed_at[i] = time.monotonic() - t0
                            break
                    if i not in closed_at and drip[mode]:
                        s.sendall(drip[mode])  # one header line, or one body byte, every 0.5 s
                except OSError:  # reset: the server closed it
                    closed_at[i] = time.monotonic() - t0
            latencies.append(health_seconds(server))
            time.sleep(0.5)
    finally:
        for _, s in socks:
            s.close()
    still_open = [(mode, i) for i, (mode, _) in enumerate(socks) if i not in closed_at]
    assert not still_open, f"{len(still_open)} slow sockets still open after 30 s: {still_open[:5]}"
    assert max(closed_at.values()) < 15, closed_at  # deadline 2 s (+ 1 s per 500 bytes sent)
    for i, (mode, _) in enumerate(socks):
        # a client that sent part of a request is told why; an idle one is closed silently
        assert got[i] == (REQUEST_TIMEOUT if mode != "idle" else b""), (mode, got[i][:80])
    assert max(latencies) < 3.0, latencies  # health answered throughout (0.5 s on a loaded 2-core machine)
    assert health_seconds(server) < 3.0


def test_a_slow_but_steady_upload_is_not_cut_off(server: int) -> None:
    """1,200 bytes/s for 3 s (longer than the 2 s body deadline, above the 500 bytes/s that extend it): 200."""
    feature = {"type": "Feature", "properties": {"name": "Slow upload"}}
    feature["geometry"] = {"type": "Polygon", "coordinates": [SQUARE]}
    body = json.dumps(feature).encode().ljust(3600)  # JSON allows the trailing spaces
    head = f"POST {POST_PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", server), timeout=60) as s:
        s.sendall(head.encode())
        for k in range(0, len(body), 300):
            s.sendall(body[k : k + 300])
            time.sleep(0.25)
        assert time.monotonic() - t0 > DEADLINE_S
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status = answer.split(b"\r\n", 1)[0]
    assert status == b"HTTP/1.1 200 OK", answer[:300]
    report = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert report["boundary"]["name"] == "Slow upload"


def test_deadlines_are_checked() -> None:
    assert ReadDeadlines() == ReadDeadlines(20.0, 20.0, 500.0)  # the documented defaults
    with pytest.raises(ValueError, match="negative"):
        ReadDeadlines(header_timeout=-1)
