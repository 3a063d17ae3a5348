"""One benchmark method in a fresh process: ``python -m benchmarks.methods METHOD SPEC.json OUT.json``.

Each method gets the same region and windows (from the spec written by :mod:`benchmarks.run`),
does its one-off set-up untimed (imports, numba warm-up), then answers the question ``repeat``
times; the best time is kept. Peak memory is the child's own (VmHWM), so it is per method.
The answer is saved as a per-zone change-matrix table (zone, lc1 * 256 + lc2, pixels) so the parent
can check that every method answered the same question.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio
from rasterio.windows import Window

Table = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]
Method = Callable[[dict[str, Any]], tuple[Callable[[], Any], Callable[[Any], Table | None]]]
CARBON = ("carbon_live", "carbon_dead_litter", "carbon_soil")


def _rss_mb() -> float:
    """Peak resident memory of this process in MB.

    VmHWM (Linux) rather than ``ru_maxrss``: the latter survives fork + exec, so a child would
    report at least its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _windows(spec: dict[str, Any]) -> list[Window]:
    return [Window(*w) for w in spec["windows"]]


def _layer(spec: dict[str, Any], name: str) -> str:
    return str(Path(spec["region"]["folder"]) / f"{name}.tif")


def _split(items: list[Window], parts: int) -> list[list[Window]]:
    return [items[k::parts] for k in range(parts) if items[k::parts]]


def _table_from_strata(frame: Any) -> Table:
    grouped = frame.groupby(["zone", "lc1", "lc2"], sort=True)["pixels"].sum().reset_index()
    return (
        grouped["zone"].to_numpy(np.int64),
        (grouped["lc1"].to_numpy(np.int64) << 8) | grouped["lc2"].to_numpy(np.int64),
        grouped["pixels"].to_numpy(np.float64),
    )


def _learn(spec: dict[str, Any], full: bool) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    from learn.raster.engine import ReductionJob, reduce
    from learn.raster.zones import RasterZones

    zones = RasterZones(
        path=Path(spec["zone_raster"]),
        ids=[str(i) for i in range(spec["region"]["zones"])],
        bands=int(spec["zone_bands"]),
    )
    extra: dict[str, Any] = {}
    if full:
        extra = {
            "forest_age_type_region": _layer(spec, "code"),
            "disturbance": (_layer(spec, "dist"),),
            "carbon": tuple(_layer(spec, k) for k in CARBON),
            "canopy": (_layer(spec, "tc1"), _layer(spec, "tc2")),
        }
    job = ReductionJob(land_cover=(_layer(spec, "lc1"), _layer(spec, "lc2")), zones=zones, **extra)
    windows = _windows(spec)
    # Warm-up (untimed): numba loads or compiles the kernel for this job's layer signature, and
    # the table-growth path (rehash); one real window exercises both.
    reduce(job, windows[:1], workers=1)

    def run() -> Any:
        return reduce(job, windows, workers=int(spec["workers"]))

    return run, _table_from_strata


def learn_change(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    return _learn(spec, full=False)


def learn_full(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    return _learn(spec, full=True)


def learn_breakdown(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    """Where learn's time goes: the engine's steps, timed one by one on one thread (same windows)."""
    from learn.raster import engine
    from learn.raster.kernel import StratumAccumulator
    from learn.raster.strata import combine
    from learn.raster.zones import RasterZones

    _learn(spec, full=False)  # warm-up: the kernel for both layer signatures used below
    _learn(spec, full=True)
    windows = _windows(spec)
    job = engine.ReductionJob(
        land_cover=(_layer(spec, "lc1"), _layer(spec, "lc2")),
        zones=None,  # type: ignore[arg-type]  # only the layers are opened
        forest_age_type_region=_layer(spec, "code"),
        disturbance=(_layer(spec, "dist"),),
        carbon=(_layer(spec, "carbon_live"), _layer(spec, "carbon_dead_litter"), _layer(spec, "carbon_soil")),
        canopy=(_layer(spec, "tc1"), _layer(spec, "tc2")),
    )

    def run() -> Any:
        phases: dict[str, float] = {}
        clock = [time.perf_counter()]

        def lap(name: str) -> None:
            now = time.perf_counter()
            phases[name] = phases.get(name, 0.0) + now - clock[0]
            clock[0] = now

        change_tables, full_tables = [], []
        zone_source = RasterZones(path=Path(spec["zone_raster"]), ids=[], bands=int(spec["zone_bands"]))
        # The engine's GDAL block cache and its reads and conversions (its private helpers), step by step.
        with rasterio.Env(GDAL_CACHEMAX=engine.GDAL_CACHE_MB), engine.open_job_layers(job) as stack:
            assert stack.grid is not None
            lap("open")
            for w in windows:
                lc1, lc2 = engine._codes(stack, "lc1", w), engine._codes(stack, "lc2", w)
                lap("read_land_cover")
                zones = [z for z, _ in zone_source.items(w, stack.grid.transform)]
                lap("read_zones")
                code = engine._codes(stack, "code", w)
                dist = engine._codes(stack, "dist0", w)
                lap("read_code_disturbance")
                pools = [engine._stored(stack, k, w) for k in CARBON]
                lap("read_carbon")
                canopy = [engine._stored(stack, k, w, 100.0) for k in ("tc1", "tc2")]
                lap("read_canopy")
                change = StratumAccumulator()
                for z in zones:
                    change.add(z, lc1, lc2)
                lap("kernel_change")
                full = StratumAccumulator()
                for z in zones:
                    full.add(
                        z,
                        lc1,
                        lc2,
                        code=code,
                        disturbance=dist,
                        carbon=(pools[0][0], pools[1][0], pools[2][0]),
                        carbon_stored=(pools[0][1], pools[1][1], pools[2][1]),
                        canopy=(canopy[0][0], canopy[1][0]),
                        canopy_stored=(canopy[0][1], canopy[1][1]),
                        canopy_range=(0.0, 100.0),
                    )
                lap("kernel_full")
                change_tables.append(change.to_frame())
                lap("to_frame_change")
                full_tables.append(full.to_frame())
                lap("to_frame_full")
        combine(change_tables)
        lap("combine_change")
        combine(full_tables)
        lap("combine_full")
        return {"phases": {k: round(v, 4) for k, v in phases.items()}}

    return run, lambda _: None


def exactextract_method(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    import geopandas as gpd
    from exactextract import exact_extract

    combined = _layer(spec, "combined")
    zones_file = spec["zones_file"]
    strategy = spec.get("exactextract_strategy", "feature-sequential")

    def run() -> Any:
        polygons = gpd.read_file(zones_file, engine="pyogrio")
        return exact_extract(
            combined,
            polygons,
            ["count", "unique", "frac"],
            include_cols=["zone"],
            output="pandas",
            strategy=strategy,
        )

    def table(frame: Any) -> Table:
        zs, codes, counts = [], [], []
        for zone, count, unique, frac in zip(
            frame["zone"], frame["count"], frame["unique"], frame["frac"], strict=True
        ):
            u = np.asarray(unique, np.int64)
            zs.append(np.full(u.size, int(zone), np.int64))
            codes.append(u)
            counts.append(np.asarray(frac, np.float64) * float(count))
        return np.concatenate(zs), np.concatenate(codes), np.concatenate(counts)

    return run, table


def rasterstats_method(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    import geopandas as gpd
    from rasterstats import zonal_stats

    combined = _layer(spec, "combined")
    zones_file = spec["zones_file"]

    def run() -> Any:
        polygons = gpd.read_file(zones_file, engine="pyogrio")
        stats = zonal_stats(list(polygons.geometry), combined, categorical=True, stats="count")
        return polygons["zone"].to_numpy(np.int64), stats

    def table(result: Any) -> Table:
        zone_ids, stats = result
        zs, codes, counts = [], [], []
        for zone, row in zip(zone_ids, stats, strict=True):
            for key, value in row.items():
                if key != "count":
                    zs.append(int(zone))
                    codes.append(int(key))
                    counts.append(float(value))
        return np.array(zs, np.int64), np.array(codes, np.int64), np.array(counts, np.float64)

    return run, table


def numpy_bincount(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], Table | None]]:
    nzones = int(spec["region"]["zones"])
    # Dense class index per NLCD code, so the key space is zones × C² (not zones × 65,536, which
    # would need 1.5 GB of bins for 3,000 zones); the last zone index collects pixels in no zone.
    classes = np.array(spec["classes"], np.int64)
    lut = np.zeros(256, np.int64)
    lut[classes] = np.arange(classes.size)
    nc = classes.size
    nbins = (nzones + 1) * nc * nc
    paths = (_layer(spec, "lc1"), _layer(spec, "lc2"), spec["zone_raster"])
    bands = int(spec["zone_bands"])

    def part(windows: list[Window]) -> npt.NDArray[np.int64]:
        counts = np.zeros(nbins, np.int64)
        with rasterio.open(paths[0]) as l1, rasterio.open(paths[1]) as l2, rasterio.open(paths[2]) as zr:
            for w in windows:
                lc1, lc2 = l1.read(1, window=w), l2.read(1, window=w)
                pair = (lut[lc1] * nc + lut[lc2]).ravel()
                for b in range(1, bands + 1):
                    z = zr.read(b, window=w).ravel().astype(np.int64)
                    z[z < 0] = nzones
                    counts += np.bincount(z * (nc * nc) + pair, minlength=nbins)
        return counts

    windows = _windows(spec)

    def run() -> Any:
        with ThreadPoolExecutor(int(spec["workers"])) as pool:
            return sum(pool.map(part, _split(windows, int(spec["workers"]))))

    def table(counts: Any) -> Table:
        counts = counts[: nzones * nc * nc]
        idx = np.flatnonzero(counts)
        zone, pair = np.divmod(idx, nc * nc)
        a, b = np.divmod(pair, nc)
        return zone.astype(np.int64), (classes[a] << 8) | classes[b], counts[idx].astype(np.float64)

    return run, table


def _decode(spec: dict[str, Any], paths: list[str]) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    windows = _windows(spec)

    def part(ws: list[Window]) -> int:
        n = 0
        datasets = [rasterio.open(p) for p in paths]
        try:
            for w in ws:
                for ds in datasets:
                    for b in range(1, ds.count + 1):
                        n += ds.read(b, window=w).size
        finally:
            for ds in datasets:
                ds.close()
        return n

    def run() -> Any:
        with ThreadPoolExecutor(int(spec["workers"])) as pool:
            return sum(pool.map(part, _split(windows, int(spec["workers"]))))

    return run, lambda _: None


def decode_floor(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    return _decode(spec, [_layer(spec, "lc1"), _layer(spec, "lc2")])


def decode_floor_full(spec: dict[str, Any]) -> tuple[Callable[[], Any], Callable[[Any], None]]:
    names = ["lc1", "lc2", "code", "dist", *CARBON, "tc1", "tc2"]
    return _decode(spec, [*(_layer(spec, n) for n in names), spec["zone_raster"]])


METHODS: dict[str, Method] = {
    "learn": learn_change,
    "learn_full": learn_full,
    "exactextract": exactextract_method,
    "rasterstats": rasterstats_method,
    "numpy_bincount": numpy_bincount,
    "learn_breakdown": learn_breakdown,
    "decode_floor": decode_floor,
    "decode_floor_full": decode_floor_full,
}


def main(argv: list[str]) -> int:
    name, spec_path, out_path = argv
    spec = json.loads(Path(spec_path).read_text())
    t0 = time.perf_counter()
    run, to_table = METHODS[name](spec)
    setup_s = time.perf_counter() - t0
    rss_before = _rss_mb()
    times = []
    result: Any = None
    for _ in range(int(spec["repeat"])):
        result = None  # drop the previous answer before the next run
        t = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t)
    peak = _rss_mb()
    seconds = min(times)
    pixels = int(spec["region"]["size"]) ** 2
    out: dict[str, Any] = {
        "seconds": round(seconds, 4),
        "runs_s": [round(t, 4) for t in times],
        "mpx_per_s": round(pixels / seconds / 1e6, 3),
        "peak_rss_mb": round(peak, 1),
        "rss_after_setup_mb": round(rss_before, 1),
        "setup_s": round(setup_s, 3),
    }
    if isinstance(result, dict) and "phases" in result:
        out["phases_s"] = result["phases"]
    table = to_table(result)
    if table is not None:
        zone, code, count = table
        np.savez(spec["table_dir"] + f"/{name}.npz", zone=zone, code=code, count=count)
        out["strata"] = int(np.count_nonzero(count))
        out["pixels_counted"] = round(float(count.sum()), 3)
        if name == "learn_full":
            out["full_strata"] = len(result)
    Path(out_path).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
