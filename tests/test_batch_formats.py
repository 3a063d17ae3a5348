"""`learn batch --formats`: only the tables asked for are written (the reports and the manifest always),
the manifest says which, a table an earlier run left is removed, and an unknown name is refused at once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TOF_DEFAULT, forest_table, pixel_box, run_cli

import learn
import learn.pipeline.batch as batch_mod
from learn.errors import LearnError
from learn.pipeline.batch import run_batch
from learn.pipeline.batch_tables import TABLE_FILES


@pytest.fixture
def catalog(make_region, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    return make_region(
        {2011: [[41, 41, 82], [41, 90, 82]], 2019: [[21, 41, 82], [41, 90, 41]]},
        codes=[[7, 7, 0], [7, 7, 7]],
        carbon=(np.full((2, 3), 100.0), np.full((2, 3), 20.0), np.full((2, 3), 50.0)),
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[(b, b, pixel_box(0, i, 2, i + 1)) for i, b in enumerate("ABC")],
    )


def _args(cat: Path, out: Path, *extra: str) -> list[str]:
    return ["batch", "--catalog", str(cat), "-r", "t", "--years", "2011", "2019", "--out", str(out), *extra]


def _files(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.is_file()}


def test_formats_csv_writes_the_csv_the_reports_and_the_manifest_only(catalog, tmp_path, monkeypatch, capsys):
    full, csv_only = tmp_path / "full", tmp_path / "csv"
    assert run_cli(_args(catalog, full), monkeypatch, capsys)[0] == 0
    files = {f: n.format(start=2011, end=2019) for f, n in TABLE_FILES.items()}  # geoparquet: one per period
    assert _files(full) == {*files.values(), "manifest.json"}
    assert json.loads((full / "manifest.json").read_text())["tables"] == {
        **files,
        "geoparquet": [files["geoparquet"]],
    }

    code, out, err = run_cli(_args(catalog, csv_only, "--formats", "csv"), monkeypatch, capsys)
    assert code == 0, out + err
    assert _files(csv_only) == {"inventory.csv", "manifest.json"}
    assert len(list((csv_only / "2011_2019").glob("*.json"))) == 3
    assert json.loads((csv_only / "manifest.json").read_text())["tables"] == {"csv": "inventory.csv"}
    assert (csv_only / "inventory.csv").read_bytes() == (full / "inventory.csv").read_bytes()
    assert "totals.not_estimated in the JSON reports" in " ".join(err.split())  # no table with the flags


def test_a_rerun_with_fewer_formats_removes_the_tables_left_by_the_earlier_run(catalog, tmp_path):
    region = learn.open_region("t", catalog)
    out = tmp_path / "b"
    run_batch(region, [(2011, 2019)], out)
    result = run_batch(region, [(2011, 2019)], out, formats="geoparquet, xlsx")
    assert result.reused == 3
    assert _files(out) == {"inventory.xlsx", "boundaries_2011_2019.parquet", "manifest.json"}
    manifest = json.loads((out / "manifest.json").read_text())
    # GeoParquet: one file per period (a list), every other table one file
    assert manifest["tables"] == {"xlsx": "inventory.xlsx", "geoparquet": ["boundaries_2011_2019.parquet"]}


def test_region_batch_takes_formats_and_still_returns_the_frames(catalog, tmp_path):
    region = learn.open_region("t", catalog)
    run = region.batch((2011, 2019), out=tmp_path / "b", formats=["gpkg"])
    assert _files(tmp_path / "b") == {"boundaries.gpkg", "manifest.json"}
    assert len(run.geoframe) == 3 and run.frame["boundary_id"].nunique() == 3
    none = region.batch((2011, 2019), out=tmp_path / "none", formats=[])
    assert _files(tmp_path / "none") == {"manifest.json"}
    pd.testing.assert_frame_equal(none.frame, run.frame)


@pytest.fixture
def no_raster_pass(monkeypatch):
    monkeypatch.setattr(batch_mod, "reduce", lambda *a, **k: pytest.fail("the raster pass ran"))


@pytest.mark.parametrize(
    ("value", "named"),
    [("csv,xls", "unknown table format 'xls'"), ("shp,CSV,pdf", "unknown table formats 'pdf', 'shp'")],
)
def test_an_unknown_format_is_refused_naming_it_and_the_choices(
    catalog, tmp_path, monkeypatch, capsys, no_raster_pass, value, named
):
    code, out, err = run_cli(_args(catalog, tmp_path / "b", "--formats", value), monkeypatch, capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in out + err
    assert named in err and "csv, parquet, xlsx, gpkg, geojson, geoparquet" in err
    assert not (tmp_path / "b").exists()


def test_formats_naming_no_table_is_refused(catalog, tmp_path, monkeypatch, capsys, no_raster_pass):
    code, _, err = run_cli(_args(catalog, tmp_path / "b", "--formats", " , "), monkeypatch, capsys)
    assert code == 2 and "--formats names no table" in " ".join(err.split())


def test_the_python_api_refuses_an_unknown_format_before_any_work(catalog, tmp_path, no_raster_pass):
    region = learn.open_region("t", catalog)
    with pytest.raises(LearnError, match="unknown table format 'xlsxx'"):
        run_batch(region, [(2011, 2019)], tmp_path / "b", formats=["csv", "xlsxx"])
    assert not (tmp_path / "b").exists()


def test_the_garbage_collector_is_paused_for_the_reports_and_back_on_after(catalog, tmp_path, monkeypatch):
    """The reports are serialised with the collector paused; their files are written on one thread, each report
    before its key and boundary after boundary (the order a kill must find), the manifest last by the caller."""
    import gc
    import threading

    from learn.report.models import Report
    from learn.util import gc_paused

    region = learn.open_region("t", catalog)
    serialised, seen = [], []
    real_write, real_to_json = batch_mod.write_text_atomic, Report.to_json

    def watching_write(path, text):
        seen.append((threading.current_thread().name, path.parent.name, path.name))
        real_write(path, text)

    def watching_to_json(self, *args, **kwargs):
        serialised.append(gc.isenabled())
        return real_to_json(self, *args, **kwargs)

    monkeypatch.setattr(batch_mod, "write_text_atomic", watching_write)
    monkeypatch.setattr(Report, "to_json", watching_to_json)
    assert gc.isenabled()
    run_batch(region, [(2011, 2019)], tmp_path / "b", formats=[])
    assert serialised == [False] * 3
    threads = [name for name, _, _ in seen]
    assert len(seen) == 3 + 1 and all(t.startswith("learn-reports") for t in threads[:-1])
    assert seen[-1] == (threading.current_thread().name, "b", "manifest.json")
    assert [folder for _, folder, _ in seen[:-1]] == [
        "2011_2019"
    ] * 3  # the reports; their keys are log lines
    log = (tmp_path / "b" / "2011_2019" / "keys.jsonl").read_text().splitlines()
    assert len(log) == 3 and [json.loads(line)["boundary_id"] for line in log] == [
        json.loads((tmp_path / "b" / "2011_2019" / name).read_text())["boundary"]["id"]
        for _, _, name in seen[:-1]
    ]  # each report, then its line, in the same order
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
    with pytest.raises(KeyError), gc_paused():
        raise KeyError("x")
    assert gc.isenabled()
