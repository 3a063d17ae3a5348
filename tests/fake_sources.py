"""Every public source of the shipped catalog played on 127.0.0.1, for ``learn sources check`` tests.

:func:`fake_world` starts three local servers — the fake ArcGIS ImageServer (``fake_arcgis``), the fake
IDS feature layer (``fake_arcgis_feature``) and a range-request file server — and writes a catalog whose
datasets are the shipped ones (``data_catalog.yaml``) with only their hosts replaced: image services →
the image server (same URL paths), the feature layer → the feature server (same path), files → the file
server under ``/<host>/<path>``. What the servers hold is built from the shipped entries (the files of
their latest year, the tables the DataMart check asks for, rasters of the catalog's pixel types), so
the all-ok world answers as the catalog expects, and each :class:`Faults` flag changes one thing.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import yaml
from conftest import REALDATA, REPO
from fake_arcgis import FakeService, image_server_app, write_raster
from fake_arcgis_feature import FakeFeatureLayer, make_app
from range_server import free_port, serve_app, serve_directory
from rasterio.shutil import copy as rio_copy

from learn.sources.fia.download import FIA_TABLES

LC = REALDATA / "nlcd_northampton_ma" / "nlcd_2019_land_cover.tif"
SHIPPED: dict[str, Any] = yaml.safe_load((REPO / "data_catalog.yaml").read_text(encoding="utf-8"))["datasets"]
DTYPES = {"U8": np.uint8, "U16": np.uint16, "F32": np.float32}
F32_NODATA = -3.4028234663852886e38


@dataclass
class Faults:
    """One way each a source may answer otherwise than the catalog expects (all False: everything ok)."""

    units_text: str | None = None  # the pools' function descriptions say this instead of "... Tons per pixel"
    float_type_group: bool = False  # the forest type group service holds F32 values (catalog: U16)
    damage_types: tuple[str, ...] = ()  # the IDS layer holds these damage types only
    missing_file: str | None = None  # this dataset's file is not on the file server
    member_moved: str | None = (
        None  # this dataset's zip holds its member at the root, not where the catalog says
    )
    total_factor: float = 1.0  # the total carbon service holds the pools' sum times this
    unreachable: bool = False  # every href points at a port nobody listens on


@dataclass
class World:
    catalog: Path
    image: dict[str, FakeService] = field(default_factory=dict)
    survey: FakeFeatureLayer | None = None


def _latest(entry: dict[str, Any]) -> dict[str, Any]:
    return {"year": max(entry["years"]) if entry.get("years") else None, "state_fips": "25"}


def _rasters(d: Path, faults: Faults) -> dict[str, Path]:
    """Dataset key → GeoTIFF of the catalog's pixel type on the real Northampton grid (values: test only)."""
    with rasterio.open(LC) as ds:
        lc = ds.read(1)
    forest = np.isin(lc, (41, 42, 43, 90))
    rng = np.random.default_rng(7)
    out: dict[str, Path] = {}
    pools = [k for k, v in SHIPPED.items() if "carbon_component_of" in v]
    total = np.zeros(lc.shape, np.float64)
    for i, key in enumerate(pools):
        v = np.where(forest, rng.uniform(0.05, 1.0 + i, lc.shape), 0).astype(np.float32)
        total += v
        v[lc == 11] = F32_NODATA
        out[key] = write_raster(d / f"{key}.tif", v, LC, F32_NODATA)
    t = (total * faults.total_factor).astype(np.float32)
    t[lc == 11] = F32_NODATA
    out["total"] = write_raster(d / "total.tif", t, LC, F32_NODATA)
    for key, values in (
        ("bigmap_forest_type_group", np.select([lc == 41, lc == 42, lc == 43], [500, 100, 800], 0)),
        ("bigmap_stand_age", np.where(forest, rng.uniform(5, 160, lc.shape), 0)),
        ("mtbs_burn_severity", np.where(lc == 42, 3, 0)),
    ):
        kind = (
            "F32"
            if faults.float_type_group and key == "bigmap_forest_type_group"
            else SHIPPED[key]["pixel_type"]
        )
        dtype = DTYPES[kind]
        nodata = SHIPPED[key].get("no_data", F32_NODATA if dtype == np.float32 else np.iinfo(dtype).max)
        out[key] = write_raster(d / f"{key}.tif", values.astype(dtype), LC, float(nodata))
    return out


def _image_services(rasters: dict[str, Path], faults: Faults) -> dict[str, FakeService]:
    """The catalog's image services by URL path (both hosts), one raster function per dataset."""
    by_path: dict[str, FakeService] = {}
    for key, entry in SHIPPED.items():
        if entry.get("protocol") != "arcgis_image":
            continue
        for url in entry["href"] if isinstance(entry["href"], list) else [entry["href"]]:
            path = url.split("://", 1)[1].split("/", 1)[1].removesuffix("/ImageServer")
            svc = by_path.setdefault(path, FakeService(rasters={}, description=entry["title"]))
            fn = (entry.get("rendering_rule") or {"rasterFunction": "None"})["rasterFunction"]
            raster = (
                rasters["total" if entry.get("carbon_total") else key]
                if key in rasters or entry.get("carbon_total")
                else None
            )
            if raster is None:
                continue  # the pools service entry itself (bigmap_carbon): its functions come from the pools
            svc.rasters[fn] = raster
            units = faults.units_text or "Tons per pixel"
            svc.descriptions[fn] = f"{fn} Carbon - {units}" if "carbon_component_of" in entry else fn
            if key == "mtbs_burn_severity":
                svc.mosaic[f"mtbs_CONUS_{_latest(entry)['year']}"] = raster
    for svc in by_path.values():  # ArcGIS's no-op function, offered by every image service
        svc.rasters.setdefault("None", next(iter(svc.rasters.values())))
    return by_path


def _files(root: Path, faults: Faults) -> None:
    """The files of the catalog's file datasets (latest year, sample state) under ``root/<host>/<path>``."""
    cog = root / "_cog.tif"
    rio_copy(LC, cog, driver="COG")
    for key, entry in SHIPPED.items():
        href = entry["href"]
        if (
            entry.get("protocol") in ("arcgis_image", "arcgis_feature")
            or not isinstance(href, str)
            or "://" not in href
        ):
            continue
        if href.startswith("s3://") or key == faults.missing_file:
            continue
        values = _latest(entry)
        if entry.get("kind") == "table":  # the DataMart folder: the tables of the sample state
            for table in FIA_TABLES:
                _zip(root / _local(href) / f"MA_{table}.zip", f"MA_{table}.csv", b"CN\n1\n")
            continue
        target = root / _local(href.format(**values))
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.get("protocol") == "wcs":
            target.write_text(f"<CoverageDescription><name>{entry['coverage']}</name></CoverageDescription>")
        elif target.suffix == ".tif":
            target.write_bytes(cog.read_bytes())
        elif target.suffix == ".zip":
            member = str(entry.get("member") or "data.bin").format(**values)
            if key == faults.member_moved:
                member = Path(member).name if "/" in member else f"folder/{member}"
            _zip(target, member, cog.read_bytes())
        else:
            target.write_text("<html>documentation page</html>")


def _local(url: str) -> str:
    return url.split("://", 1)[1]


def _zip(path: Path, member: str, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "fake bundle for tests")
        zf.writestr(member, data)


def _localized(image: str, feature: str, files: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, entry in SHIPPED.items():
        base = (
            image
            if entry.get("protocol") == "arcgis_image"
            else feature
            if entry.get("protocol") == "arcgis_feature"
            else None
        )

        def move(url: str, base: str | None = base) -> str:
            if "://" not in url or url.startswith("s3://"):
                return url
            return base + "/" + url.split("://", 1)[1].split("/", 1)[1] if base else f"{files}/{_local(url)}"

        href = entry["href"]
        out[key] = {**entry, "href": [move(h) for h in href] if isinstance(href, list) else move(href)}
    return out


@contextmanager
def fake_world(tmp: Path, faults: Faults | None = None) -> Iterator[World]:
    faults = faults or Faults()
    (tmp / "rasters").mkdir()
    (tmp / "files").mkdir()
    rasters = _rasters(tmp / "rasters", faults)
    services = _image_services(rasters, faults)
    mort = "Mortality - Previously Undocumented"
    ids_years = SHIPPED["ids_damage_areas_mapserver"]["years"]
    import shapely

    square = shapely.box(-72.7, 42.3, -72.6, 42.35)
    survey = FakeFeatureLayer(
        features=[
            (square, {"survey_year": y, "damage_type": d, "dca_common_name": "test", "acres": 1.0})
            for y in (ids_years[0], ids_years[-1])
            for d in (faults.damage_types or (mort, "Defoliation"))
        ]
    )
    _files(tmp / "files", faults)
    with ExitStack() as stack:
        if faults.unreachable:
            dead = f"http://127.0.0.1:{free_port()}"
            datasets = _localized(dead, dead, dead)
        else:
            image = stack.enter_context(serve_app(image_server_app(services), tmp))
            feature = stack.enter_context(serve_app(make_app(survey), tmp))
            files = stack.enter_context(serve_directory(tmp / "files"))
            datasets = _localized(image.url, feature.url, files.url)
        catalog = tmp / "catalog.yaml"
        catalog.write_text(yaml.safe_dump({"datasets": datasets, "regions": {}}, sort_keys=False))
        yield World(catalog=catalog, image=services, survey=survey)
