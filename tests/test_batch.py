"""Batch runs on the SYNTHETIC demo region: equal to per-boundary inventories, resumable after a kill,
several periods, and the joined GeoPackage/GeoJSON/Parquet outputs."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

import learn
import learn.pipeline.batch as batch_mod
from learn.pipeline.batch import report_file_name, run_batch
from learn.report.frames import TIDY_COLUMNS


@pytest.fixture(scope="module")
def demo(demo_catalog):
    return learn.open_region("demo", demo_catalog)


def test_batch_equals_inventory_and_writes_every_output(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "b"
    result = run_batch(demo, [(2011, 2019), (2001, 2011)], out)
    ids = demo.boundaries.ids()
    assert result.computed == 2 * len(ids) and result.reused == 0
    tidy = pd.read_parquet(out / "inventory.parquet")
    assert list(tidy.columns) == list(TIDY_COLUMNS)
    assert len(tidy) == 2 * len(ids) * 13  # 13 report rows per boundary and period
    csv = pd.read_csv(out / "inventory.csv", dtype={"boundary_id": str})
    pd.testing.assert_frame_equal(csv, tidy, check_dtype=False)
    for bid in (ids[0], ids[-1]):  # a county and a place straddling others
        single = demo.inventory(bid, (2011, 2019))
        stored = json.loads((out / "2011_2019" / report_file_name(bid)).read_text())
        for a, b in zip(single.inventory, stored["inventory"], strict=True):
            assert (a.category, a.type) == (b["category"], b["type"])
            for f in ("area_ha", "emissions_t_co2e_per_yr", "removals_t_co2e_per_yr", "net_t_co2e_per_yr"):
                want = getattr(a, f)
                assert b[f] == (None if want is None else pytest.approx(want, rel=1e-12))
    # GeoPackage: one layer per period, GeoParquet: one file per period; one row per boundary in each.
    assert [name for name, _ in pyogrio.list_layers(out / "boundaries.gpkg")] == [
        "totals_2011_2019",
        "totals_2001_2011",
    ]
    for start, end in ((2011, 2019), (2001, 2011)):
        geo = gpd.read_file(out / "boundaries.gpkg", layer=f"totals_{start}_{end}")
        assert geo.crs.to_epsg() == 4326 and sorted(geo["boundary_id"]) == sorted(ids)
        assert set(geo["start"]) == {start} and set(geo["end"]) == {end}
        assert {"boundary_id", "net_t_co2e_per_yr", "net_t_co2e_per_ha_yr"} <= set(geo.columns)
        parquet = gpd.read_parquet(out / f"boundaries_{start}_{end}.parquet")
        assert parquet.crs.to_epsg() == 4326
        pd.testing.assert_frame_equal(
            pd.DataFrame(parquet.drop(columns="geometry")), pd.DataFrame(geo.drop(columns="geometry"))
        )
    assert len(gpd.read_file(out / "boundaries.geojson")) == 2 * len(ids)  # GeoJSON: one feature per period
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["periods"]) == {"2011_2019", "2001_2011"}


def test_batch_resumes_after_a_kill_without_duplicates(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "b"
    real_write = batch_mod.write_text_atomic
    calls = {"n": 0}

    def dying_write(path, text):
        calls["n"] += 1  # the reports (their keys are lines of the period's keys.jsonl)
        if calls["n"] == 6:
            raise KeyboardInterrupt  # killed half-way through the reports
        real_write(path, text)

    monkeypatch.setattr(batch_mod, "write_text_atomic", dying_write)
    with pytest.raises(KeyboardInterrupt):
        run_batch(demo, [(2011, 2019)], out)
    assert len(list((out / "2011_2019").glob("*.json"))) == 5
    assert not list((out / "2011_2019").glob(".tmp-*"))
    monkeypatch.setattr(batch_mod, "write_text_atomic", real_write)
    done_before = {p.name: p.stat().st_mtime_ns for p in (out / "2011_2019").glob("*.json")}
    result = run_batch(demo, [(2011, 2019)], out)
    n = len(demo.boundaries.ids())
    assert (result.reused, result.computed) == (5, n - 5)
    for name, mtime in done_before.items():
        assert (out / "2011_2019" / name).stat().st_mtime_ns == mtime
    tidy = pd.read_csv(out / "inventory.csv", dtype={"boundary_id": str})
    assert tidy.groupby("boundary_id").size().eq(13).all() and tidy["boundary_id"].nunique() == n
