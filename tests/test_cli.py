"""The CLI end to end: the demo region, every output format, and each kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
import yaml
from conftest import TOF_DEFAULT, forest_table, pixel_box, run_cli, write_tif

import learn
from learn.pipeline.batch import report_file_name


@pytest.fixture
def tiny(make_region) -> Path:
    lc11 = [[41, 41, 82], [41, 90, 82]]
    lc19 = [[21, 41, 82], [41, 90, 41]]
    return make_region(
        {2011: lc11, 2016: lc11, 2019: lc19},
        codes=[[7, 7, 0], [7, 7, 7]],
        carbon=(np.full((2, 3), 100.0), np.full((2, 3), 20.0), np.full((2, 3), 50.0)),
        canopy={2011: [[80, 90, 10], [85, 70, 5]], 2019: [[20, 90, 5], [85, 70, 40]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[("A", "Alpha", pixel_box(0, 0, 2, 3)), ("B", "Beta", pixel_box(0, 0, 1, 2))],
    )


def test_inventory_json_to_stdout_matches_library(tiny, monkeypatch, capsys):
    code, out, _ = run_cli(
        ["inventory", "--catalog", str(tiny), "--region", "t", "--boundary", "A", "--years", "2011", "2019"],
        monkeypatch,
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {
        "boundary",
        "period",
        "inventory",
        "harvest_by_severity",
        "ipcc_summary",
        "totals",
        "change_matrix",
        "tree_canopy",
        "tree_canopy_cover",  # session 10: the whole boundary's canopy % (an extension of the contract)
        "shares",  # issue 14: each row's share of gross emissions / removals (an extension of the contract)
        "warnings",
        "provenance",
    }
    assert doc["period"] == {"start": 2011, "end": 2019, "years": 8}
    lib = learn.open_region("t", tiny).inventory("A", (2011, 2019))
    assert doc == json.loads(lib.to_json())
    prov = doc["provenance"]
    assert set(prov["factor_tables"].values()) == {
        learn.open_region("t", tiny).forest_factors.sha256,
        learn.open_region("t", tiny).tof_factors.sha256,
    }
    assert prov["layers"]["land_cover_start"]["year"] == 2011
    assert prov["options"] == {"pixel_rule": "centre", "recategorize_burned_grassland": False}


def test_inventory_formats_read_back(tiny, tmp_path, monkeypatch, capsys):
    lib = learn.open_region("t", tiny).inventory("A", (2011, 2019))
    for fmt, name in (("csv", "r.csv"), ("tidy-csv", "t.csv"), ("xlsx", "r.xlsx"), ("json", "r.json")):
        code, _, err = run_cli(
            [
                "inventory",
                "--catalog",
                str(tiny),
                "-r",
                "t",
                "-b",
                "A",
                "--years",
                "2011",
                "2019",
                "--format",
                fmt,
                "--out",
                str(tmp_path / name),
            ],
            monkeypatch,
            capsys,
        )
        assert code == 0, err
    learn_csv = (tmp_path / "r.csv").read_text()
    for title in (
        "Table 1. Land use change matrix",
        "Table 2. Tree canopy summary",
        "Table 3. GHG inventory",
        "Table 4. IPCC summary",
    ):
        assert title in learn_csv
    import csv

    titles = [row for row in csv.reader(learn_csv.splitlines()) if row and row[0].startswith("Table ")]
    assert all(len(row) == 1 for row in titles), titles  # a title with a comma is one quoted cell
    import pandas as pd

    tidy = pd.read_csv(tmp_path / "t.csv")
    assert list(tidy["type"]) == [r.type for r in lib.inventory]
    net = [r.net_t_co2e_per_yr for r in lib.inventory]
    assert np.allclose(
        tidy["net_t_co2e_per_yr"].to_numpy(float), np.array(net, dtype=float), equal_nan=True, rtol=0
    )
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    assert wb.sheetnames == [
        "About",
        "GHG inventory",
        "IPCC summary",
        "Change matrix (ha)",
        "Tree canopy",
        "Warnings",
        "Provenance",
        "Harvest by severity",
    ]
    ws = wb["GHG inventory"]
    header = [c.value for c in ws[1]]
    col = header.index("net (t CO2e/yr)")
    xl_net = [ws.cell(row=i + 2, column=col + 1).value for i in range(len(lib.inventory))]
    # Excel keeps 15 significant digits (its own limit); JSON/CSV keep all 17.
    for got, want in zip(xl_net, net, strict=True):
        assert got == (None if want is None else pytest.approx(want, rel=1e-14))
    assert not list(tmp_path.glob(".tmp-*"))


PARTIAL_ROWS = "Forest Remaining Forest — Fire; Forest Remaining Forest — Insect/Disease; Forest Remaining Forest — Harvest/Other"


def test_partial_totals_are_said_on_stderr_and_in_tables(tiny, tmp_path, monkeypatch, capsys):
    """`tiny` has no disturbance layer: the disturbance rows are not estimated, so the totals are partial."""
    from rich.console import Console

    from learn.cli import print_report_table

    inventory = ["inventory", "--catalog", str(tiny), "-r", "t", "-b", "A", "--years", "2011", "2019"]
    code, out, err = run_cli(inventory, monkeypatch, capsys)
    assert code == 0, err
    assert json.loads(out)["totals"]["not_estimated"] == PARTIAL_ROWS.split("; ")  # stdout stays the JSON
    assert f"partial total — not estimated (left out of the totals): {PARTIAL_ROWS}" in " ".join(err.split())
    batch = ["batch", "--catalog", str(tiny), "-r", "t", "--years", "2011", "2019", "--out", str(tmp_path)]
    code, _, err = run_cli(batch, monkeypatch, capsys)
    assert code == 0, err
    assert "2 of 2 reports have partial totals" in " ".join(err.split())

    console = Console(record=True, width=200)
    print_report_table(learn.open_region("t", tiny).inventory("A", (2011, 2019)), console)
    text = console.export_text()
    total_line = next(line for line in text.splitlines() if "│ Total" in line)
    assert total_line.count("(partial)") == 3  # emissions, removals, net
    assert PARTIAL_ROWS in text


def test_boundary_file_and_exact_coverage(tiny, tmp_path, monkeypatch, capsys):
    f = tmp_path / "mine.geojson"
    gpd.GeoDataFrame({"NAME": ["Mine"]}, geometry=[pixel_box(0, 0, 1, 2)], crs="EPSG:5070").to_crs(
        4326
    ).to_file(f)
    code, out, _ = run_cli(
        [
            "inventory",
            "--catalog",
            str(tiny),
            "-r",
            "t",
            "--boundary-file",
            str(f),
            "--years",
            "2011",
            "2019",
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["boundary"]["name"] == "Mine"
    assert doc["boundary"]["area_ha"] == pytest.approx(2 * 0.09)
    code, out, _ = run_cli(
        [
            "inventory",
            "--catalog",
            str(tiny),
            "-r",
            "t",
            "--boundary-file",
            str(f),
            "--years",
            "2011",
            "2019",
            "--exact-coverage",
        ],
        monkeypatch,
        capsys,
    )
    assert code == 0
    assert json.loads(out)["boundary"]["area_ha"] == pytest.approx(2 * 0.09, rel=1e-4)


def _err(args, monkeypatch, capsys):
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code != 0
    assert "Traceback" not in err + out
    return err


def test_bad_region_boundary_and_years(tiny, monkeypatch, capsys):
    base = ["inventory", "--catalog", str(tiny)]
    err = _err([*base, "-r", "tt", "-b", "A", "--years", "2011", "2019"], monkeypatch, capsys)
    assert "unknown region 'tt'" in err and "did you mean: t" in err
    err = _err([*base, "-r", "t", "-b", "Alpah", "--years", "2011", "2019"], monkeypatch, capsys)
    assert "unknown boundary 'Alpah'" in err and "Alpha" in err
    err = _err([*base, "-r", "t", "-b", "A", "--years", "2012", "2019"], monkeypatch, capsys)
    assert "no land cover for [2012]" in err and "2011, 2016, 2019" in err
    err = _err([*base, "-r", "t", "-b", "A", "--years", "2019", "2011"], monkeypatch, capsys)
    assert "must be before" in err
    err = _err(
        [*base, "-r", "t", "-b", "A", "--years", "2011", "2019", "--format", "docx", "--out", "x"],
        monkeypatch,
        capsys,
    )
    assert "unknown format" in err
    err = _err([*base, "-r", "t", "--years", "2011", "2019"], monkeypatch, capsys)
    assert "exactly one of --boundary" in err


def test_bad_geometry_and_files(tiny, tmp_path, monkeypatch, capsys):
    base = ["inventory", "--catalog", str(tiny), "-r", "t", "--years", "2011", "2019", "--boundary-file"]
    far = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs="EPSG:5070").to_file(far)
    assert "outside the region's grid" in _err([*base, str(far)], monkeypatch, capsys)
    # A self-intersecting bow-tie is repaired (with a warning); a zero-area ring is refused.
    x0, y0, x1, y1 = pixel_box(0, 0, 2, 3).bounds
    bowtie = tmp_path / "bowtie.gpkg"
    gpd.GeoDataFrame(
        geometry=[shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])], crs="EPSG:5070"
    ).to_file(bowtie)
    code, out, _ = run_cli([*base, str(bowtie)], monkeypatch, capsys)
    assert code == 0 and any("repaired" in w for w in json.loads(out)["warnings"])
    flat = tmp_path / "flat.gpkg"
    gpd.GeoDataFrame(
        geometry=[shapely.Polygon([(x0, y0), (x1, y1), (x0 + 2 * (x1 - x0), y0 + 2 * (y1 - y0))])],
        crs="EPSG:5070",
    ).to_file(flat)
    assert "no area left after repair" in _err([*base, str(flat)], monkeypatch, capsys)
    nocrs = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame(geometry=[pixel_box(0, 0, 1, 1)]).to_file(nocrs)
    assert "has no CRS" in _err([*base, str(nocrs)], monkeypatch, capsys)
    assert "not found" in _err([*base, str(tmp_path / "missing.gpkg")], monkeypatch, capsys)


def _edit_catalog(cat: Path, edit) -> Path:
    doc = yaml.safe_load(cat.read_text())
    edit(doc["regions"]["t"], cat.parent)
    cat.write_text(yaml.safe_dump(doc))
    return cat


def test_bad_rasters_catalog_and_factor_tables(tiny, monkeypatch, capsys):
    args = ["inventory", "--catalog", str(tiny), "-r", "t", "-b", "A", "--years", "2011", "2019"]
    d = tiny.parent
    # Misaligned grid: canopy shifted by one pixel.
    from affine import Affine

    write_tif(
        d / "tc_2019.tif", np.zeros((2, 3), np.uint8), transform=Affine(30, 0, 1_000_030, 0, -30, 2_000_000)
    )
    assert "not on the region's grid" in _err(args, monkeypatch, capsys)
    # Corrupt raster: a truncated file.
    (d / "tc_2019.tif").write_bytes(b"II*\x00garbage")
    assert "cannot open raster" in _err(args, monkeypatch, capsys)
    (d / "tc_2019.tif").unlink()
    assert "file not found" in _err(args, monkeypatch, capsys)
    write_tif(d / "tc_2019.tif", np.zeros((2, 3), np.uint8), nodata=255)
    assert run_cli(args, monkeypatch, capsys)[0] == 0
    # Malformed factor table.
    (d / "forest.csv").write_text("ForestAgeTypeRegion,Region\n7,Northeast\n")
    assert "lacks column(s)" in _err(args, monkeypatch, capsys)
    (d / "forest.csv").write_text(forest_table((7, -1.5, -1.0, 30, 5, 40)).replace("-1.5", "lots"))
    assert "non-numeric" in _err(args, monkeypatch, capsys)
    # Malformed catalog: the error names the YAML path.
    _edit_catalog(tiny, lambda r, _: r["layers"]["land_cover"].update(years="often"))
    err = _err(args, monkeypatch, capsys)
    assert "regions.t.layers.land_cover.years" in err
    tiny.write_text("regions: [unclosed")
    assert "not valid YAML" in _err(args, monkeypatch, capsys)


def test_catalog_command_json(tiny, monkeypatch, capsys):
    code, out, _ = run_cli(["catalog", "--catalog", str(tiny), "--json"], monkeypatch, capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["regions"]["t"]["boundaries"] == [{"id": "A", "name": "Alpha"}, {"id": "B", "name": "Beta"}]
    assert doc["regions"]["t"]["layers"]["land_cover"]["years"] == [2011, 2016, 2019]


def test_batch_is_resumable_and_equals_inventory(tiny, tmp_path, monkeypatch, capsys):
    out_dir = tmp_path / "batch"
    args = ["batch", "--catalog", str(tiny), "-r", "t", "--years", "2011", "2019", "--out", str(out_dir)]
    assert run_cli(args, monkeypatch, capsys)[0] == 0
    first = (out_dir / "2011_2019" / report_file_name("A")).stat().st_mtime_ns
    (out_dir / "2011_2019" / report_file_name("B")).unlink()  # as if killed before B finished
    code, _, err = run_cli(args, monkeypatch, capsys)
    assert code == 0 and "1 reports computed, 1 reused" in err
    assert (out_dir / "2011_2019" / report_file_name("A")).stat().st_mtime_ns == first
    import pandas as pd

    tidy = pd.read_csv(out_dir / "inventory.csv", dtype={"boundary_id": str})
    for bid in ("A", "B"):
        rep = learn.open_region("t", tiny).inventory(bid, (2011, 2019))
        got = tidy[tidy["boundary_id"] == bid]["net_t_co2e_per_yr"].to_numpy(float)
        assert np.allclose(
            got,
            [r.net_t_co2e_per_yr if r.net_t_co2e_per_yr is not None else np.nan for r in rep.inventory],
            equal_nan=True,
            rtol=0,
        )


def test_demo_end_to_end(demo_catalog, tmp_path, monkeypatch, capsys):
    code, out, _ = run_cli(["catalog", "--catalog", str(demo_catalog), "--json"], monkeypatch, capsys)
    assert code == 0
    demo = json.loads(out)["regions"]["demo"]
    assert demo["synthetic"] is True and "SYNTHETIC" in demo["description"]
    ids = [b["id"] for b in demo["boundaries"]]
    assert len(ids) >= 13
    code, out, _ = run_cli(
        ["inventory", "--catalog", str(demo_catalog), "-r", "demo", "-b", ids[0], "--years", "2011", "2019"],
        monkeypatch,
        capsys,
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["warnings"][0].startswith("SYNTHETIC DATA")
    assert doc["provenance"]["synthetic"] is True
    rows = {(r["category"], r["type"]): r for r in doc["inventory"]}
    assert rows[("Forest Remaining Forest", "Undisturbed")]["removals_t_co2e_per_yr"] < 0
    assert rows[("Forest Change", "To Settlement")]["emissions_t_co2e_per_yr"] > 0
    code, out, err = run_cli(
        ["demo", "--catalog", str(demo_catalog), "--no-serve", "--out", str(tmp_path / "o")],
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert "SYNTHETIC" in out
    # Every demo boundary has every layer and every forest code a factor row: no total is partial.
    assert "Net" in out and "(partial)" not in out and "not estimated" not in out
    assert len(list((tmp_path / "o" / "2011_2019").glob("*.json"))) == len(ids)


def test_catalog_lists_a_geopackage_without_geopandas_as_the_full_read(demo_catalog, tmp_path):
    """`learn catalog` reads ids and names of a GeoPackage with sqlite3; they equal the full read's, and the
    reader declines (None) whatever it cannot tell, so the full read reports the fault."""
    import geopandas as gpd

    from learn.sources.listing import gpkg_labels

    region = learn.open_region("demo", demo_catalog)
    b = region.spec.boundaries
    path = region.catalog.resolve(b.path)
    frame = region.boundaries.frame
    assert gpkg_labels(path, b.id_field, b.name_field) == list(zip(frame["id"], frame["name"], strict=True))
    assert gpkg_labels(path, "NO_SUCH_FIELD", b.name_field) is None
    assert gpkg_labels(path, b.id_field, b.name_field, layer="no_such_layer") is None
    assert gpkg_labels(tmp_path / "missing.gpkg", b.id_field, b.name_field) is None
    repeated = tmp_path / "repeated.gpkg"
    g = gpd.read_file(path)
    g[b.id_field] = g[b.id_field].iloc[0]
    g.to_file(repeated, driver="GPKG")
    assert gpkg_labels(repeated, b.id_field, b.name_field) is None


def test_catalog_names_a_missing_boundary_file(tiny, monkeypatch, capsys):
    _edit_catalog(tiny, lambda r, _: r["boundaries"].update(path="nowhere.gpkg"))
    code, out, _ = run_cli(["catalog", "--catalog", str(tiny), "--json"], monkeypatch, capsys)
    assert code == 0
    entry = json.loads(out)["regions"]["t"]
    assert entry["boundaries"] is None and "boundary file not found" in entry["boundaries_error"]
