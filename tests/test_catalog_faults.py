"""A catalog that cannot be used is refused with a message naming the file, key or field (exit 2, no
traceback): repeated YAML keys, non-UTF-8 bytes, a folder instead of a file, unknown ``{placeholders}``;
and the smallest useful catalog (no description, no name field) loads and computes."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import yaml
from conftest import pixel_box, run_cli, write_tif

from learn.errors import CatalogError
from learn.sources.catalog import load_catalog
from learn.sources.catalog_edit import upsert_region


def _refused(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_cli(args, monkeypatch, capsys)
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    return err


def _inventory(cat: Path) -> list[str]:
    return ["inventory", "--catalog", str(cat), "-r", "t", "-b", "A", "--years", "2011", "2019"]


@pytest.fixture
def small(make_region) -> Path:
    lc = [[41, 41, 82], [41, 90, 82]]
    return make_region({2011: lc, 2019: lc}, boundaries=[("A", "Alpha", pixel_box(0, 0, 2, 3))])


def test_a_repeated_yaml_key_is_refused_naming_key_and_lines(small, monkeypatch, capsys):
    text = small.read_text()
    # PyYAML would keep the second 'description' silently.
    small.write_text(
        text.replace("description: test region", "description: test region\n    description: other")
    )
    with pytest.raises(CatalogError) as e:
        load_catalog(small)
    assert "key 'description' is given twice" in str(e.value)
    lines = [i + 1 for i, line in enumerate(small.read_text().splitlines()) if "description:" in line]
    assert f"lines {lines[0]} and {lines[1]}" in str(e.value) and str(small) in str(e.value)
    assert "given twice" in _refused(_inventory(small), monkeypatch, capsys)
    # The same document through the comment-keeping editor (`learn fetch` adding a region).
    with pytest.raises(CatalogError, match="duplicate key"):
        upsert_region(small, "new", {"description": "x"})


def test_merge_keys_are_not_repeats(small):
    region = yaml.safe_load(small.read_text())["regions"]["t"]
    body = "".join(f"    {line}\n" for line in yaml.safe_dump(region).splitlines())
    small.write_text(f"regions:\n  t: &t\n{body}  u:\n    <<: *t\n    description: a merged copy\n")
    regions = load_catalog(small).regions
    assert regions["u"].description == "a merged copy" and regions["u"].layers == regions["t"].layers


def test_non_utf8_catalog_and_a_folder_are_refused(small, tmp_path, monkeypatch, capsys):
    small.write_bytes(small.read_bytes().replace(b"test region", b"r\xe9gion"))  # Latin-1 'é'
    err = _refused(_inventory(small), monkeypatch, capsys)
    assert "is not UTF-8" in err and str(small) in err
    err = _refused(["catalog", "--catalog", str(tmp_path)], monkeypatch, capsys)
    assert "is a folder, not a file" in err and str(tmp_path) in err


@pytest.mark.parametrize(
    ("layer", "path", "message"),
    [
        ("land_cover", "lc_{year}_{oops}.tif", "unknown placeholder(s) {oops}; this layer may use: {year}"),
        ("land_cover", "lc_{year}_{}.tif", "unknown placeholder(s) {}"),
        ("land_cover", "lc_{year.tif", "is not a valid template"),
        (
            "forest_age_type_region",
            "codes_{year}.tif",
            "unknown placeholder(s) {year}; this layer may use: none",
        ),
        ("disturbance", "dist_{start}_{end}_{year}.tif", "may use: {end}, {start}"),
    ],
)
def test_unknown_path_placeholders_are_refused_at_load(
    make_region, layer, path, message, monkeypatch, capsys
):
    cat = make_region(
        {2011: [[41]], 2019: [[41]]},
        codes=[[7]],
        disturbance={(2011, 2019): [[0]]},
        boundaries=[("A", "Alpha", pixel_box(0, 0, 1, 1))],
    )
    doc = yaml.safe_load(cat.read_text())
    doc["regions"]["t"]["layers"][layer]["path"] = path
    cat.write_text(yaml.safe_dump(doc))
    with pytest.raises(CatalogError) as e:
        load_catalog(cat)
    assert "regions.t" in str(e.value) and f"layer '{layer}'" in str(e.value) and message in str(e.value)
    assert message in _refused(_inventory(cat), monkeypatch, capsys)


def test_a_minimal_region_loads_and_computes(tmp_path, monkeypatch, capsys):
    """Land cover with {year} and years, a boundary file with its id field: nothing else."""
    for year, arr in ((2011, [[41, 41], [82, 82]]), (2019, [[41, 21], [82, 82]])):
        write_tif(tmp_path / f"nlcd_{year}.tif", np.asarray(arr, np.uint8), nodata=0)
    gpd.GeoDataFrame({"GEOID": ["A"]}, geometry=[pixel_box(0, 0, 2, 2)], crs="EPSG:5070").to_file(
        tmp_path / "towns.gpkg"
    )
    cat = tmp_path / "catalog.yaml"
    cat.write_text(
        "regions:\n"
        "  t:\n"
        "    layers: {land_cover: {path: 'nlcd_{year}.tif', years: [2011, 2019]}}\n"
        "    boundaries: {path: towns.gpkg, id_field: GEOID}\n"
    )
    spec = load_catalog(cat).regions["t"]
    assert spec.description == "" and spec.boundaries.name_field == "GEOID"
    code, out, err = run_cli(_inventory(cat), monkeypatch, capsys)
    assert code == 0, err
    report = json.loads(out)
    assert report["boundary"] == {**report["boundary"], "id": "A", "name": "A"}
    assert report["boundary"]["area_ha"] == pytest.approx(4 * 0.09)
    rows = {(r["category"], r["type"]): r for r in report["inventory"]}
    assert rows[("Forest Change", "To Settlement")]["area_ha"] == pytest.approx(0.09)
    assert report["totals"]["complete"] is False  # no carbon, factors or canopy: said, not zero
    code, out, _ = run_cli(["catalog", "--catalog", str(cat), "--json"], monkeypatch, capsys)
    assert code == 0 and json.loads(out)["regions"]["t"]["boundaries"] == [{"id": "A", "name": "A"}]
