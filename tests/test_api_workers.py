"""Tile worker processes under faults, with real processes: a corrupt or missing layer file fails its own
tiles only, a dead worker is replaced while ``/api/health`` says so, and no worker outlives a killed server.

Cases from the reliability audit of 2026-12-01 (F1, F9), rebuilt on a copy of the SYNTHETIC demo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import morecantile
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.tile_workers import ProcessTileRenderer

REPO = Path(__file__).resolve().parents[1]
TMS = morecantile.tms.get("WebMercatorQuad")


def tile_url(layer: str, z: int, **params: int) -> str:
    t = TMS.tile(-75.2, 42.67, z)  # inside the demo region
    return f"/tiles/demo/{layer}/{t.z}/{t.x}/{t.y}.png?" + "&".join(f"{k}={v}" for k, v in params.items())


def detail(r: Any, status: int) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    return str(body["detail"])


@pytest.fixture
def broken_demo(demo_catalog: Path, tmp_path: Path) -> Path:
    """A copy of the demo whose land_cover_2019.tif is cut to half its bytes and tree_canopy_2016.tif is gone."""
    root = tmp_path / "broken"
    shutil.copytree(demo_catalog.parent, root, ignore=shutil.ignore_patterns("outputs"))
    cog = root / "data" / "demo" / "land_cover_2019.tif"
    data = cog.read_bytes()
    cog.write_bytes(data[: len(data) // 2])
    (root / "data" / "demo" / "tree_canopy_2016.tif").unlink()
    return root / demo_catalog.name


@pytest.fixture
def pooled(broken_demo: Path, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(broken_demo, cache_dir=tmp_path / "cache", tile_workers=2, webmap_dir=None)
    with TestClient(app, raise_server_exceptions=False) as c:
        tiles = c.app.state.service.tiles  # type: ignore[attr-defined]
        assert isinstance(tiles, ProcessTileRenderer) and tiles.ready.wait(60), "tile workers did not start"
        yield c


def is_png(r: Any) -> bool:
    return bool(r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n")


def test_unreadable_layer_file_fails_its_own_tiles_only(pooled: TestClient, broken_demo: Path) -> None:
    truncated = detail(pooled.get(tile_url("land_cover", 12, year=2019)), 500)
    assert "land_cover year=2019" in truncated and "land_cover_2019.tif" in truncated, truncated
    missing = detail(pooled.get(tile_url("tree_canopy", 11, year=2016)), 500)
    assert "tree_canopy year=2016" in missing and "tree_canopy_2016.tif" in missing, missing
    assert str(broken_demo.parent) not in truncated + missing  # no server folders in answers
    for url in (
        tile_url("land_cover", 12, year=2011),
        tile_url("tree_canopy", 11, year=2019),
        tile_url("forest_change", 12, start=2011, end=2016),
    ):
        assert is_png(pooled.get(url)), url  # healthy files still draw, in the workers
    assert "land_cover_2019.tif" in detail(pooled.get(tile_url("land_cover", 12, year=2019)), 500)
    health = pooled.get("/api/health").json()
    assert health["tile_workers_ready"] is True and health["tile_worker_restarts"] == 0, health


def wait_health(client: TestClient, restarts: int) -> bool:
    """Poll /api/health until the workers are back after ``restarts`` restarts; whether it said "not ready" meanwhile."""
    seen_down = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        health = client.get("/api/health").json()
        seen_down |= health["tile_workers_ready"] is False
        if health["tile_worker_restarts"] == restarts and health["tile_workers_ready"]:
            return seen_down
        time.sleep(0.05)
    raise AssertionError(f"the tile workers did not come back: {health}")


def test_dead_workers_are_replaced_and_health_says_so(pooled: TestClient) -> None:
    tiles: ProcessTileRenderer = pooled.app.state.service.tiles  # type: ignore[attr-defined]
    assert is_png(pooled.get(tile_url("land_cover", 10, year=2011)))
    # one worker killed (as by the OOM killer) with no tile traffic: /api/health notices and restarts them
    os.kill(next(iter(tiles._pids)), signal.SIGKILL)
    assert wait_health(pooled, restarts=1), "/api/health never said the tile workers were down"
    for url in (tile_url("land_cover", 11, year=2011), tile_url("canopy_change", 11, start=2011, end=2019)):
        assert is_png(pooled.get(url)), url
    assert "land_cover_2019.tif" in detail(pooled.get(tile_url("land_cover", 12, year=2019)), 500)
    # every worker killed, noticed by a tile request: that tile is a 503 (or drawn), never a 500
    for pid in list(tiles._pids):
        os.kill(pid, signal.SIGKILL)
    time.sleep(1.0)  # the pool's manager thread sees the dead workers and marks the pool broken
    r = pooled.get(tile_url("land_cover", 9, year=2011))
    assert is_png(r) or (r.status_code == 503 and r.headers["retry-after"] == "2"), (r.status_code, r.text)
    wait_health(pooled, restarts=2)
    assert is_png(pooled.get(tile_url("land_cover", 9, year=2013)))


# ---- F9: no orphans after SIGKILL of `learn serve` -------------------------------------------------------
def children_of(pid: int) -> set[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.add(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited (nobody reaped it yet)


def test_sigkill_of_learn_serve_leaves_no_tile_workers(demo_catalog: Path, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(REPO), "LEARN_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [
        sys.executable,
        "-c",
        "from learn.cli import main; main()",
        "serve",
        "--catalog",
        str(demo_catalog),
    ]
    server = subprocess.Popen(
        [*cmd, "--port", str(port), "--tile-workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    if json.load(r)["tile_workers_ready"]:
                        break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError("learn serve did not get its tile workers up")
        workers = children_of(server.pid)
        assert len(workers) >= 3, workers  # two tile workers and multiprocessing's resource tracker
        server.send_signal(signal.SIGKILL)
        server.wait(10)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = {p for p in workers if alive(p)}
        assert not left, f"orphans alive 10 s after SIGKILL of the server: {left}"
    finally:
        if server.poll() is None:
            server.kill()
        for pid in workers:  # this server's children, if the test failed
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
