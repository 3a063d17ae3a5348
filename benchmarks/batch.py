"""Benchmark: the whole ``learn batch`` process against exactextract on the same question and data.

    python -m benchmarks.batch [--size 8000] [--zones 1000] [--repeat 3] [--json OUT]

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
  manifest and ``inventory.csv`` only — the same kind of output as exactextract's CSV (this checkout only: a
  ``--baseline`` older than ``--formats`` has no such run).
* ``exactextract`` — a Python process reading the polygons (geopandas), ``exact_extract(combined,
  polygons, ["count", "unique", "frac"], output="pandas")`` on the precomputed ``lc1*256+lc2`` raster
  and writing the per-zone (code, fraction) table to CSV.

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


def stage_breakdown(root: Path, catalog: Path, out: Path, cache: Path, env: dict[str, str]) -> dict[str, Any]:
    """One in-process ``run_batch`` of the checkout ``root`` (zone cache fresh) with its stages' seconds."""
    code = (
        "import json, os, sys, time\n"
        "t0 = time.perf_counter()\n"
        "from learn.pipeline.batch import run_batch\n"
        "from learn.pipeline.region import open_region\n"
        f"region = open_region('bench', {str(catalog)!r})\n"
        f"result = run_batch(region, [{YEARS!r}], {str(out)!r})\n"
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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.batch", description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=8000, help="region side in pixels (default 8,000)")
    p.add_argument("--zones", type=int, default=1000, help="zone polygons (default 1,000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="runs per contender (default 3)")
    p.add_argument("--data", type=Path, default=DATA_DIR, help="cache folder for generated regions")
    p.add_argument("--baseline", type=Path, help="another checkout of this repository to time alongside")
    p.add_argument("--json", type=Path, help="write the report here")
    args = p.parse_args(argv)

    region = ensure_region(args.size, args.zones, args.seed, args.data)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(args.data / "pycache")
    roots = {"": ROOT, **({"baseline_": args.baseline.resolve()} if args.baseline else {})}
    loads = [round(os.getloadavg()[0], 2)]
    runs: dict[str, list[float]] = {"exactextract": []}
    stages: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="learn-bench-batch-") as tmpdir:
        tmp = Path(tmpdir)
        catalog = write_catalog(region, tmp / "catalog")
        ee_cmd = [
            sys.executable,
            "-c",
            EXACTEXTRACT_SCRIPT,
            str(region.path("combined")),
            str(region.zones_file),
        ]
        learn_args = [
            "batch",
            "--catalog",
            str(catalog),
            "--region",
            "bench",
            "--years",
            str(YEARS[0]),
            str(YEARS[1]),
        ]
        learn_cmd = [sys.executable, "-m", "learn.cli", *learn_args]
        # Untimed warm-up: the OS file cache, the bytecode and numba caches, each checkout's warm zone cache.
        timed([*ee_cmd, str(tmp / "ee_warmup.csv")], env)
        for prefix, root in roots.items():
            warm_env = dict(env, PYTHONPATH=str(root), LEARN_CACHE_DIR=str(tmp / f"{prefix}warm_cache"))
            timed([*learn_cmd, "--out", str(tmp / f"{prefix}warmup")], warm_env, root)
            runs[f"{prefix}learn_batch"], runs[f"{prefix}learn_batch_cached_zones"] = [], []
        runs["learn_batch_csv"] = []
        for i in range(args.repeat):
            for prefix, root in roots.items():
                child = dict(env, PYTHONPATH=str(root))
                cold = dict(child, LEARN_CACHE_DIR=str(tmp / f"{prefix}cold_cache_{i}"))
                runs[f"{prefix}learn_batch"].append(
                    timed([*learn_cmd, "--out", str(tmp / f"{prefix}cold_{i}")], cold, root)
                )
                runs["exactextract"].append(timed([*ee_cmd, str(tmp / f"ee_{i}.csv")], env))
                warm = dict(child, LEARN_CACHE_DIR=str(tmp / f"{prefix}warm_cache"))
                runs[f"{prefix}learn_batch_cached_zones"].append(
                    timed([*learn_cmd, "--out", str(tmp / f"{prefix}warm_{i}")], warm, root)
                )
                if not prefix:
                    runs["learn_batch_csv"].append(
                        timed([*learn_cmd, "--formats", "csv", "--out", str(tmp / f"csv_{i}")], warm, root)
                    )
            loads.append(round(os.getloadavg()[0], 2))
            print(f"  round {i + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in runs.items()), flush=True)
        for prefix, root in roots.items():
            stages[prefix.rstrip("_") or "learn"] = stage_breakdown(
                root, catalog, tmp / f"{prefix}stages", tmp / f"{prefix}stage_cache", env
            )
        loads.append(round(os.getloadavg()[0], 2))

    results = {k: summary(v) for k, v in runs.items()}
    ee = results["exactextract"]
    ratios = {
        "exactextract_over_learn_batch_csv": round(ee["best_s"] / results["learn_batch_csv"]["best_s"], 3),
        "exactextract_over_learn_batch_csv_median": round(
            ee["median_s"] / results["learn_batch_csv"]["median_s"], 3
        ),
    }
    for prefix in roots:
        for kind in ("learn_batch", "learn_batch_cached_zones"):
            ratios[f"exactextract_over_{prefix}{kind}"] = round(
                ee["best_s"] / results[f"{prefix}{kind}"]["best_s"], 3
            )
            ratios[f"exactextract_over_{prefix}{kind}_median"] = round(
                ee["median_s"] / results[f"{prefix}{kind}"]["median_s"], 3
            )
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
        "results": results,
        "ratios": ratios,
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
