"""Benchmark: the whole ``learn batch`` process against exactextract and rasterstats on the same question and data.

    python -m benchmarks.batch [--size 8000] [--zones 1000] [--repeat 3] [--contenders A,B] [--json OUT]

The question: the land-cover change matrix of every zone (K polygons tiling a synthetic region,
:mod:`benchmarks.synthetic`). Both contenders run as a user runs them, one fresh process per run, wall
time measured from outside, imports, reading the polygons and writing the answer included:

* ``learn_batch`` — ``learn batch --region bench --years 2001 2011 --out DIR`` on a catalog whose land
  cover is the region's ``lc1``/``lc2`` (no other layer: the report rows that need them say so). A fresh
  zone cache every run (``LEARN_CACHE_DIR``), so the polygons are rasterized inside the timing; it writes
  everything a batch writes (a JSON report per zone, inventory.csv/.parquet/.xlsx, boundaries.gpkg/
  .geojson/.parquet, manifest).
* ``learn_batch_cached_zones`` — the same with the zone raster already cached (a second batch on the same
  boundaries and grid: the usual case once a boundary set has been used).
* ``learn_batch_csv`` — ``learn batch --formats csv`` with the zone raster cached: the JSON reports, the
  manifest and ``inventory.csv`` only — the same kind of output as exactextract's CSV (a ``--baseline``
  must be recent enough to have ``--formats``).
* ``exactextract`` — a Python process reading the polygons (geopandas), ``exact_extract(combined,
  polygons, ["count", "unique", "frac"], output="pandas")`` on the precomputed ``lc1*256+lc2`` raster
  and writing the per-zone (code, fraction) table to CSV.
* ``rasterstats`` — a Python process reading the polygons (geopandas) and the ``lc1*256+lc2`` raster into an
  array (rasterio), ``zonal_stats(polygons, array, affine=…, categorical=True)`` and writing the per-zone
  (code, pixels) table to CSV.

``--contenders`` chooses a subset (default: all of the above); ``--no-stages`` skips the in-process stage
timing.

``--baseline DIR`` also times the ``learn`` of another checkout of this repository (e.g. a ``git worktree``
of an older commit) in the same runs, as ``baseline_*``: before/after figures measured side by side.

Runs alternate between contenders (learn, baseline, exactextract, then again) so that the load of a
shared machine falls on all of them; the best and the median of ``--repeat`` runs are kept. Then one
more ``learn batch`` in-process per checkout with its stages timed (:class:`learn.pipeline.batch.BatchResult`
``stage_seconds``): zone rasterization, raster pass, accounting, report JSON, tables (CSV/Parquet/
GeoPackage/GeoJSON/GeoParquet/XLSX).

Every child process may cache its bytecode (``PYTHONPYCACHEPREFIX`` under the data folder, even where
``PYTHONDONTWRITEBYTECODE`` is set), as an installed package has it: otherwise each run would compile every
module it imports (seconds, for pandas, geopandas and their dependencies) and time that instead.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.run import machine
from benchmarks.synthetic import DATA_DIR, Region, ensure_region

ROOT = Path(__file__).resolve().parent.parent
YEARS = (2001, 2011)

EXACTEXTRACT_SCRIPT = """
import sys
import geopandas as gpd
from exactextract import exact_extract
combined, zones_file, out = sys.argv[1:4]
polygons = gpd.read_file(zones_file, engine="pyogrio")
frame = exact_extract(combined, polygons, ["count", "unique", "frac"], include_cols=["zone"], output="pandas")
frame.to_csv(out, index=False)
"""

RASTERSTATS_SCRIPT = """
import csv
import sys
import geopandas as gpd
import rasterio
from rasterstats import zonal_stats
combined, zones_file, out = sys.argv[1:4]
polygons = gpd.read_file(zones_file, engine="pyogrio")
with rasterio.open(combined) as ds:
    array, transform = ds.read(1), ds.transform
# nodata must be given for uint16 (rasterstats' default -999 overflows); no lc1*256+lc2 code is 65535
stats = zonal_stats(list(polygons.geometry), array, affine=transform, nodata=65535, categorical=True)
with open(out, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["zone", "code", "pixels"])
    for zone, row in zip(polygons["zone"].tolist(), stats, strict=True):
        writer.writerows([zone, code, n] for code, n in row.items())
"""
CONTENDERS = ("learn_batch", "learn_batch_cached_zones", "learn_batch_csv", "exactextract", "rasterstats")


def write_catalog(region: Region, folder: Path) -> Path:
    """A catalog with one region ``bench``: the synthetic land cover as years 2001 and 2011, the zones."""
    folder.mkdir(parents=True, exist_ok=True)
    for year, name in zip(YEARS, ("lc1", "lc2"), strict=True):
        link = folder / f"lc_{year}.tif"
        if not link.exists():
            link.symlink_to(region.path(name))
    text = f"""regions:
  bench:
    description: "benchmark region (synthetic, benchmarks/synthetic.py)"
    synthetic: true
    layers:
      land_cover:
        path: "{folder}/lc_{{year}}.tif"
        years: [{YEARS[0]}, {YEARS[1]}]
        units: class
        source: "benchmarks/synthetic.py"
    boundaries:
      path: "{region.zones_file}"
      id_field: zone
"""
    path = folder / "catalog.yaml"
    path.write_text(text)
    return path


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return seconds


def stage_breakdown(
    root: Path, catalog: Path, out: Path, cache: Path, env: dict[str, str], formats: str | None = None
) -> dict[str, Any]:
    """One in-process ``run_batch`` of the checkout ``root`` (zone cache fresh) with its stages' seconds;
    ``formats``: the tables (None: all six)."""
    code = (
        "import json, os, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from learn.pipeline.batch import run_batch\n"
        "from learn.pipeline.region import open_region\n"
        f"region = open_region('bench', {str(catalog)!r})\n"
        f"result = run_batch(region, [{YEARS!r}], {str(out)!r}, formats={formats!r})\n"
        "stages = dict(getattr(result, 'stage_seconds', {}))\n"
        "stages['total_in_process'] = time.perf_counter() - t0\n"
        "print(json.dumps(stages))\n"
    )
    env = dict(env, LEARN_CACHE_DIR=str(cache), PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    stages: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {k: round(v, 3) for k, v in stages.items()}


def summary(runs: list[float]) -> dict[str, Any]:
    return {
        "best_s": round(min(runs), 3),
        "median_s": round(statistics.median(runs), 3),
        "runs_s": [round(r, 3) for r in runs],
    }


def ratios_of(results: dict[str, Any], roots: dict[str, Path]) -> dict[str, float]:
    """peer ÷ learn (best and median) for every peer and learn contender that ran: > 1 = learn faster."""
    ratios = {}
    learns = [f"{prefix}{kind}" for prefix in roots for kind in CONTENDERS if kind.startswith("learn")]
    for peer in ("exactextract", "rasterstats"):
        for name in learns:
            if peer in results and name in results:
                ratios[f"{peer}_over_{name}"] = round(results[peer]["best_s"] / results[name]["best_s"], 3)
                ratios[f"{peer}_over_{name}_median"] = round(
                    results[peer]["median_s"] / results[name]["median_s"], 3
                )
    return ratios


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=8000, help="region side in pixels (default 8,000)")
    p.add_argument("--zones", type=int, default=1000, help="zone polygons (default 1,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="runs per contender (default 3)")
    p.add_argument("--data", type=Path, default=DATA_DIR, help="cache folder for generated regions")
    p.add_argument("--baseline", type=Path, help="another checkout of this repository to time alongside")
    p.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset (default: all)")
    p.add_argument("--no-stages", action="store_true", help="skip the in-process stage timing")
    p.add_argument("--json", type=Path, help="write the report here")
    args = p.parse_args(argv)
    chosen = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = sorted(set(chosen) - set(CONTENDERS))
    if unknown:
        p.error(f"unknown contenders {unknown}; choose from {', '.join(CONTENDERS)}")

    region = ensure_region(args.size, args.zones, args.seed, args.data)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(args.data / "pycache")
    roots = {"": ROOT, **({"baseline_": args.baseline.resolve()} if args.baseline else {})}
    loads = [round(os.getloadavg()[0], 2)]
    stages: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="learn-bench-batch-") as tmpdir:
        tmp = Path(tmpdir)
        catalog = write_catalog(region, tmp / "catalog")
        inputs = [str(region.path("combined")), str(region.zones_file)]
        peers = {
            "exactextract": [sys.executable, "-c", EXACTEXTRACT_SCRIPT, *inputs],
            "rasterstats": [sys.executable, "-c", RASTERSTATS_SCRIPT, *inputs],
        }
        learn_cmd = [
            sys.executable,
            "-m",
            "learn.cli",
            "batch",
            "--catalog",
            str(catalog),
            "--region",
            "bench",
        ]
        learn_cmd += ["--years", str(YEARS[0]), str(YEARS[1])]
        learn_kinds = {
            "learn_batch": ([], "cold"),
            "learn_batch_cached_zones": ([], "warm"),
            "learn_batch_csv": (["--formats", "csv"], "warm"),
        }

        def learn_run(prefix: str, root: Path, kind: str, i: int | str) -> float:
            extra, cache = learn_kinds[kind]
            cache_dir = tmp / (f"{prefix}cold_cache_{i}" if cache == "cold" else f"{prefix}warm_cache")
            child = dict(env, PYTHONPATH=str(root), LEARN_CACHE_DIR=str(cache_dir))
            return timed([*learn_cmd, *extra, "--out", str(tmp / f"{prefix}{kind}_{i}")], child, root)

        # Untimed warm-up: the OS file cache, the bytecode and numba caches, each checkout's warm zone cache.
        for name, cmd in peers.items():
            if name in chosen:
                timed([*cmd, str(tmp / f"{name}_warmup.csv")], env)
        for prefix, root in roots.items():
            learn_run(prefix, root, "learn_batch_cached_zones", "warmup")
        runs: dict[str, list[float]] = {}
        for i in range(args.repeat):
            # Alternating: learn (each checkout) and the peers, so that the machine's load falls on all of them.
            for name in chosen:
                if name in peers:
                    runs.setdefault(name, []).append(timed([*peers[name], str(tmp / f"{name}_{i}.csv")], env))
                    continue
                for prefix, root in roots.items():
                    runs.setdefault(f"{prefix}{name}", []).append(learn_run(prefix, root, name, i))
            loads.append(round(os.getloadavg()[0], 2))
            print(f"  round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items()), flush=True)
        if not args.no_stages:
            for prefix, root in roots.items():
                # Only CSV when no contender writes all six tables (--contenders learn_batch_csv,...).
                only_csv = not {"learn_batch", "learn_batch_cached_zones"} & set(chosen)
                stages[prefix.rstrip("_") or "learn"] = stage_breakdown(
                    root,
                    catalog,
                    tmp / f"{prefix}stages",
                    tmp / f"{prefix}stage_cache",
                    env,
                    "csv" if only_csv else None,
                )
        loads.append(round(os.getloadavg()[0], 2))

    results = {k: summary(v) for k, v in runs.items()}
    shares = {}
    for name, st in stages.items():
        accounting_outputs = sum(v for k, v in st.items() if k in ("accounting", "report_json", "tables"))
        shares[name] = {
            "accounting_and_outputs_s": round(accounting_outputs, 3),
            "share_of_batch": round(accounting_outputs / st["total_in_process"], 3),
        }
    report = {
        "size": args.size,
        "pixels": args.size * args.size,
        "zones": args.zones,
        "repeat": args.repeat,
        "baseline": str(args.baseline) if args.baseline else None,
        "contenders": chosen,
        "results": results,
        "ratios": ratios_of(results, roots),
        "stages_s": stages,
        "accounting_and_outputs": shares,
        "loadavg_1min": loads,
        "machine": machine(),
    }
    print(
        json.dumps(
            {
                k: report[k]
                for k in ("results", "ratios", "stages_s", "accounting_and_outputs", "loadavg_1min")
            },
            indent=1,
        )
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
