"""Benchmark: how the accounting and the batch outputs grow with the number of boundaries.

    python -m benchmarks.accounting_scale [--size 8000] [--zones 1000] [--copies 1 2 4 8] [--json OUT]

One raster pass over a synthetic region (:mod:`benchmarks.synthetic`, land cover only, as
:mod:`benchmarks.batch`), then its stratum table and its boundaries copied ``k`` times (new ids, same
polygons): ``k × zones`` boundaries. For each ``k``, in this process: the accounting of every boundary
(:meth:`learn.pipeline.region.Region.reports_from_strata`), the report JSON documents, and the batch tables
(``learn.pipeline.batch.write_tables``: CSV, Parquet, GeoPackage, GeoJSON, GeoParquet, XLSX), each in seconds and
in milliseconds per boundary. Linear growth keeps the per-boundary figures flat.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.batch import YEARS, write_catalog
from benchmarks.run import machine
from benchmarks.synthetic import DATA_DIR, ensure_region


def copied(base: Any, strata: Any, zone_ids: list[str], k: int) -> tuple[Any, Any, list[str], list[int]]:
    """The boundary set ``base`` and its stratum table copied ``k`` times (ids ``ID-c``, zones shifted by
    ``c × zones``): (boundary set, stratum table, ids, each id's zone in the table)."""
    import pandas as pd

    from learn.sources.boundaries import BoundarySet

    zone_of = {bid: z for z, bid in enumerate(zone_ids)}
    n = len(zone_ids)
    frame = pd.concat([base.frame.assign(id=base.frame["id"] + f"-{c}") for c in range(k)], ignore_index=True)
    bset = BoundarySet(frame=frame, path=base.path, id_field=base.id_field)
    table = pd.concat([strata.assign(zone=strata["zone"] + c * n) for c in range(k)], ignore_index=True)
    ids = bset.ids()
    zone_list = [zone_of[b.rsplit("-", 1)[0]] + int(b.rsplit("-", 1)[1]) * n for b in ids]
    return bset, table, ids, zone_list


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.accounting_scale", description=__doc__.splitlines()[0]
    )
    p.add_argument("--size", type=int, default=8000)
    p.add_argument("--zones", type=int, default=1000)
    p.add_argument("--copies", type=int, nargs="+", default=[1, 2, 4, 8])
    p.add_argument("--data", type=Path, default=DATA_DIR)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)

    import learn
    from learn.options import InventoryOptions
    from learn.pipeline.batch import zone_source
    from learn.pipeline.batch_tables import write_tables
    from learn.raster.engine import grid_windows, reduce

    region_data = ensure_region(args.size, args.zones, 0, args.data)
    out: dict[str, Any] = {"size": args.size, "zones": args.zones, "runs": []}
    with tempfile.TemporaryDirectory(prefix="learn-bench-scale-") as tmpdir:
        tmp = Path(tmpdir)
        region = learn.open_region("bench", write_catalog(region_data, tmp / "catalog"))
        layers = region.period_layers(*YEARS)
        options = InventoryOptions()
        base = region.boundaries
        zones = zone_source(region, base, options)
        strata = reduce(region.reduction_job(layers, zones), grid_windows(region.grid, None))
        for k in args.copies:
            bset, table, ids, zone_list = copied(base, strata, zones.ids, k)
            t0 = time.perf_counter()
            reports = region.reports_from_strata(bset.get_many(ids), layers, table, options, zone_list)
            t1 = time.perf_counter()
            texts = [r.to_json() for r in reports]
            t2 = time.perf_counter()
            write_tables(reports, bset, tmp / f"out_{k}")
            t3 = time.perf_counter()
            m = len(ids)
            run = {
                "boundaries": m,
                "strata": len(table),
                "accounting_s": round(t1 - t0, 3),
                "report_json_s": round(t2 - t1, 3),
                "tables_s": round(t3 - t2, 3),
                "ms_per_boundary": {
                    "accounting": round(1000 * (t1 - t0) / m, 3),
                    "report_json": round(1000 * (t2 - t1) / m, 3),
                    "tables": round(1000 * (t3 - t2) / m, 3),
                },
                "json_bytes": sum(len(t) for t in texts),
            }
            out["runs"].append(run)
            print(json.dumps(run), flush=True)
    out["machine"] = machine()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
