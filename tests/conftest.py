"""Shared fixtures: tiny regions written to disk from small NumPy arrays (hand-computable)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
import yaml
from affine import Affine
from hypothesis import HealthCheck, settings

# Examples write small rasters to disk, so they are slower than hypothesis' default deadline.
settings.register_profile(
    "learn",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("learn")

PIXEL = 30.0
ORIGIN = (1_000_000.0, 2_000_000.0)  # top-left, EPSG:5070
# Real U.S. federal data (public domain) copied into the project, each folder with its SOURCE.md.
REALDATA = Path(__file__).resolve().parent / "data"


def write_tif(
    path: Path,
    array: np.ndarray,
    nodata: float | None = None,
    crs: str | None = "EPSG:5070",
    transform: Affine | None = None,
) -> Path:
    arr = np.asarray(array)
    transform = transform or Affine(PIXEL, 0, ORIGIN[0], 0, -PIXEL, ORIGIN[1])
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype=arr.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as ds:
        ds.write(arr, 1)
    return path


def pixel_box(row0: int, col0: int, row1: int, col1: int) -> shapely.Polygon:
    """Polygon covering pixel rows [row0,row1) and cols [col0,col1) exactly."""
    x0, y0 = ORIGIN
    return shapely.box(x0 + col0 * PIXEL, y0 - row1 * PIXEL, x0 + col1 * PIXEL, y0 - row0 * PIXEL)


RegionFactory = Callable[..., Path]


@pytest.fixture
def make_region(tmp_path: Path) -> RegionFactory:
    """Write a tiny region and return its catalog path.

    ``land_cover``: {year: array}; optional ``canopy`` {year: array} (percent), ``codes`` array,
    ``carbon`` (live, dead, soil) arrays, ``disturbance`` {(start, end): array}, ``boundaries``
    [(id, name, geometry)], ``forest_rows`` (CSV text), ``tof_rows`` (CSV text).
    """
    counter = {"n": 0}

    def factory(
        land_cover: dict[int, Any],
        *,
        canopy: dict[int, Any] | None = None,
        codes: Any = None,
        carbon: tuple[Any, Any, Any] | None = None,
        disturbance: dict[tuple[int, int], Any] | None = None,
        boundaries: list[tuple[str, str, shapely.Geometry]] | None = None,
        forest_rows: str | None = None,
        tof_rows: str | None = None,
        canopy_units: str = "percent",
        extra_region: dict[str, Any] | None = None,
    ) -> Path:
        counter["n"] += 1
        d = tmp_path / f"region{counter['n']}"
        d.mkdir()
        layers: dict[str, Any] = {}
        for y, a in land_cover.items():
            write_tif(d / f"lc_{y}.tif", np.asarray(a, dtype=np.uint8), nodata=0)
        shape = np.asarray(next(iter(land_cover.values()))).shape
        layers["land_cover"] = {"path": "lc_{year}.tif", "years": sorted(land_cover)}
        if canopy:
            for y, a in canopy.items():
                dtype = np.uint8 if canopy_units == "percent" else np.float32
                write_tif(
                    d / f"tc_{y}.tif",
                    np.asarray(a, dtype=dtype),
                    nodata=255 if canopy_units == "percent" else None,
                )
            layers["tree_canopy"] = {"path": "tc_{year}.tif", "years": sorted(canopy), "units": canopy_units}
        if codes is not None:
            write_tif(d / "codes.tif", np.asarray(codes, dtype=np.uint16))
            layers["forest_age_type_region"] = {"path": "codes.tif"}
        if carbon is not None:
            for name, a in zip(("carbon_live", "carbon_dead_litter", "carbon_soil"), carbon, strict=True):
                write_tif(d / f"{name}.tif", np.asarray(a, dtype=np.float32), nodata=-9999)
                layers[name] = {"path": f"{name}.tif", "units": "t C/ha"}
        if disturbance:
            for (a, b), arr in disturbance.items():
                write_tif(d / f"dist_{a}_{b}.tif", np.asarray(arr, dtype=np.uint8))
            layers["disturbance"] = {
                "path": "dist_{start}_{end}.tif",
                "periods": [list(p) for p in sorted(disturbance)],
            }
        if boundaries is None:
            boundaries = [("A", "Everything", pixel_box(0, 0, shape[0], shape[1]))]
        gpd.GeoDataFrame(
            {"GEOID": [b[0] for b in boundaries], "NAME": [b[1] for b in boundaries]},
            geometry=[b[2] for b in boundaries],
            crs="EPSG:5070",
        ).to_file(d / "bounds.gpkg")
        factors: dict[str, str] = {}
        if forest_rows is not None:
            (d / "forest.csv").write_text(forest_rows)
            factors["forest"] = "forest.csv"
        if tof_rows is not None:
            (d / "tof.csv").write_text(tof_rows)
            factors["trees_outside_forest"] = "tof.csv"
        region = {
            "description": "test region",
            "layers": layers,
            "factors": factors,
            "boundaries": {"path": "bounds.gpkg", "id_field": "GEOID", "name_field": "NAME"},
        }
        region.update(extra_region or {})
        cat = d / "catalog.yaml"
        cat.write_text(yaml.safe_dump({"datasets": {}, "regions": {"t": region}}))
        return cat

    return factory


FOREST_HEADER = (
    "ForestAgeTypeRegion,Region,UpperGroup,Age,Plantation,Nonforest to Forest Removal Factor,"
    "Forests Remaining Forest Removal Factor,Fire Emissions Factor,Insect Emissions Factor,"
    "Harvest Emissions Factor,source\n"
)


def forest_table(*rows: tuple[int, float, float, float, float, float]) -> str:
    """CSV in LEARN's layout from (code, RF nonforest→forest, RF remaining, EF fire, EF insect, EF harvest)."""
    body = "".join(
        f"{c},Northeast,Test group,20-100,0,{a},{b},{f},{i},{h},test\n" for c, a, b, f, i, h in rows
    )
    return FOREST_HEADER + body


TOF_DEFAULT = "level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\ndefault,,50,-4,test\n"


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def partial_region_catalog(make_region: RegionFactory) -> Path:
    """Region "t" with every layer but the carbon pools (as `learn fetch` makes without forest sources).
    Boundary A (F→Settlement, forest remaining forest, Cropland→Cropland) lacks its Forest→Settlement
    stock loss: a partial total; B (the last two pixels) has no forest loss, so it is complete."""
    return make_region(
        {2011: [[41, 41, 82]], 2019: [[21, 41, 82]]},
        codes=[[7, 7, 0]],
        canopy={2011: [[90, 90, 40]], 2019: [[0, 90, 20]]},
        disturbance={(2011, 2019): [[0, 0, 0]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[("A", "Alpha", pixel_box(0, 0, 1, 3)), ("B", "Beta", pixel_box(0, 1, 1, 3))],
    )


@pytest.fixture(scope="session")
def demo_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Any], list[tuple[str, int, int]]]:
    """The SYNTHETIC demo region built once per test session: (folder, manifest, progress calls).

    It sits in a copy of the project layout (catalog + packaged factor tables) so the repo's
    catalog resolves against it unchanged.
    """
    import shutil

    from learn.demo import build_demo_region

    root = tmp_path_factory.mktemp("demo_root")
    shutil.copy(REPO / "data_catalog.yaml", root / "data_catalog.yaml")
    shutil.copytree(REPO / "learn" / "factors", root / "learn" / "factors")
    calls: list[tuple[str, int, int]] = []
    out = root / "data" / "demo"
    manifest = build_demo_region(out, progress=lambda s, i, n: calls.append((s, i, n)))
    return out, manifest, calls


@pytest.fixture(scope="session")
def demo_catalog(demo_build: tuple[Path, Any, Any]) -> Path:
    """The repo's catalog resolving to the session's demo build."""
    return demo_build[0].parents[1] / "data_catalog.yaml"


def run_cli(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run ``learn ARGS`` in-process through the real entry point; return (exit code, stdout, stderr)."""
    from learn.cli import main

    monkeypatch.setattr("sys.argv", ["learn", *args])
    code = 0
    try:
        main()
    except SystemExit as e:
        code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@contextlib.contextmanager
def tmpfs_mount(folder: Path, size: str) -> Iterator[Path]:
    """A real tmpfs of ``size`` (e.g. "300k") mounted on ``folder`` for a full-disk test; the test is skipped,
    saying why, where mounting needs a root this machine does not give."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def northampton_catalog(folder: Path, tof_csv: str | Path) -> Path:
    """A catalog of the real NLCD clips of Northampton, MA (``tests/data/nlcd_northampton_ma``: land cover
    2001–2019, canopy 2011/2016, the outline) as region ``noho``, with ``tof_csv`` as its TOF factor table."""
    noho = REALDATA / "nlcd_northampton_ma"
    spec = {
        "description": "Northampton MA, real NLCD clips (test)",
        "state": "MA",
        "layers": {
            "land_cover": {
                "path": str(noho / "nlcd_{year}_land_cover.tif"),
                "years": [2001, 2004, 2006, 2008, 2011, 2013, 2016, 2019],
            },
            "tree_canopy": {
                "path": str(noho / "nlcd_{year}_tree_canopy.tif"),
                "years": [2011, 2016],
                "units": "percent",
            },
        },
        "boundaries": {
            "path": str(noho / "northampton_ma_outline.gpkg"),
            "id_field": "COUSUBFP10",
            "name_field": "TOWN2",
        },
        "factors": {"trees_outside_forest": str(tof_csv)},
    }
    catalog = folder / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"regions": {"noho": spec}}))
    return catalog
