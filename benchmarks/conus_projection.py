"""Benchmark: all CONUS counties, one period, full question — raster pass + accounting + outputs, projected.

    python -m benchmarks.conus_projection [--zones 300] [--copies 11] [--full-json RUN.json | --full-rate MPX_S]
        [--json OUT]

The accounting and the outputs are measured on the *full* inventory (every term: land-use change, forest
remaining forest with the forest factors, disturbance, trees outside forests, carbon pools, uncertainty),
which the land-cover-only benchmarks (:mod:`benchmarks.batch`, :mod:`benchmarks.accounting_scale`) do not run:
the SYNTHETIC demo region (``learn demo``, 2,000² px with every layer and its demo factor tables), tiled by
``--zones`` irregular polygons (:func:`benchmarks.synthetic.zone_polygons`, moved onto the demo grid). One full
raster pass, then the stratum table and the boundaries copied ``--copies`` times (``zones × copies`` boundaries,
3,300 by default, about the 3,233 CONUS counties), in this process: the accounting of every boundary, the report
JSON documents (serialised and written, one file each, as ``learn batch`` does) and the six batch tables.

Projection for the 3,233 counties: the raster pass of 9·10⁹ px (one CONUS layer) at the ``learn_full`` rate
of :mod:`benchmarks.run` on this machine (``--full-json`` its JSON, or ``--full-rate``; default: the full pass
measured here on the demo, which is small and so slower per pixel), plus the accounting and outputs per boundary measured here × 3,233.
The counties' strata outnumber these boundaries' (a county averages 2.8 Mpx, a boundary here
``4 Mpx / zones``); the JSON reports the strata per boundary, and the per-stratum cost, so the projection can be
scaled (the accounting is a few table operations per term over the stratum table: linear in its rows).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.accounting_scale import copied
from benchmarks.run import machine
from benchmarks.synthetic import ORIGIN, zone_polygons

ROOT = Path(__file__).resolve().parent.parent
CONUS_PX = 9e9
CONUS_COUNTIES = 3233


def demo_tiling(region: Any, zones: int, folder: Path) -> Path:
    """``zones`` polygons tiling the demo grid, in a GeoPackage (id ``GEOID``, name ``NAME``)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    grid = region.grid
    if grid.width != grid.height:
        raise SystemExit(
            f"the demo grid is {grid.width} x {grid.height} px; this benchmark tiles a square one"
        )
    left, top = grid.transform.c, grid.transform.f
    shift = np.array([left - ORIGIN[0], top - ORIGIN[1]])
    geoms = [shapely.transform(g, lambda xy: xy + shift) for g in zone_polygons(grid.width, zones, 0)]
    frame = gpd.GeoDataFrame(
        {"GEOID": [f"T{i:05d}" for i in range(zones)], "NAME": [f"Tile {i}" for i in range(zones)]},
        geometry=geoms,
        crs=grid.crs,
    )
    path = folder / f"demo_tiles_{zones}.gpkg"
    frame.to_file(path, driver="GPKG", layer="tiles", engine="pyogrio")
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.conus_projection", description=__doc__.splitlines()[0]
    )
    p.add_argument("--zones", type=int, default=300, help="polygons tiling the demo grid (default 300)")
    p.add_argument("--copies", type=int, default=11, help="copies of them (default 11: 3,300 boundaries)")
    p.add_argument(
        "--full-rate", type=float, help="learn_full Mpx/s for the raster projection (benchmarks.run)"
    )
    p.add_argument("--full-json", type=Path, help="a benchmarks.run JSON: its results.learn_full.mpx_per_s")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    import learn
    from learn.demo.build import build_demo_region
    from learn.options import InventoryOptions
    from learn.pipeline.batch import load_boundaries_file, zone_source
    from learn.pipeline.batch_tables import write_tables
    from learn.raster.engine import grid_windows, reduce
    from learn.util import gc_paused, write_text_atomic

    build_demo_region(ROOT / "data" / "demo")
    region = learn.open_region("demo", ROOT / "data_catalog.yaml")
    start, end = region.default_period
    layers = region.period_layers(start, end)
    options = InventoryOptions()
    out: dict[str, Any] = {"region": "demo (SYNTHETIC)", "period": [start, end], "zones": args.zones}
    with tempfile.TemporaryDirectory(prefix="learn-bench-conus-") as tmpdir:
        tmp = Path(tmpdir)
        base = load_boundaries_file(
            demo_tiling(region, args.zones, tmp), region, id_field="GEOID", name_field="NAME"
        )
        t0 = time.perf_counter()
        zones = zone_source(region, base, options)
        t1 = time.perf_counter()
        job = region.reduction_job(layers, zones)
        windows = grid_windows(region.grid, None)
        reduce(job, windows[:1], workers=1)  # numba loads the kernel (untimed, as benchmarks.run)
        t2 = time.perf_counter()
        strata = reduce(job, windows)
        t3 = time.perf_counter()
        pixels = region.grid.width * region.grid.height
        out |= {
            "zone_rasterize_s": round(t1 - t0, 3),
            "raster_pass_s": round(t3 - t2, 3),
            "raster_pass_mpx_per_s": round(pixels / (t3 - t2) / 1e6, 2),
            "strata_per_zone": round(len(strata) / args.zones, 1),
        }
        bset, table, ids, zone_list = copied(base, strata, zones.ids, args.copies)
        with gc_paused():  # as learn batch
            t0 = time.perf_counter()
            reports = region.reports_from_strata(bset.get_many(ids), layers, table, options, zone_list)
            t1 = time.perf_counter()
            folder = tmp / "out" / f"{start}_{end}"
            folder.mkdir(parents=True)
            for bid, report in zip(ids, reports, strict=True):
                write_text_atomic(folder / f"{bid}.json", report.to_json())
            t2 = time.perf_counter()
            write_tables(reports, bset, tmp / "out")
        t3 = time.perf_counter()
    m = len(ids)
    per_boundary_s = (t3 - t0) / m
    rate, rate_from = out["raster_pass_mpx_per_s"], "this run's demo raster pass (small region: slow per px)"
    if args.full_json:
        rate, rate_from = (
            json.loads(args.full_json.read_text())["results"]["learn_full"]["mpx_per_s"],
            str(args.full_json),
        )
    if args.full_rate:
        rate, rate_from = args.full_rate, "--full-rate"
    raster_min = CONUS_PX / (rate * 1e6) / 60
    rest_min = per_boundary_s * CONUS_COUNTIES / 60
    out |= {
        "boundaries": m,
        "strata": len(table),
        "accounting_s": round(t1 - t0, 3),
        "report_files_s": round(t2 - t1, 3),
        "tables_s": round(t3 - t2, 3),
        "ms_per_boundary": round(1000 * per_boundary_s, 3),
        "us_per_stratum_accounting": round(1e6 * (t1 - t0) / len(table), 3),
        "projection_conus_counties": {
            "full_rate_mpx_per_s": rate,
            "full_rate_from": rate_from,
            "raster_pass_min": round(raster_min, 2),
            "accounting_and_outputs_min": round(rest_min, 2),
            "total_min": round(raster_min + rest_min, 2),
        },
        "machine": machine(),
    }
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
