"""One-thread CPU seconds of the full stratification: ``python -m benchmarks.full_cpu [--size 4000] [--zones 300]``.

Runs :func:`learn.raster.engine.reduce_windows` of the full job (land cover, forest code, disturbance, carbon ×3,
canopy ×2, the cached zone raster) over the region's 2,048-px windows on one thread, ``--repeat`` times after one
untimed window (numba load), and prints the best thread CPU time. CPU time of one thread moves far less than wall
time on a shared machine, so runs of two checkouts (``PYTHONPATH``) or two data folders (``--data``), interleaved,
compare kernels and storage formats under load. The region must exist (``python -m benchmarks.run`` makes it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.synthetic import DATA_DIR


def main(argv: list[str] | None = None) -> int:
    from learn.raster.engine import ReductionJob, grid_windows, reduce_windows
    from learn.raster.grid import Grid
    from learn.raster.zones import RasterZones

    p = argparse.ArgumentParser(prog="python -m benchmarks.full_cpu", description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=4000)
    p.add_argument("--zones", type=int, default=300)
    p.add_argument("--repeat", type=int, default=4)
    p.add_argument("--data", type=Path, default=DATA_DIR, help="folder holding region_SIZE_seed0/")
    args = p.parse_args(argv)
    folder = args.data / f"region_{args.size}_seed0"
    raster = sorted((folder / "zone_cache").glob("zones_*.tif"))[0]
    bands = int(json.loads(raster.with_suffix(".json").read_text())["bands"])

    def layer(name: str) -> str:
        return str(folder / f"{name}.tif")

    job = ReductionJob(
        land_cover=(layer("lc1"), layer("lc2")),
        zones=RasterZones(path=raster, ids=[str(i) for i in range(args.zones)], bands=bands),
        forest_age_type_region=layer("code"),
        disturbance=(layer("dist"),),
        carbon=(layer("carbon_live"), layer("carbon_dead_litter"), layer("carbon_soil")),
        canopy=(layer("tc1"), layer("tc2")),
    )
    grid = Grid(crs=None, transform=None, width=args.size, height=args.size)  # type: ignore[arg-type]
    windows = grid_windows(grid, block=2048)
    reduce_windows(job, windows[:1])
    cpu, wall = [], []
    for _ in range(args.repeat):
        t, w = time.thread_time(), time.perf_counter()
        reduce_windows(job, windows)
        cpu.append(time.thread_time() - t)
        wall.append(time.perf_counter() - w)
    print(
        json.dumps(
            {
                "cpu_min": round(min(cpu), 3),
                "wall_min": round(min(wall), 3),
                "cpu": [round(c, 3) for c in cpu],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
