"""Load check of the HTTP service on loopback (not a unit test).

Starts ``learn serve`` on 127.0.0.1 (a free port) with the demo catalog, then 8 concurrent clients send a
bounded number of requests of three kinds and we report p50/p95 latency (ms) against the targets:
cached report p95 < 50 ms, tile p95 < 100 ms, county-size custom polygon < 2 s.

    python -m benchmarks.load [--json OUT] [--requests 200] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import morecantile

ROOT = Path(__file__).resolve().parents[1]
TARGETS_MS = {"cached_report": 50.0, "tile": 100.0, "custom_polygon": 2000.0}  # p95 targets


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, data: bytes | None = None) -> float:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as r:
        r.read()
        if r.status not in (200, 202):
            raise RuntimeError(f"{url}: HTTP {r.status}")
    return (time.perf_counter() - t) * 1000


def _until_report(base: str, url: str, body: bytes) -> float:
    """Milliseconds from POSTing a polygon until its report is available (polling a 202 job)."""
    t = time.perf_counter()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        doc = json.loads(r.read())
        status = r.status
    while status == 202 or doc.get("status") not in (None, "done"):
        if doc.get("status") == "error":
            raise RuntimeError(doc.get("error"))
        time.sleep(0.05)
        with urllib.request.urlopen(f"{base}/api/jobs/{doc['job_id']}", timeout=60) as r:
            doc, status = json.loads(r.read()), r.status
            doc.setdefault("job_id", doc.get("job_id"))
    return (time.perf_counter() - t) * 1000


def wait_until_ready(base: str, tries: int = 900) -> None:
    """Until the server answers, with its tile processes started (the checks measure the steady state)."""
    for _ in range(tries):
        try:
            with urllib.request.urlopen(f"{base}/api/health", timeout=10) as r:
                if json.load(r).get("tile_workers_ready", True):
                    return
        except OSError:
            pass
        time.sleep(0.1)


def _stats(ms: list[float], target: float) -> dict[str, float | bool]:
    q = statistics.quantiles(ms, n=20) if len(ms) > 1 else ms * 19
    return {
        "n": len(ms),
        "p50_ms": statistics.median(ms),
        "p95_ms": q[18],
        "target_p95_ms": target,
        "met": q[18] < target,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200, help="requests per kind (reports, tiles)")
    ap.add_argument("--polygons", type=int, default=8, help="custom polygon POSTs")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    from learn.demo import build_demo_region

    build_demo_region(ROOT / "data" / "demo")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "learn.cli",
            "serve",
            "--catalog",
            str(ROOT / "data_catalog.yaml"),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(base)
        boundaries = gpd.read_file(ROOT / "data" / "demo" / "boundaries.gpkg").to_crs(4326)
        ids = list(boundaries["GEOID"])
        for bid in ids:  # warm the report cache: the check measures cached reports
            _get(f"{base}/api/regions/demo/inventory?boundary={bid}&start=2011&end=2019")
        report_urls = [
            f"{base}/api/regions/demo/inventory?boundary={ids[i % len(ids)]}&start=2011&end=2019"
            for i in range(args.requests)
        ]
        w, s, e, n = boundaries.total_bounds
        tms = morecantile.tms.get("WebMercatorQuad")
        tiles = list(tms.tiles(w, s, e, n, [12]))
        layers = ["land_cover?year=2019", "forest_change?start=2011&end=2019", "tree_canopy?year=2019"]
        tile_urls = []
        for i in range(args.requests):
            t = tiles[(i * 7) % len(tiles)]
            layer, q = layers[i % len(layers)].split("?")
            tile_urls.append(f"{base}/tiles/demo/{layer}/{t.z}/{t.x}/{t.y}.png?{q}")
        # County-size custom polygon: a county's own shape, nudged so every POST is a new geometry (no cache).
        county = boundaries[boundaries["KIND"] == "county"].iloc[0:1]
        polygons = []
        for i in range(args.polygons):
            shifted = county.geometry.translate(xoff=1e-5 * (i + 1))
            polygons.append(json.dumps(json.loads(shifted.to_json())["features"][0]["geometry"]).encode())
        results = {}
        with ThreadPoolExecutor(args.clients) as pool:
            results["cached_report"] = _stats(list(pool.map(_get, report_urls)), TARGETS_MS["cached_report"])
            # First pass renders (cold: rio-tiler reads and warps the COGs); the second hits the tile cache.
            results["tile_cold"] = _stats(list(pool.map(_get, tile_urls)), TARGETS_MS["tile"])
            results["tile_cached"] = _stats(list(pool.map(_get, tile_urls)), TARGETS_MS["tile"])
        # Custom polygons one at a time: the time until the report is there (POST, then the job if 202).
        url = f"{base}/api/regions/demo/inventory?start=2011&end=2019"
        results["custom_polygon"] = _stats(
            [_until_report(base, url, b) for b in polygons], TARGETS_MS["custom_polygon"]
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    doc = {
        "clients": args.clients,
        "results": results,
        "note": "reports: cached GETs; tiles: mixed layers at z12, repeated tiles hit the tile cache; "
        "custom_polygon: one at a time, POST until the report is available (202 jobs polled)",
    }
    for kind, r in results.items():
        print(
            f"{kind:15s} n={r['n']:4d}  p50 {r['p50_ms']:8.1f} ms  p95 {r['p95_ms']:8.1f} ms  "
            f"target {r['target_p95_ms']:.0f} ms  {'met' if r['met'] else 'MISSED'}"
        )
    if args.json:
        args.json.write_text(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
