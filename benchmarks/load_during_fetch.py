"""Load check of the web service while it prepares a county (issue 14; not a unit test).

The map's everyday requests — cached reports and tiles — must stay fast while a planner's "any US county"
job runs ``learn fetch`` in the same server. This starts ``learn serve`` on 127.0.0.1 with the demo region and
a catalog whose public sources are a local range-request server (the real Northampton, MA NLCD clips laid out
as the public hosts do, as in ``tests/test_fetch.py``), then 8 clients send cached reports and tiles

1. while the server is otherwise idle, and
2. while ``POST /api/prepare`` fetches Hampshire County, MA (25015), 2011–2019 (only the samples that finish
   before the job ends count),

and prints p50/p95 of both phases side by side, against the targets of ``benchmarks.load``.

    python -m benchmarks.load_during_fetch [--realdata tests/data] [--clients 8] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import morecantile

from benchmarks.load import ROOT, TARGETS_MS, _free_port, _get, _stats, wait_until_ready

TESTS = ROOT / "tests"


def _tile_urls(base: str, bounds: Any, zoom: int) -> list[str]:
    tms = morecantile.tms.get("WebMercatorQuad")
    tiles = list(tms.tiles(*bounds, [zoom]))
    layers = ["land_cover?year=2019", "forest_change?start=2011&end=2019", "tree_canopy?year=2019"]
    out = []
    for i, t in enumerate(tiles):
        layer, q = layers[i % len(layers)].split("?")
        out.append(f"{base}/tiles/demo/{layer}/{t.z}/{t.x}/{t.y}.png?{q}")
    return out


def _phase(
    pool: ThreadPoolExecutor, reports: list[str], cold: list[str], cached: list[str], rounds: int
) -> dict[str, list[float]]:
    """The ``cold`` tiles once, then ``rounds`` passes of cached reports and ``cached`` tiles (drawn before)."""
    ms: dict[str, list[float]] = {"cached_report": [], "tile_cold": [], "tile_cached": []}
    ms["tile_cold"] += pool.map(_get, cold)
    for _ in range(rounds):
        ms["cached_report"] += pool.map(_get, reports)
        ms["tile_cached"] += pool.map(_get, cached)
    return ms


def _project(tmp: Path, realdata: Path) -> tuple[Path, Any]:
    """The served public sources and a catalog (demo region + sources on 127.0.0.1) in ``tmp``."""
    sys.path.insert(0, str(TESTS))
    import conftest

    conftest.REALDATA = realdata
    import test_fetch
    from range_server import serve_directory

    test_fetch.NOHO = realdata / "nlcd_northampton_ma"
    www = tmp / "www"
    www.mkdir()
    test_fetch.build_public_sources(www)
    server = serve_directory(www)
    srv = server.__enter__()
    project = tmp / "project"
    cat = test_fetch._catalog_copy(project, f"{srv.url}/prepare")
    (project / "data").mkdir()
    (project / "data" / "demo").symlink_to(ROOT / "data" / "demo", target_is_directory=True)
    (project / "learn").symlink_to(ROOT / "learn", target_is_directory=True)  # the shipped factor tables
    return cat, server


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--realdata", type=Path, default=ROOT / "tests" / "data")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if not (args.realdata / "nlcd_northampton_ma").is_dir():
        print(f"no real NLCD clips at {args.realdata}/nlcd_northampton_ma (--realdata DIR)", file=sys.stderr)
        return 2

    from learn.demo import build_demo_region

    build_demo_region(ROOT / "data" / "demo")
    with tempfile.TemporaryDirectory(prefix="learn-load-") as tmp_s:
        cat, sources = _project(Path(tmp_s), args.realdata)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        serve = subprocess.Popen(
            [sys.executable, "-m", "learn.cli", "serve", "--catalog", str(cat), "--port", str(port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            doc = _measure(base, args.clients)
        finally:
            serve.terminate()
            serve.wait(timeout=20)
            sources.__exit__(None, None, None)
    for kind in ("cached_report", "tile_cold", "tile_cached"):
        idle, busy = doc["idle"][kind], doc["during_fetch"][kind]
        print(
            f"{kind:14s} idle p50 {idle['p50_ms']:7.1f} p95 {idle['p95_ms']:7.1f} ms (n={idle['n']:4d}) | "
            f"during fetch p50 {busy['p50_ms']:7.1f} p95 {busy['p95_ms']:7.1f} ms (n={busy['n']:4d}) | "
            f"target p95 {busy['target_p95_ms']:.0f} ms {'met' if busy['met'] else 'MISSED'}"
        )
    print(f"prepare job: {doc['job']['status']} in {doc['job']['seconds']:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


def _measure(base: str, clients: int) -> dict[str, Any]:
    wait_until_ready(base)
    boundaries = gpd.read_file(ROOT / "data" / "demo" / "boundaries.gpkg").to_crs(4326)
    ids = list(boundaries["GEOID"])
    reports = [f"{base}/api/regions/demo/inventory?boundary={b}&start=2011&end=2019" for b in ids]
    for url in reports:  # warm the report cache: both phases measure cached reports
        _get(url)
    tiles = _tile_urls(base, boundaries.total_bounds, 12)
    idle_tiles, busy_tiles = tiles[0::2], tiles[1::2]  # disjoint halves: cold in each phase
    kinds = {"cached_report": "cached_report", "tile_cold": "tile", "tile_cached": "tile"}
    with ThreadPoolExecutor(clients) as pool:
        idle = _phase(pool, reports, idle_tiles, idle_tiles, rounds=8)
        job = _post(f"{base}/api/prepare", {"county": "25015", "start": 2011, "end": 2019})
        t0 = time.perf_counter()
        done = threading.Event()
        status: dict[str, Any] = {}

        def watch() -> None:
            while True:
                with urllib.request.urlopen(f"{base}/api/prepare/{job['job_id']}", timeout=60) as r:
                    s = json.loads(r.read())
                if s["status"] in ("done", "error"):
                    status.update(s, seconds=time.perf_counter() - t0)
                    done.set()
                    return
                time.sleep(0.2)

        threading.Thread(target=watch, daemon=True).start()
        busy: dict[str, list[float]] = {k: [] for k in kinds}
        cold = busy_tiles
        while not done.is_set():
            got = _phase(pool, reports, cold, idle_tiles, rounds=1)
            cold = []
            if (
                done.is_set() and busy["cached_report"]
            ):  # overlapped the job's end: kept only if it is all there is
                break
            for k, v in got.items():
                busy[k] += v
        done.wait(600)
    return {
        "clients": clients,
        "idle": {k: _stats(v, TARGETS_MS[kinds[k]]) for k, v in idle.items()},
        "during_fetch": {k: _stats(v, TARGETS_MS[kinds[k]]) for k, v in busy.items()},
        "job": {"status": status.get("status"), "seconds": status.get("seconds", float("nan"))},
        "note": "8 clients; cached reports of every demo jurisdiction and z12 tiles of three layers "
        "(cold once, then cached), first with the server idle, then while POST /api/prepare fetches "
        "Hampshire County, MA 2011-2019 from a local range-request server (real NLCD clips)",
    }


if __name__ == "__main__":
    raise SystemExit(main())
