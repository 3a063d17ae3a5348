"""``learn fetch`` end to end against a real HTTP server on 127.0.0.1 serving real NLCD.

The server (uvicorn + Starlette StaticFiles, :mod:`range_server`) answers range requests and counts
the bytes it sends. It serves the real Northampton, MA NLCD clips from ``tests/data`` (copied from the real-data folder, each with its SOURCE.md) laid
out like the public sources, as COGs (256 px tiles, overviews) padded to a larger canvas (5 × 5
copies of the clip, the real one in the middle at its true coordinates), so "only a fraction of the
file travelled" means something. Canopy is served as a zip bundle (read through /vsizip//vsicurl/),
and a TIGER-like place zip is built from the real outline. No mocks: the CLI, GDAL's HTTP reads and
the files on disk are all real.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.shutil
import shapely
import yaml
from affine import Affine
from conftest import REALDATA, REPO, run_cli
from range_server import RangeServer, free_port, serve_directory
from tiger_fixture import write_place_zip

import learn
from learn.sources.census.tiger import county
from learn.sources.forest_derive import harvest_codes
from learn.sources.region_entry import TOF_DEFAULTS

NOHO = REALDATA / "nlcd_northampton_ma"
OUTLINE = NOHO / "northampton_ma_outline.gpkg"
LC_YEARS = (2011, 2013, 2016, 2019)  # the inventory years inside 2011-2019 (catalog inventory_years)
PERIOD = (2011, 2019)  # what the tests fetch and inventory
TC_YEARS = (2011, 2016)  # the real clips have canopy for these two years only
PAD = 5  # canvas = PAD × PAD copies of the clip, the real one in the middle
FETCH_ARGS = ["--years", "2011", "2019", "--id-field", "COUSUBFP10", "--name-field", "TOWN2"]
SITES = (
    "e2e",
    "place",
    "nb",
    "errors",
    "prepare",
    "places",
    "places_browser",
)  # one URL prefix per test: GDAL caches blocks per URL in-process


def _padded_cog(src: Path, dst: Path, nodata: int) -> int:
    """The real clip tiled PAD × PAD into a COG whose middle copy keeps its true coordinates."""
    with rasterio.open(src) as ds:
        arr, t, crs = ds.read(1), ds.transform, ds.crs
    k = PAD // 2
    big = np.tile(arr, (PAD, PAD))
    transform = Affine(t.a, 0, t.c - k * arr.shape[1] * t.a, 0, t.e, t.f - k * arr.shape[0] * t.e)
    tmp = dst.with_suffix(".plain.tif")
    with rasterio.open(
        tmp, "w", driver="GTiff", width=big.shape[1], height=big.shape[0], count=1, dtype=big.dtype,
        crs=crs, transform=transform, nodata=nodata,
    ) as out:  # fmt: skip
        out.write(big, 1)
    rasterio.shutil.copy(tmp, dst, driver="COG", BLOCKSIZE=256, COMPRESS="DEFLATE", OVERVIEWS="AUTO")
    tmp.unlink()
    return dst.stat().st_size


def _tiger_zip(dst: Path) -> None:
    """A TIGER-like place file (TIGER's columns, NAD83) holding the real Northampton outline (tiger_fixture)."""
    write_place_zip(dst, TIGER_YEAR, OUTLINE)


PUBLIC_HOSTS = ("https://data.source.coop", "https://data.fs.usda.gov", "https://www2.census.gov")
_DATASETS = yaml.safe_load((REPO / "data_catalog.yaml").read_text(encoding="utf-8"))["datasets"]
TIGER_YEAR = max(_DATASETS["tiger_places"]["years"])  # the --place default vintage


def _served(key: str, year: int) -> tuple[str, str | None]:
    """(URL path without the host, zip member or None) of a catalog dataset's file for ``year``: the
    local server lays the files out exactly as the public hosts do."""
    entry = _DATASETS[key]
    url = entry["href"].format(year=year)
    host = next(h for h in PUBLIC_HOSTS if url.startswith(h))
    member = entry.get("member")
    return url.removeprefix(host + "/"), member.format(year=year) if member else None


def build_public_sources(root: Path) -> dict[str, int]:
    """Lay out the local "public sources" under ``root`` (one folder per URL prefix of SITES, the USGS bucket
    path-style); the size in bytes of each served file by its URL path. Also used by ``benchmarks.load``."""
    site = root / SITES[0]
    sizes: dict[str, int] = {}
    for y in LC_YEARS:
        name, _ = _served("annual_nlcd_land_cover", y)
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        sizes[name] = _padded_cog(NOHO / f"nlcd_{y}_land_cover.tif", site / name, nodata=250)
    for y in TC_YEARS:
        name, member_name = _served("nlcd_tree_canopy", y)
        assert member_name is not None
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        member = site / PurePosixPath(member_name).name
        _padded_cog(NOHO / f"nlcd_{y}_tree_canopy.tif", member, nodata=255)
        with zipfile.ZipFile(site / name, "w", compression=zipfile.ZIP_STORED) as zf:
            # At the catalog's member path, in its folder, as the USFS zips hold it; stored, not deflated:
            # GDAL can seek inside it.
            zf.write(member, member_name)
        member.unlink()
        sizes[name] = (site / name).stat().st_size
    tiger = site / f"geo/tiger/TIGER{TIGER_YEAR}/PLACE"
    tiger.mkdir(parents=True)
    _tiger_zip(tiger / f"tl_{TIGER_YEAR}_25_place.zip")
    for other in SITES[1:]:
        (root / other).symlink_to(site, target_is_directory=True)
    # The USGS bucket, path-style (/BUCKET/KEY), as GDAL's /vsis3/ asks for it with AWS_VIRTUAL_HOSTING=FALSE.
    bucket, key = _DATASETS["annual_nlcd_land_cover_usgs_s3"]["href"].removeprefix("s3://").split("/", 1)
    mirror = _served("annual_nlcd_land_cover", LC_YEARS[0])[0]
    prefix = key.rsplit("/", 1)[0]
    assert mirror.endswith(prefix + "/" + mirror.rsplit("/", 1)[1])  # same keys below the mirror's prefix
    (root / bucket).mkdir()
    (root / bucket / prefix).parent.mkdir(parents=True, exist_ok=True)
    (root / bucket / prefix).symlink_to(site / mirror.rsplit("/", 1)[0], target_is_directory=True)
    return sizes


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RangeServer, dict[str, int]]]:
    """The local "public sources": (server, size in bytes of each served file by its URL path)."""
    root = tmp_path_factory.mktemp("www")
    sizes = build_public_sources(root)
    with serve_directory(root) as srv:
        yield srv, sizes


def _catalog_copy(dest: Path, base_url: str | None) -> Path:
    """The repo's catalog (comments and all) with the public hosts replaced by ``base_url`` and the
    canopy years limited to the two the real clips have. ``None`` keeps the public URLs."""
    text = (REPO / "data_catalog.yaml").read_text(encoding="utf-8")
    if base_url is not None:
        for host in PUBLIC_HOSTS:
            text = text.replace(host, base_url)
    # The BIGMAP and MTBS image services (forest inputs, carbon pools, fire) and the FIA DataMart are tested in
    # test_arcgis_image.py, test_fire_and_periods.py and test_fetch_complete.py against fakes; here they are
    # unmarked so these land-cover/canopy tests need only the file server.
    text = re.sub(
        r"\n    (carbon_component_of: carbon_\w+|fetch_layer: (forest_type_group|stand_age|insect_disease|fire_severity|forest_factors))",
        "",
        text,
    )
    published = f"years: {_DATASETS['nlcd_tree_canopy']['years']}"
    assert text.count(published) == 1, "the canopy years must be written on one line, in flow style"
    text = text.replace(published, f"years: {list(TC_YEARS)}")
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "catalog.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def _reference_harvest(dest: Path) -> Path:
    """The disturbance periods fetch derives for 2011-2019, computed on the real files directly: one per
    adjacent pair of land-cover years; harvest = canopy loss 2011→2016 (the only canopy pair around the
    first two periods, none around 2016-2019) on the period's start-year NLCD forest classes (no insect
    source in these catalogs, no fire source)."""
    with (
        rasterio.open(NOHO / "nlcd_2011_tree_canopy.tif") as c1,
        rasterio.open(NOHO / "nlcd_2016_tree_canopy.tif") as c2,
    ):
        loss = (c1.read(1), c2.read(1), c1.nodata)
    dest.mkdir(parents=True, exist_ok=True)
    for a, b in itertools.pairwise(LC_YEARS):
        with rasterio.open(NOHO / f"nlcd_{a}_land_cover.tif") as lc:
            zero = np.zeros(lc.shape, np.uint8)
            forest = np.isin(lc.read(1), (41, 42, 43, 90))
            profile = {**lc.profile, "dtype": "uint8", "nodata": None}
        codes = (
            harvest_codes(loss[0], loss[1], forest, zero, zero, canopy_nodata=loss[2]) if b <= 2016 else zero
        )
        with rasterio.open(dest / f"disturbance_{a}_{b}.tif", "w", **profile) as out:
            out.write(codes, 1)
        assert codes.any() == (b <= 2016)  # the real canopy does fall somewhere in Northampton
    return dest / "disturbance_{start}_{end}.tif"


def _reference_catalog(dest: Path) -> Path:
    """A catalog pointing straight at the shared real files (what fetch must reproduce)."""
    region = {
        "description": "Northampton MA, real NLCD clips read directly (test reference)",
        "state": "MA",
        "layers": {
            "land_cover": {"path": str(NOHO / "nlcd_{year}_land_cover.tif"), "years": list(LC_YEARS)},
            "tree_canopy": {
                "path": str(NOHO / "nlcd_{year}_tree_canopy.tif"),
                "years": list(TC_YEARS),
                "units": "percent",
            },
            "disturbance": {
                "path": str(_reference_harvest(dest)),
                "periods": [list(p) for p in itertools.pairwise(LC_YEARS)],
            },
        },
        "boundaries": {"path": str(OUTLINE), "id_field": "COUSUBFP10", "name_field": "TOWN2"},
        "factors": {"trees_outside_forest": str(TOF_DEFAULTS)},
    }
    dest.mkdir(parents=True, exist_ok=True)
    cat = dest / "reference.yaml"
    cat.write_text(yaml.safe_dump({"regions": {"noho": region}}))
    return cat


def _raster_paths(traffic: dict[str, int]) -> dict[str, int]:
    """Bytes sent per path ("/SITE/NAME") of the land-cover and canopy files only."""
    names = {_served("annual_nlcd_land_cover", y)[0] for y in LC_YEARS}
    names |= {_served("nlcd_tree_canopy", y)[0] for y in TC_YEARS}
    return {p: n for p, n in traffic.items() if p.split("/", 2)[-1] in names}


def _fetch_outline(
    cat: Path, region: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *more: str
) -> dict[str, Any]:
    """`learn fetch` of the real Northampton outline into ``region`` of ``cat`` (must succeed): its manifest."""
    args = ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--region-name", region, *more]
    code, _, err = run_cli([*args, "--catalog", str(cat)], monkeypatch, capsys)
    assert code == 0, err
    doc: dict[str, Any] = json.loads((cat.parent / "data" / region / "manifest.json").read_text())
    return doc


def _assert_report_equals_direct(cat: Path, region: str, tmp_path: Path) -> None:
    """The fetched region's Northampton report equals the one on the real files read directly."""
    fetched = learn.open_region(region, cat).inventory("46330", PERIOD)
    direct = learn.open_region("noho", _reference_catalog(tmp_path / "ref")).inventory("46330", PERIOD)
    assert _comparable(fetched) == _comparable(direct)


def _comparable(report: Any) -> dict[str, Any]:
    doc: dict[str, Any] = report.model_dump(exclude={"provenance"})
    doc["tof_factor_rows"] = report.provenance["tof_factor_rows"]
    return doc


def test_fetch_end_to_end_equals_direct_read_and_moves_a_fraction_of_the_bytes(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv, sizes = server
    cat = _catalog_copy(tmp_path / "project", f"{srv.url}/e2e")
    original_text = cat.read_text(encoding="utf-8")
    args = ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--region-name", "noho"]
    args += ["--catalog", str(cat), "--margin-m", "1000"]

    before = srv.traffic.snapshot()
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    sent = {p.removeprefix("/e2e/"): n for p, n in _raster_paths(srv.traffic.since(before)).items()}

    # (b) every source was read, and only a fraction of each file travelled.
    assert set(sent) == set(sizes)
    for name, n in sent.items():
        assert n < 0.25 * sizes[name], (name, n, sizes[name])
    assert "next: learn batch --region noho --years 2011 2019 --out outputs/noho" in out

    # The files, the manifest and the region entry.
    data = tmp_path / "project" / "data" / "noho"
    manifest = json.loads((data / "manifest.json").read_text())
    names = {f"land_cover_{y}.tif" for y in LC_YEARS} | {"tree_canopy_2011.tif", "tree_canopy_2016.tif"}
    periods = {"disturbance_2011_2013.tif", "disturbance_2013_2016.tif", "disturbance_2016_2019.tif"}
    assert set(manifest["files"]) == names | periods  # derived: harvest from canopy, a period per year pair
    assert manifest["files"]["disturbance_2013_2016.tif"]["inputs"] == {
        n: manifest["files"][n]["sha256"]
        for n in ("land_cover_2013.tif", "tree_canopy_2011.tif", "tree_canopy_2016.tif")
    }
    assert manifest["files"]["disturbance_2016_2019.tif"]["inputs"] == {
        "land_cover_2016.tif": manifest["files"]["land_cover_2016.tif"]["sha256"]  # no canopy pair around it
    }
    for name in names:
        entry = manifest["files"][name]
        assert entry["sha256"] == learn.util.sha256_file(data / name)
        assert entry["bytes"] == (data / name).stat().st_size
        assert entry["url"].startswith(f"{srv.url}/e2e/") and entry["how"] == "window"
        with rasterio.open(data / name) as ds:
            assert ds.crs.to_epsg() == 5070 and ds.res == (30.0, 30.0)
            assert ds.overviews(1) and ds.block_shapes[0] == (512, 512)
    # The catalog's member path (in the zip's folder) opens at once: no listing of the archive was needed.
    assert manifest["files"]["tree_canopy_2011.tif"]["read_as"].startswith("/vsizip//vsicurl/")
    assert manifest["files"]["tree_canopy_2011.tif"]["read_as"].endswith(
        ".zip/" + str(_served("nlcd_tree_canopy", 2011)[1])
    )
    assert manifest["state"]["status"] == "complete"
    assert manifest["grid"]["crs"] == "EPSG:5070" and manifest["boundary"]["state"] == "MA"
    assert not [p for p in data.iterdir() if p.name.startswith(".tmp")]
    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    assert region["state"] == "MA" and "REAL public data" in region["description"]
    assert region["layers"]["land_cover"]["path"] == "data/noho/land_cover_{year}.tif"
    assert region["layers"]["tree_canopy"]["years"] == list(TC_YEARS)
    assert (cat.parent / region["factors"]["trees_outside_forest"]).resolve() == TOF_DEFAULTS
    assert "forest" not in region["factors"]

    # (a) the report of the fetched region equals the one computed on the original files.
    fetched = learn.open_region("noho", cat).inventory("46330", PERIOD)
    direct = learn.open_region("noho", _reference_catalog(tmp_path / "ref")).inventory("46330", PERIOD)
    assert _comparable(fetched) == _comparable(direct)
    assert fetched.boundary.area_ha == pytest.approx(102_881 * 0.09)  # SOURCE.md pixel count
    assert fetched.provenance["layers"]["land_cover_start"]["source"] == "annual_nlcd_land_cover"
    assert "no carbon pool layers" in " ".join(fetched.warnings)

    # (d) the catalog keeps its comments and everything it had; only the region was added.
    new_text = cat.read_text(encoding="utf-8")
    assert new_text.startswith(original_text.rstrip("\n"))
    assert "# `learn fetch` reads land cover from the dataset marked fetch_layer" in new_text

    # (c) a re-run skips everything: no raster byte is sent again, the files are untouched.
    stamps = {p.name: p.stat().st_mtime_ns for p in data.iterdir()}
    before = srv.traffic.snapshot()
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    assert _raster_paths(srv.traffic.since(before)) == {}
    skipped = " ".join(err.split()).count("already there, sha256 matches the manifest")
    assert skipped == 10  # 6 rasters, the 3 disturbance periods derived from them, the boundary
    assert {p.name: p.stat().st_mtime_ns for p in data.iterdir() if p.name != "manifest.json"} == {
        k: v for k, v in stamps.items() if k != "manifest.json"
    }
    assert cat.read_text(encoding="utf-8") == new_text

    # A damaged file is fetched again (its sha256 no longer matches).
    (data / "land_cover_2019.tif").write_bytes(b"broken")
    before = srv.traffic.snapshot()
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, err
    assert "wrote land_cover_2019.tif" in " ".join(err.split())
    again = learn.open_region("noho", cat).inventory("46330", PERIOD)
    assert _comparable(again) == _comparable(direct)


def _snapshot_dir(d: Path) -> set[str]:
    return {str(p.relative_to(d)) for p in d.rglob("*")} if d.exists() else set()


def _fails_cleanly(
    args: list[str], cat: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """Run a fetch that must fail: exit 2, no traceback, catalog and project folder untouched."""
    text, files = cat.read_text(), _snapshot_dir(cat.parent)
    code, out, err = run_cli([*args, "--catalog", str(cat)], monkeypatch, capsys)
    assert code == 2, (out, err)
    assert "Traceback" not in err and "error:" in err
    assert cat.read_text() == text
    assert _snapshot_dir(cat.parent) == files
    return " ".join(err.split())


def test_year_not_published_lists_the_published_years(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat = _catalog_copy(tmp_path, f"{server[0].url}/errors")
    msg = _fails_cleanly(
        ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2030", "--region-name", "x"],
        cat,
        monkeypatch,
        capsys,
    )
    assert "not published for 2030" in msg and "1985, 1986" in msg and "2023" in msg


def test_unreachable_source_names_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()  # nobody listens there
    cat = _catalog_copy(tmp_path, f"http://127.0.0.1:{port}")
    msg = _fails_cleanly(
        ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--region-name", "x"],
        cat,
        monkeypatch,
        capsys,
    )
    assert f"http://127.0.0.1:{port}/{_served('annual_nlcd_land_cover', 2011)[0]}" in msg
    assert "cannot read" in msg


def test_boundary_outside_conus_is_refused_before_any_download(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv = server[0]
    cat = _catalog_copy(tmp_path / "p", f"{srv.url}/errors")
    for label, box, where in [("honolulu", (-157.95, 21.25, -157.75, 21.4), "in HI"), ("paris", (2.2, 48.8, 2.45, 48.92), "outside every U.S. state")]:  # fmt: skip
        f = tmp_path / f"{label}.geojson"
        gpd.GeoDataFrame({"NAME": [label]}, geometry=[shapely.box(*box)], crs="EPSG:4326").to_file(f)
        before = srv.traffic.snapshot()
        msg = _fails_cleanly(
            ["fetch", "--boundary-file", str(f), "--years", "2011", "2019", "--region-name", label],
            cat,
            monkeypatch,
            capsys,
        )
        assert "outside the conterminous US" in msg and where in msg
        assert srv.traffic.since(before) == {}


def test_unknown_county_suggests_close_geoids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = _catalog_copy(tmp_path, None)
    msg = _fails_cleanly(
        ["fetch", "--county", "25016", "--years", "2011", "2019", "--region-name", "x"],
        cat,
        monkeypatch,
        capsys,
    )
    assert "unknown county GEOID '25016'" in msg and "25015" in msg and "25017" in msg


def test_county_resolves_offline_from_plotly_geo() -> None:
    c = county("25015")
    assert c.state == "MA"
    assert c.frame["NAME"].tolist() == ["Hampshire"] and c.frame.crs.to_epsg() == 4269
    area_km2 = c.frame.to_crs("EPSG:5070").area.iloc[0] / 1e6
    assert 1_300 < area_km2 < 1_500  # Census: 1,412 km² total area
    # Northampton lies inside Hampshire County.
    noho = gpd.read_file(OUTLINE).to_crs("EPSG:4269").geometry.iloc[0]
    assert c.frame.geometry.iloc[0].contains(noho.representative_point())


def test_county_outside_the_served_data_is_refused(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat = _catalog_copy(tmp_path, f"{server[0].url}/errors")
    msg = _fails_cleanly(
        ["fetch", "--county", "06037", "--years", "2011", "2019", "--region-name", "la"],
        cat,
        monkeypatch,
        capsys,
    )
    assert "lies outside the extent of annual_nlcd_land_cover" in msg


def test_place_from_a_tiger_zip_over_http(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat = _catalog_copy(tmp_path, f"{server[0].url}/place")
    args = ["fetch", "--place", "2546330", "--years", "2011", "2019", "--region-name", "noho_place"]
    code, _, err = run_cli(
        [*args, "--catalog", str(cat)],
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    region = yaml.safe_load(cat.read_text())["regions"]["noho_place"]
    assert region["state"] == "MA"
    assert region["boundaries"]["id_field"] == "GEOID" and region["boundaries"]["name_field"] == "LABEL"
    assert f"TIGER/Line {TIGER_YEAR} places" in region["description"]
    report = learn.open_region("noho_place", cat).inventory("2546330", PERIOD)
    assert report.boundary.name == "Northampton city, MA"  # as the place picker names it (issue 26)
    assert report.boundary.area_ha == pytest.approx(102_881 * 0.09, rel=1e-3)


def test_place_offline_says_to_use_a_boundary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = _catalog_copy(tmp_path, f"http://127.0.0.1:{free_port()}")
    msg = _fails_cleanly(
        ["fetch", "--place", "2546330", "--years", "2011", "2019", "--region-name", "x"],
        cat,
        monkeypatch,
        capsys,
    )
    assert f"tl_{TIGER_YEAR}_25_place.zip" in msg and "--boundary-file" in msg


def test_warp_aligns_a_source_on_another_grid(tmp_path: Path) -> None:
    """A source half a pixel off the target grid is resampled (nearest) onto it, not read as a window."""
    from learn.sources.nlcd.clip import read_onto_grid, snapped_grid, window_on_source

    with rasterio.open(NOHO / "nlcd_2011_land_cover.tif") as ds:
        arr, t = ds.read(1), ds.transform
    shifted = tmp_path / "shifted.tif"
    with rasterio.open(
        shifted, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype,
        crs="EPSG:5070", transform=Affine(30, 0, t.c + 15, 0, -30, t.f), nodata=0,
    ) as out:  # fmt: skip
        out.write(arr, 1)
    grid = snapped_grid((t.c + 3000, t.f - 9000, t.c + 6000, t.f - 3000), 0, (t.c, t.f))
    with rasterio.open(shifted) as ds:
        assert window_on_source(ds, grid) is None
        got, how = read_onto_grid(ds, grid, categorical=True, fill=0)
    assert how == "warp:nearest"
    col0 = round((grid.transform.c - t.c) / 30)
    row0 = round((t.f - grid.transform.f) / 30)
    # Each target pixel centre falls on a source pixel boundary: nearest picks one of the two neighbours.
    left = arr[row0 : row0 + grid.height, col0 - 1 : col0 - 1 + grid.width]
    right = arr[row0 : row0 + grid.height, col0 : col0 + grid.width]
    assert ((got == left) | (got == right)).all()
    assert set(np.unique(got)) <= set(np.unique(arr))


# Annual NLCD's own CRS (the mirror's COGs): NLCD's Albers parameters on the WGS84 datum, no EPSG code.
ALBERS_WGS84 = (
    "+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
)


def test_annual_nlcd_albers_wgs84_source_lands_pixel_for_pixel_on_epsg_5070(tmp_path: Path) -> None:
    """A source in Annual NLCD's CRS (Albers on WGS84, same numbers as EPSG:5070's NAD83 Albers) is warped
    onto the EPSG:5070 grid snapped to its pixel corners: every class stays in its pixel."""
    from learn.sources.nlcd.clip import grid_origin, read_onto_grid, snapped_grid, window_on_source

    with rasterio.open(NOHO / "nlcd_2019_land_cover.tif") as ds:
        arr, t = ds.read(1), ds.transform
    src = tmp_path / "albers_wgs84.tif"
    with rasterio.open(
        src, "w", driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype,
        crs=rasterio.crs.CRS.from_proj4(ALBERS_WGS84), transform=t, nodata=250,
    ) as out:  # fmt: skip
        out.write(arr, 1)
    with rasterio.open(src) as ds:
        assert ds.crs.to_epsg() is None and ds.crs != rasterio.crs.CRS.from_epsg(5070)
        grid = snapped_grid((t.c + 3000, t.f - 9000, t.c + 6000, t.f - 3000), 0, grid_origin(ds))
        assert window_on_source(ds, grid) is None  # another CRS: warped, never read as a window
        got, how = read_onto_grid(ds, grid, categorical=True, fill=250)
    assert how == "warp:nearest"
    col0, row0 = round((grid.transform.c - t.c) / 30), round((t.f - grid.transform.f) / 30)
    assert np.array_equal(got, arr[row0 : row0 + grid.height, col0 : col0 + grid.width])


def test_rasterio_env_sets_the_titiler_options() -> None:
    from learn.sources.remote import gdal_http_env

    with gdal_http_env() as env:
        opts = env.options
    assert opts["GDAL_DISABLE_READDIR_ON_OPEN"] == "EMPTY_DIR"
    assert opts["GDAL_HTTP_MERGE_CONSECUTIVE_RANGES"] == "YES" and opts["VSI_CACHE"] == "TRUE"


NOTEBOOK = REPO / "notebooks" / "03_real_nlcd.ipynb"


def test_notebook_03_fetches_reports_and_maps(
    server: tuple[RangeServer, dict[str, int]], tmp_path: Path
) -> None:
    """Notebook 03 runs top to bottom against the local server and shows the real report and map."""
    from notebook_runner import execute_notebook, output_text

    cat = _catalog_copy(tmp_path, f"{server[0].url}/nb")
    env = {
        "LEARN_FETCH_CATALOG": str(cat),
        "LEARN_FETCH_BOUNDARY_FILE": str(OUTLINE),
        "LEARN_FETCH_REGION": "noho_nb",
        "LEARN_FETCH_YEARS": "2011 2019",
        "LEARN_FETCH_ID_FIELD": "COUSUBFP10",
        "LEARN_FETCH_NAME_FIELD": "TOWN2",
    }
    nb = execute_notebook(NOTEBOOK, env=env)
    text = output_text(nb)
    direct = learn.open_region("noho", _reference_catalog(tmp_path / "ref")).inventory("46330", PERIOD)
    assert "written  land_cover_2011.tif" in text and "written  tree_canopy_2016.tif" in text
    assert f"{direct.boundary.name} (46330), {direct.boundary.area_ha:,.1f} ha, 2011–2019" in text
    assert f"net flux: {direct.totals.net_t_co2e_per_yr:,.1f} t CO2e/yr" in text
    assert not direct.totals.complete and "partial total, not estimated:" in text
    assert "Could not fetch" not in text
    html = [
        o["data"]["text/html"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    assert any("data:image/png;base64" in h for h in html)  # the land-cover overlay is on the map
    assert (tmp_path / "data" / "noho_nb" / "manifest.json").exists()


def test_notebook_03_offline_ends_with_a_clear_message(tmp_path: Path) -> None:
    from notebook_runner import execute_notebook, output_text

    cat = _catalog_copy(tmp_path, f"http://127.0.0.1:{free_port()}")  # nothing listens: as offline
    nb = execute_notebook(NOTEBOOK, env={"LEARN_FETCH_CATALOG": str(cat), "LEARN_FETCH_REGION": "offline"})
    text = " ".join(output_text(nb).split())
    assert "Could not fetch the public data: cannot read annual_nlcd_land_cover 2011" in text
    assert "What to do:" in text and "the rest of the notebook is skipped" in text
    assert not (tmp_path / "data").exists()
    assert "offline" not in yaml.safe_load(cat.read_text())["regions"]


def test_upsert_replaces_a_region_and_keeps_comments(tmp_path: Path) -> None:
    from learn.sources.catalog import load_catalog
    from learn.sources.catalog_edit import upsert_region

    cat = _catalog_copy(tmp_path, None)
    before = cat.read_text()
    entry = {
        "description": "replaced",
        "layers": {"land_cover": {"path": "lc_{year}.tif", "years": [2011, 2019]}},
        "boundaries": {"path": "b.gpkg", "id_field": "GEOID", "name_field": "NAME"},
    }
    assert upsert_region(cat, "demo", entry)
    after = cat.read_text()
    assert after.split("\nregions:")[0] == before.split("\nregions:")[0]  # datasets and comments untouched
    assert (
        "    layers:\n      land_cover:\n        path: lc_{year}.tif\n        years: [2011, 2019]\n" in after
    )
    assert load_catalog(cat).regions["demo"].description == "replaced"
    assert not upsert_region(cat, "demo", entry)  # same entry: file not rewritten
    with pytest.raises(learn.LearnError, match="not valid"):  # invalid entry: refused, file kept
        upsert_region(cat, "bad", {"description": "no layers"})
    assert cat.read_text() == after


def test_boundary_fields_default_sensibly() -> None:
    from learn.sources.region_entry import pick_fields

    geom = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]
    census = gpd.GeoDataFrame({"NAME": ["A", "B"], "GEOID": ["1", "2"]}, geometry=geom)
    assert pick_fields(census, None, None)[1:] == ("GEOID", "NAME")
    town = gpd.GeoDataFrame({"n": [1, 2], "TOWN": ["X", "Y"], "KIND": ["city", "city"]}, geometry=geom)
    assert pick_fields(town, None, None)[1:] == ("TOWN", "KIND")
    bare = gpd.GeoDataFrame({"n": [1, 2]}, geometry=geom)
    frame, id_field, name_field = pick_fields(bare, None, None)
    assert (id_field, name_field) == ("fetch_id", "fetch_id") and frame["fetch_id"].tolist() == ["1", "2"]
    with pytest.raises(learn.LearnError, match="no field 'CODE'"):
        pick_fields(town, "CODE", None)


# ---- forest layers (codes, carbon pools, disturbance) ---------------------------------------------------------
# No public COG exists for them yet, so the shipped catalog marks none; a user who has them (LEARN's own
# rasters, a state carbon map) marks their datasets `fetch_layer: <layer>`. Here the SYNTHETIC demo
# region's COGs play that source, served over HTTP: the fetched region must reproduce the demo's report.
FOREST_PLACE = "9900200"  # a demo place with forest loss, reforestation and disturbance in 2011-2019


def _fetch_demo_place_args(demo_dir: Path, tmp_path: Path) -> list[str]:
    """`learn fetch` arguments for the demo's forested place, written as a boundary file (2011-2019)."""
    places = gpd.read_file(demo_dir / "boundaries.gpkg")
    boundary = tmp_path / "place.gpkg"
    places[places["GEOID"] == FOREST_PLACE].to_file(boundary, engine="pyogrio")
    return ["fetch", "--boundary-file", str(boundary), "--years", "2011", "2019", "--region-name", "place"]


def _demo_source_catalog(dest: Path, base_url: str) -> Path:
    def ds(href: str, kind: str, layer: str, **more: Any) -> dict[str, Any]:
        return {
            "title": f"SYNTHETIC demo {layer} served over HTTP (test)",
            "href": f"{base_url}/{href}",
            "kind": kind,
            "fetch_layer": layer,
            "license": "test data",
            "citation": "learn demo (SYNTHETIC)",
            **more,
        }

    demo = yaml.safe_load((REPO / "data_catalog.yaml").read_text())["regions"]["demo"]["layers"]
    datasets = {
        "demo_lc": ds(
            "land_cover_{year}.tif", "categorical", "land_cover", years=demo["land_cover"]["years"]
        ),
        "demo_tc": ds(
            "tree_canopy_{year}.tif", "continuous", "tree_canopy", years=demo["tree_canopy"]["years"]
        ),
        "demo_codes": ds("forest_age_type_region.tif", "categorical", "forest_age_type_region"),
        **{
            f"demo_{pool}": ds(f"{pool}.tif", "continuous", pool)
            for pool in ("carbon_live", "carbon_dead_litter", "carbon_soil")
        },
        "demo_dist": ds(
            "disturbance_{start}_{end}.tif",
            "categorical",
            "disturbance",
            periods=demo["disturbance"]["periods"],
        ),
    }
    dest.mkdir(parents=True, exist_ok=True)
    cat = dest / "catalog.yaml"
    cat.write_text(yaml.safe_dump({"datasets": datasets, "regions": {}}, sort_keys=False))
    return cat


def test_fetch_forest_layers_reproduces_the_source_region(
    demo_build: tuple[Path, Any, Any],
    demo_catalog: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo_dir = demo_build[0]
    factors = demo_dir.parents[1] / "learn" / "factors" / "demo_forest_factors_SYNTHETIC.csv"

    with serve_directory(demo_dir) as srv:
        cat = _demo_source_catalog(tmp_path / "project", srv.url)
        args = _fetch_demo_place_args(demo_dir, tmp_path)
        args += ["--forest-factors", str(factors), "--catalog", str(cat)]
        code, _, err = run_cli(args, monkeypatch, capsys)
        assert code == 0, err
        sent = srv.traffic.snapshot()

    data = tmp_path / "project" / "data" / "place"
    manifest = json.loads((data / "manifest.json").read_text())
    periods = ["disturbance_2011_2013.tif", "disturbance_2013_2016.tif", "disturbance_2016_2019.tif"]
    static = ["forest_age_type_region.tif", "carbon_live.tif", "carbon_dead_litter.tif", "carbon_soil.tif"]
    assert set(manifest["files"]) == {
        *(f"{layer}_{y}.tif" for layer in ("land_cover", "tree_canopy") for y in (2011, 2013, 2016, 2019)),
        *static, *periods,
    }  # fmt: skip
    assert manifest["files"]["disturbance_2013_2016.tif"]["period"] == [2013, 2016]
    assert not any("disturbance_2008_2011" in p or "disturbance_2019_2021" in p for p in sent)
    assert sent["/carbon_live.tif"] < 0.3 * (demo_dir / "carbon_live.tif").stat().st_size  # 4 of 16 tiles
    for name in static + periods:
        assert f"wrote {name}" in err
    with rasterio.open(data / "carbon_live.tif") as ds:
        # Stored as uint16 steps of 0.02 t C/ha (learn.raster.cog), nodata 65535.
        assert ds.nodata == 65535 and ds.dtypes[0] == "uint16" and ds.scales[0] == 0.02

    region = yaml.safe_load(cat.read_text())["regions"]["place"]
    assert region["layers"]["disturbance"] == {
        "path": "data/place/disturbance_{start}_{end}.tif",
        "periods": [[2011, 2013], [2013, 2016], [2016, 2019]],
        "units": "class",
        "source": "demo_dist",
    }
    assert region["layers"]["carbon_soil"]["units"] == "t C/ha"
    assert "All forest layers fetched" in region["description"]
    # The demo's synthetic codes (1101…1503) with its own factor table: no contract declared, none checked.
    assert "codes" not in region["layers"]["forest_age_type_region"]

    fetched = learn.open_region("place", catalog=cat).inventory(FOREST_PLACE, (2011, 2019))
    direct = learn.open_region("demo", catalog=demo_catalog).inventory(FOREST_PLACE, (2011, 2019))
    # Trees outside forests use the factors of the real state the synthetic landscape sits in (the demo
    # region says "ZZ"), so compare their areas; every forest row must be identical, factors included (each
    # report names the factor table relative to its own catalog's folder; the sha256 says it is the same table).
    tof = {"Tree canopy loss", "Canopy maintained/gained", "Total"}

    def forest_rows(report: Any) -> list[Any]:
        return [
            r.model_copy(update={"factors": {k: v for k, v in r.factors.items() if k != "table"}})
            for r in report.inventory
            if r.type not in tof
        ]

    assert forest_rows(fetched) == forest_rows(direct)
    assert [r.area_ha for r in fetched.inventory] == [r.area_ha for r in direct.inventory]
    assert fetched.change_matrix == direct.change_matrix and fetched.tree_canopy == direct.tree_canopy
    assert fetched.boundary == direct.boundary
    emitted = {r.type: r.emissions_t_co2e_per_yr for r in fetched.inventory}
    assert emitted["To Settlement"] and emitted["Fire"] is not None and emitted["Harvest/Other"]
    assert not [w for w in fetched.warnings if "not computed" in w]


def test_a_ready_code_source_declaring_the_contract_is_checked_against_it(
    demo_build: tuple[Path, Any, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """`codes: state_type_age` on a ready forest_age_type_region source: the demo's codes (1101…1503) are not
    state x 100000 + TYPGRPCD x 10 + age class, so the fetch stops (exit 2) with the layer, values and count."""
    demo_dir = demo_build[0]
    with serve_directory(demo_dir) as srv:
        cat = _demo_source_catalog(tmp_path / "project", srv.url)
        doc = yaml.safe_load(cat.read_text())
        doc["datasets"]["demo_codes"]["codes"] = "state_type_age"
        cat.write_text(yaml.safe_dump(doc, sort_keys=False))
        args = _fetch_demo_place_args(demo_dir, tmp_path)
        code, _, err = run_cli([*args, "--catalog", str(cat)], monkeypatch, capsys)
    assert code == 2, err
    assert (
        "forest_age_type_region" in err and "demo_codes" in err and "outside the forest code contract" in err
    )
    assert re.search(
        r"holds \d+ pixel\(s\) outside the forest code contract .*\(0 = no code\): 1[1-5]0[1-3]", err
    )
    assert "place" not in (yaml.safe_load(cat.read_text()).get("regions") or {})


def test_fetch_dataset_option_names_an_unknown_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = _catalog_copy(tmp_path / "project", None)
    before = cat.read_text()
    args = ["fetch", "--county", "25015", "--years", "2011", "2019", "--region-name", "x"]
    code, _, err = run_cli([*args, "--dataset", "carbon=foo", "--catalog", str(cat)], monkeypatch, capsys)
    assert code == 2 and "carbon" in err and "carbon_live" in err
    code, _, err = run_cli([*args, "--dataset", "carbon_live", "--catalog", str(cat)], monkeypatch, capsys)
    assert code == 2 and "LAYER=KEY" in err
    code, _, err = run_cli(
        [*args, "--dataset", "carbon_live=nope", "--catalog", str(cat)], monkeypatch, capsys
    )
    assert code == 2 and "unknown dataset 'nope'" in err
    assert cat.read_text() == before and not (tmp_path / "project" / "data").exists()


def test_requester_pays_s3_source_is_read_through_vsis3_with_the_payer_header(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The official USGS bucket (requester pays) through /vsis3/: GDAL signs its range requests and
    sends ``x-amz-request-payer: requester`` (from the dataset's gdal_options); the server here plays S3."""
    srv, _ = server
    for k, v in {
        "AWS_S3_ENDPOINT": srv.url.removeprefix("http://"),
        "AWS_HTTPS": "NO",
        "AWS_VIRTUAL_HOSTING": "FALSE",
        "AWS_ACCESS_KEY_ID": "test-key-id",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_REGION": "us-west-2",
    }.items():
        monkeypatch.setenv(k, v)
    cat = _catalog_copy(tmp_path / "project", f"{srv.url}/errors")
    dataset = ("--land-cover-dataset", "annual_nlcd_land_cover_usgs_s3")
    manifest = _fetch_outline(cat, "noho_s3", monkeypatch, capsys, *dataset)

    key = _DATASETS["annual_nlcd_land_cover_usgs_s3"]["href"].removeprefix("s3://").format(year=2011)
    headers = srv.traffic.last_headers[f"/{key}"]
    assert headers.get("x-amz-request-payer") == "requester"
    assert headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 Credential=test-key-id/")
    assert srv.traffic.bytes_sent[f"/{key}"] > 0
    entry = manifest["files"]["land_cover_2011.tif"]
    assert entry["read_as"] == f"/vsis3/{key}" and entry["gdal_options"] == {"AWS_REQUEST_PAYER": "requester"}
    _assert_report_equals_direct(cat, "noho_s3", tmp_path)


def _site_with_canopy_zips(srv: RangeServer, site: str, inside: Callable[[str], str | list[str]]) -> None:
    """A copy of the sources under /SITE/ whose canopy zips hold their raster at ``inside(member)`` (a
    list: the raster at each of those paths)."""
    src, dst = srv.root / SITES[0], srv.root / site
    lc = _served("annual_nlcd_land_cover", LC_YEARS[0])[0].rsplit("/", 1)[0]
    (dst / lc).parent.mkdir(parents=True)
    (dst / lc).symlink_to(src / lc, target_is_directory=True)
    for y in TC_YEARS:
        name, member = _served("nlcd_tree_canopy", y)
        assert member is not None
        (dst / name).parent.mkdir(parents=True, exist_ok=True)
        paths = inside(member)
        with zipfile.ZipFile(src / name) as zin, zipfile.ZipFile(dst / name, "w") as zout:
            for path in [paths] if isinstance(paths, str) else paths:
                zout.writestr(path, zin.read(member))


def test_zip_member_in_a_folder_is_found_by_name(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv, _ = server
    _site_with_canopy_zips(srv, "zipdir", lambda m: f"nlcd_tcc_conus_v2023-5/{m}")
    cat = _catalog_copy(tmp_path / "project", f"{srv.url}/zipdir")
    manifest = _fetch_outline(cat, "noho_zip", monkeypatch, capsys)
    member = _served("nlcd_tree_canopy", 2011)[1]
    assert manifest["files"]["tree_canopy_2011.tif"]["read_as"].endswith(
        f".zip/nlcd_tcc_conus_v2023-5/{member}"
    )
    _assert_report_equals_direct(cat, "noho_zip", tmp_path)


def test_zip_of_one_raster_under_another_name_is_used(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv, _ = server
    _site_with_canopy_zips(srv, "ziprenamed", lambda m: f"v2023-5/{m.replace('wgs84', 'albers')}")
    cat = _catalog_copy(tmp_path / "project", f"{srv.url}/ziprenamed")
    manifest = _fetch_outline(cat, "noho_one", monkeypatch, capsys)
    assert manifest["files"]["tree_canopy_2016.tif"]["read_as"].endswith(
        "_albers_v2023-5_20160101_20161231.tif"
    )
    _assert_report_equals_direct(cat, "noho_one", tmp_path)


def test_zip_without_the_member_lists_what_it_holds(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    srv, _ = server
    two = lambda m: [f"renamed/{m.replace('wgs84', 'albers')}", "renamed/readme_raster.tif"]  # noqa: E731
    _site_with_canopy_zips(srv, "zipother", two)
    cat = _catalog_copy(tmp_path / "project", f"{srv.url}/zipother")
    args = ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--region-name", "x"]
    msg = _fails_cleanly(args, cat, monkeypatch, capsys)
    member = _served("nlcd_tree_canopy", 2011)[1]
    assert member is not None and f"holds no file '{member}'" in msg
    assert f"renamed/{member.replace('wgs84', 'albers')}" in msg and "member:" in msg


def _wcs_app(site: Path, requests: list[dict[str, str]]) -> Any:
    """A GeoServer-like WCS 1.0.0 GetCoverage endpoint over the served land-cover COGs: crops the year's file
    to BBOX (EPSG:5070, 30 m; nodata 250 outside), adds sub-millimetre jitter to the geotransform as
    GeoServer does, and answers a ServiceException (XML, HTTP 200) for an unknown coverage or time."""
    from rasterio.io import MemoryFile
    from rasterio.windows import from_bounds
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    spec = _DATASETS["annual_nlcd_land_cover_usgs_wcs"]

    def get_coverage(request: Request) -> Response:
        q = dict(request.query_params)
        requests.append(q)
        year = q.get("time", "")[:4]
        path = site / _served("annual_nlcd_land_cover", int(year))[0] if year.isdigit() else None
        if q.get("coverage") != spec["coverage"] or path is None or not path.exists():
            xml = '<ServiceExceptionReport><ServiceException code="InvalidParameterValue">No such coverage or time'
            return Response(
                xml + "</ServiceException></ServiceExceptionReport>", media_type="application/xml"
            )
        x0, y0, x1, y1 = (float(v) for v in q["BBOX"].split(","))
        assert q["CRS"] == "EPSG:5070" and q["resx"] == q["resy"] == "30"
        with rasterio.open(path) as ds:
            win = from_bounds(x0, y0, x1, y1, ds.transform)
            arr = ds.read(1, window=win, boundless=True, fill_value=250)
            t = ds.window_transform(win)
            profile = dict(driver="GTiff", width=arr.shape[1], height=arr.shape[0], count=1, dtype=arr.dtype,
                           crs=ds.crs, nodata=250, transform=Affine(t.a, 0, t.c + 3e-5, 0, t.e, t.f - 2e-5))  # fmt: skip
        with MemoryFile() as mem:
            with mem.open(**profile) as out:
                out.write(arr, 1)
            return Response(mem.read(), media_type="image/tiff")

    route = spec["href"].split("://", 1)[1].split("/", 1)[1]
    return Starlette(routes=[Route(f"/{route}", get_coverage)])


def test_usgs_coverage_service_source_reads_only_the_clip(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The official USGS WCS: GetCoverage for the grid's box (snapped to the catalog's grid_origin) and the
    year's time instant; jittered answers land on the grid; the report equals the direct read."""
    from range_server import serve_app

    srv, sizes = server
    requests: list[dict[str, str]] = []
    with serve_app(_wcs_app(srv.root / SITES[0], requests), srv.root) as wcs:
        text = _catalog_copy(tmp_path / "project", f"{srv.url}/errors").read_text()
        cat = tmp_path / "project" / "catalog.yaml"
        cat.write_text(text.replace("https://dmsdata.cr.usgs.gov", wcs.url))
        dataset = ("--land-cover-dataset", "annual_nlcd_land_cover_usgs_wcs")
        manifest = _fetch_outline(cat, "noho_wcs", monkeypatch, capsys, *dataset)
        sent = sum(wcs.traffic.bytes_sent.values())

        assert sorted(q["time"] for q in requests) == [f"{y}-01-01T00:00:00.000Z" for y in LC_YEARS]
        entry = manifest["files"]["land_cover_2011.tif"]
        assert (
            entry["how"] == "wcs" and entry["protocol"] == "wcs" and "request=GetCoverage" in entry["read_as"]
        )
        x0, _, _, y1 = (float(v) for v in requests[0]["BBOX"].split(","))
        assert (x0 + 2493045) % 30 == 0 and (3310005 - y1) % 30 == 0  # on the NLCD grid
        assert sent < 0.25 * sizes[_served("annual_nlcd_land_cover", 2011)[0]]  # both years: the clip only
        _assert_report_equals_direct(cat, "noho_wcs", tmp_path)

        # A year the service does not have: its ServiceException text, exit 2, nothing written.
        before = cat.read_text()
        cat.write_text(before.replace("time: \"{year}-01-01", "time: \"{year}-07-01").replace(
            "coverage: \"mrlc_Land-Cover-Native_conus_year_data:", "coverage: \"nope:"))  # fmt: skip
        args = ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--region-name", "x", *dataset]
        msg = _fails_cleanly(args, cat, monkeypatch, capsys)
        assert "answered no GeoTIFF" in msg and "No such coverage or time" in msg


def test_coverage_service_blocks_mosaic_to_the_single_request(
    server: tuple[RangeServer, dict[str, int]],
) -> None:
    """Large grids are asked for in blocks: the mosaic of 200-px blocks equals one request, pixel for pixel."""
    from range_server import serve_app

    from learn.sources.catalog import DatasetSpec
    from learn.sources.nlcd.clip import snapped_grid
    from learn.sources.nlcd.wcs import open_wcs
    from learn.sources.remote import source_file

    srv, _ = server
    requests: list[dict[str, str]] = []
    with serve_app(_wcs_app(srv.root / SITES[0], requests), srv.root) as wcs:
        entry = dict(_DATASETS["annual_nlcd_land_cover_usgs_wcs"])
        entry["href"] = entry["href"].replace("https://dmsdata.cr.usgs.gov", wcs.url)
        src = source_file("wcs", DatasetSpec.model_validate(entry), 2019)
        bounds = tuple(float(v) for v in gpd.read_file(OUTLINE).to_crs(5070).total_bounds)
        grid = snapped_grid(bounds, 500, src.grid_origin)
        with open_wcs(src, grid) as one, open_wcs(src, grid, block_px=200) as blocks:
            assert blocks.shape == one.shape == (grid.height, grid.width)
            assert np.array_equal(blocks.read(1), one.read(1)) and (one.read(1) != 250).all()
    assert len(requests) == 1 + math.ceil(grid.height / 200) * math.ceil(grid.width / 200)


def test_zip_member_that_is_there_but_unreadable_reports_the_read_error(
    server: tuple[RangeServer, dict[str, int]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The member is where the catalog says but is no raster: the read error, not "holds no file"."""
    srv, _ = server
    _site_with_canopy_zips(srv, "zipbroken", lambda m: m)
    for y in TC_YEARS:  # same names, but not rasters
        name, member = _served("nlcd_tree_canopy", y)
        with zipfile.ZipFile(srv.root / "zipbroken" / name, "w") as zf:
            zf.writestr(str(member), b"not a GeoTIFF")
    cat = _catalog_copy(tmp_path / "project", f"{srv.url}/zipbroken")
    args = ["fetch", "--boundary-file", str(OUTLINE), *FETCH_ARGS, "--region-name", "x"]
    msg = _fails_cleanly(args, cat, monkeypatch, capsys)
    assert "cannot read nlcd_tree_canopy" in msg and "holds no file" not in msg
