"""Build the demo region: run the generators in seed order, write the COGs, GeoPackage and manifest.

The only part that touches the disk; the draw order here is what keeps the output byte-identical.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt

from learn.demo.boundaries import _boundaries
from learn.demo.canopy import _canopy
from learn.demo.disturbance import _disturb
from learn.demo.forest import _carbon, _forest_codes
from learn.demo.grid import (
    CANOPY_YEARS,
    CARBON_YEAR,
    DEMO_GRID,
    DEMO_SEED,
    GENERATOR_VERSION,
    LC_YEARS,
    PERIODS,
    SYNTHETIC_TAG,
    U8,
    DemoGrid,
    Progress,
)
from learn.demo.land_cover import _compose, _initial_state, _State, _urban_class
from learn.demo.landscape import _Landscape, _landscape
from learn.landuse import LEARN_MATRIX_ORDER, NLCD_COLORS
from learn.raster.cog import CARBON_STORAGE_SCALE, write_cog
from learn.util import sha256_file


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """Yield a temporary name next to ``target`` (same suffix); rename onto ``target`` only on success."""
    tmp = target.with_name(f".{target.stem}.tmp{target.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _colormap() -> dict[int, tuple[int, int, int, int]]:
    """Official NLCD colours (RGBA) for the land-cover colour table; 0 (nodata) transparent."""
    cmap = {0: (0, 0, 0, 0)}
    for k, hexa in NLCD_COLORS.items():
        if k in LEARN_MATRIX_ORDER:  # the conterminous-US classes (no Alaska-only ones)
            cmap[k] = (int(hexa[1:3], 16), int(hexa[3:5], 16), int(hexa[5:7], 16), 255)
    return cmap


def _write_cog(
    path: Path,
    array: npt.NDArray[Any],
    *,
    nodata: float | None,
    categorical: bool,
    description: str,
    units: str,
    grid: DemoGrid = DEMO_GRID,
) -> None:
    """Write one band as a Cloud-Optimized GeoTIFF (512 px tiles, DEFLATE for classes / ZSTD for values, overviews), atomically.

    Overviews: nearest for classes, average for continuous values; the NLCD colour table goes on land cover.
    """
    write_cog(
        path,
        array,
        grid,
        nodata=nodata,
        categorical=categorical,
        tags={"SYNTHETIC": SYNTHETIC_TAG, "DESCRIPTION": description, "UNITS": units},
        colormap=_colormap() if path.name.startswith("land_cover_") else None,  # type: ignore[arg-type]
        description=description,
        storage_scale=CARBON_STORAGE_SCALE if path.name.startswith("carbon_") else None,
    )


def _write_gpkg(path: Path, frame: gpd.GeoDataFrame) -> None:
    """Write the boundaries layer to a GeoPackage atomically, with a fixed timestamp (byte-identical runs)."""
    import pyogrio

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2024-06-01T00:00:00.000Z"})
    try:
        with _atomic(path) as tmp:
            frame.to_file(tmp, layer="boundaries", driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def demo_file_names() -> list[str]:
    """Every file the demo region consists of (relative to its folder), in writing order."""
    names = [f"land_cover_{y}.tif" for y in LC_YEARS]
    names += [f"tree_canopy_{y}.tif" for y in CANOPY_YEARS]
    names += ["forest_age_type_region.tif", "carbon_live.tif", "carbon_dead_litter.tif", "carbon_soil.tif"]
    names += [f"disturbance_{a}_{b}.tif" for a, b in PERIODS]
    names += ["boundaries.gpkg"]
    return names


def _existing_manifest(out_dir: Path) -> dict[str, Any] | None:
    """The manifest of a complete demo build of this generator version in ``out_dir``, else None."""
    path = out_dir / "manifest.json"
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("generator_version") != GENERATOR_VERSION or manifest.get("seed") != DEMO_SEED:
        return None
    if not all((out_dir / name).is_file() for name in demo_file_names()):
        return None
    return manifest


def _simulate(
    rng: np.random.Generator, tick: Callable[[str], None]
) -> tuple[_Landscape, list[U8], list[U8], dict[int, U8], _State]:
    """Run the landscape through the epochs: land cover per epoch, disturbance per period, canopy per year."""
    ls = _landscape(rng, DEMO_GRID.shape, tick)
    tick("land cover and disturbance")
    st = _initial_state(rng, ls)
    lcs: list[U8] = []
    dists: list[U8] = []
    canopy: dict[int, U8] = {}
    dev = _urban_class(ls, 0)
    for e, year in enumerate(LC_YEARS):
        lc = _compose(e, ls, st, dev)
        lcs.append(lc)
        if year in CANOPY_YEARS:
            canopy[year] = _canopy(e, lc, ls, st)
        if e < len(PERIODS):
            dev = _urban_class(ls, e + 1)
            dists.append(_disturb(rng, e, lc, dev, ls, st))
    return ls, lcs, dists, canopy, st


def build_demo_region(
    out_dir: Path, *, force: bool = False, progress: Progress | None = None
) -> dict[str, Any]:
    """Generate the SYNTHETIC demo region into ``out_dir`` (idempotent, deterministic).

    Writes the rasters and ``boundaries.gpkg`` named by the catalog's ``regions.demo`` and
    ``manifest.json`` (synthetic flag, seed, generator version, grid, sha256 per file). When a manifest of
    this generator version exists and every file is present, returns it without writing unless ``force``.
    ``progress(step, done, total)`` is called as the work advances.
    """
    out_dir = Path(out_dir)
    if not force and (existing := _existing_manifest(out_dir)) is not None:
        return existing
    out_dir.mkdir(parents=True, exist_ok=True)
    names = demo_file_names()
    total = 6 + len(names) + 1  # compute steps + files + manifest
    done = 0

    def tick(step: str) -> None:
        nonlocal done
        if progress is not None:
            progress(step, done, total)
        done += 1

    rng = np.random.default_rng(DEMO_SEED)
    tick("layout")
    ls, lcs, dists, canopy, st = _simulate(rng, tick)
    tick("forest age-type-region")
    codes, age, forest_any = _forest_codes(rng, lcs, ls, st)
    tick("carbon pools")
    e_ref = LC_YEARS.index(CARBON_YEAR)
    live, dead, soil = _carbon(rng, lcs[e_ref], canopy[CARBON_YEAR], forest_any, age, ls)
    frame = _boundaries(rng, ls.layout, DEMO_GRID)
    del st, age, forest_any

    rasters: list[tuple[str, npt.NDArray[Any], float | None, bool, str, str]] = []
    for y, lc in zip(LC_YEARS, lcs, strict=True):
        rasters.append((f"land_cover_{y}.tif", lc, 0, True, f"NLCD land cover {y} (SYNTHETIC)", "class"))
    for y in CANOPY_YEARS:
        rasters.append(
            (f"tree_canopy_{y}.tif", canopy[y], 255, False, f"tree canopy {y} (SYNTHETIC)", "percent")
        )
    rasters.append(
        (
            "forest_age_type_region.tif",
            codes,
            0,
            True,
            "LEARN forest age-type-region code (SYNTHETIC)",
            "class",
        )
    )
    for name, arr, what in (
        ("carbon_live.tif", live, "live biomass carbon"),
        ("carbon_dead_litter.tif", dead, "dead wood and litter carbon"),
        ("carbon_soil.tif", soil, "soil organic carbon"),
    ):
        rasters.append((name, arr, -9999.0, False, f"{what} (SYNTHETIC)", "t C/ha"))
    for (a, b), dist in zip(PERIODS, dists, strict=True):
        desc = f"disturbance {a}-{b}: 0 none, 1-4 harvest by canopy loss quartile, 5 insect/disease, 10 fire (SYNTHETIC)"
        rasters.append((f"disturbance_{a}_{b}.tif", dist, None, True, desc, "class"))

    for name, arr, nodata, categorical, desc, units in rasters:
        tick(f"writing {name}")
        _write_cog(out_dir / name, arr, nodata=nodata, categorical=categorical, description=desc, units=units)
    tick("writing boundaries.gpkg")
    _write_gpkg(out_dir / "boundaries.gpkg", frame)

    tick("writing manifest.json")
    manifest: dict[str, Any] = {
        "synthetic": True,
        "description": f"{SYNTHETIC_TAG}: invented landscape, boundaries and values for trying the tool",
        "generator": "learn.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": DEMO_SEED,
        "grid": DEMO_GRID.to_dict(),
        "files": {name: sha256_file(out_dir / name) for name in names},
    }
    with _atomic(out_dir / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if progress is not None:
        progress("done", total, total)
    return manifest
