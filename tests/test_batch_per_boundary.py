"""`learn batch --per-boundary`: each boundary's own files (LEARN's 4-table CSV, the workbook, the printable
PDF) written by the single-boundary writers, with readable unique names, listed in the manifest, resumable;
and the per-period GeoPackage layers / GeoParquet files with the IPCC categories' nets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import pytest
from conftest import TOF_DEFAULT, forest_table, pixel_box, run_cli

import learn
import learn.pipeline.batch as batch_mod
import learn.report.export as export_mod
from learn.pipeline.batch import report_file_name
from learn.pipeline.batch_files import PER_BOUNDARY_FORMATS, file_stems
from learn.report.csv_tables import learn_csv
from learn.report.models import Report

# Ids that differ only in punctuation and case, and a name with accents: the names must stay unique and ASCII.
BOUNDARIES = [("A 1", "Ñandú Town"), ("A_1", "Ñandú Town"), ("B/2", "Oak Hill")]


@pytest.fixture
def catalog(make_region, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    return make_region(
        {2011: [[41, 41, 82], [41, 90, 82]], 2019: [[21, 41, 82], [41, 90, 41]]},
        codes=[[7, 7, 0], [7, 7, 7]],
        carbon=(np.full((2, 3), 100.0), np.full((2, 3), 20.0), np.full((2, 3), 50.0)),
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[(b, n, pixel_box(0, i, 2, i + 1)) for i, (b, n) in enumerate(BOUNDARIES)],
    )


def _args(cat: Path, out: Path, *extra: str) -> list[str]:
    return ["batch", "--catalog", str(cat), "-r", "t", "--years", "2011", "2019", "--out", str(out), *extra]


def _on_disk(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def test_file_stems_are_readable_ascii_and_unique_ignoring_case() -> None:
    stems = file_stems([*BOUNDARIES, ("a_1", "ñandú town"), ("東京", None)], 2011, 2019)
    assert stems["B/2"] == "B_2_Oak_Hill_2011_2019"
    assert stems["東京"] == "id_2011_2019"
    clashing = [stems[b] for b in ("A 1", "A_1", "a_1")]  # all "A_1_Nandu_Town_2011_2019" but for case
    assert all(s.lower().startswith("a_1_nandu_town_2011_2019-") for s in clashing)
    assert len({s.lower() for s in stems.values()}) == len(stems)
    assert all(c.isascii() and (c.isalnum() or c in "._-") for s in stems.values() for c in s)
    assert file_stems([("99001", "Alder County")], 2001, 2011) == {"99001": "99001_Alder_County_2001_2011"}


def test_per_boundary_files_equal_the_single_boundary_exports_and_the_manifest_lists_every_file(
    catalog: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "b"
    code, _, err = run_cli(_args(catalog, out, "--per-boundary", "csv,xlsx,pdf"), monkeypatch, capsys)
    assert code == 0, err
    assert "per-boundary files (csv, xlsx, pdf): 9 written" in " ".join(err.split())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["per_boundary"] == {"formats": ["csv", "xlsx", "pdf"], "paper": "letter"}
    listed = manifest["periods"]["2011_2019"]["per_boundary"]
    assert sorted(listed) == sorted(b for b, _ in BOUNDARIES)
    assert listed["B/2"] == {f: f"per_boundary/B_2_Oak_Hill_2011_2019.{f}" for f in ("csv", "xlsx", "pdf")}
    assert sorted(manifest["files"]) == sorted(_on_disk(out))  # every file, nothing else
    for bid, by_format in listed.items():
        report = Report.model_validate_json((out / "2011_2019" / report_file_name(bid)).read_text())
        assert (out / by_format["csv"]).read_text(encoding="utf-8") == learn_csv(report)
        book = openpyxl.load_workbook(out / by_format["xlsx"])
        about = dict(book["About"].iter_rows(min_row=2, values_only=True))
        assert bid in str(about.values())
        assert (out / by_format["pdf"]).read_bytes().startswith(b"%PDF-")


def test_per_boundary_files_are_resumable_and_follow_what_is_asked(
    catalog: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "b"
    written: list[str] = []
    real_write = export_mod.write_report  # write_per_boundary imports it when it runs: patched here

    def counting(report, path, fmt, **kw):
        written.append(Path(path).name)
        return real_write(report, path, fmt, **kw)

    monkeypatch.setattr(export_mod, "write_report", counting)
    assert run_cli(_args(catalog, out, "--per-boundary", "csv,xlsx"), monkeypatch, capsys)[0] == 0
    assert len(written) == 6
    written.clear()
    code, _, err = run_cli(_args(catalog, out, "--per-boundary", "xlsx,csv"), monkeypatch, capsys)
    assert code == 0 and written == [] and "0 written, 6 already current" in " ".join(err.split())
    # A file altered (or lost) after it was written is written again; the others stay.
    (out / "per_boundary" / "B_2_Oak_Hill_2011_2019.csv").write_text("edited")
    (out / "per_boundary" / "B_2_Oak_Hill_2011_2019.xlsx").unlink()
    assert run_cli(_args(catalog, out, "--per-boundary", "csv,xlsx"), monkeypatch, capsys)[0] == 0
    assert sorted(written) == ["B_2_Oak_Hill_2011_2019.csv", "B_2_Oak_Hill_2011_2019.xlsx"]
    # Fewer formats: the files (and keys) of the others are removed, as tables not asked for are.
    assert run_cli(_args(catalog, out, "--per-boundary", "csv"), monkeypatch, capsys)[0] == 0
    assert not list((out / "per_boundary").glob("*.xlsx"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert sorted(manifest["files"]) == sorted(_on_disk(out))
    assert run_cli(_args(catalog, out), monkeypatch, capsys)[0] == 0
    assert not [p for p in (out / "per_boundary").rglob("*") if p.is_file()]
    assert "per_boundary" not in json.loads((out / "manifest.json").read_text())


def test_a_killed_run_leaves_no_half_file_and_the_next_run_completes(
    catalog: Path, tmp_path: Path, monkeypatch
) -> None:
    region = learn.open_region("t", catalog)
    real_write, calls = export_mod.write_report, {"n": 0}

    def dying(report, path, fmt, **kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_write(report, path, fmt, **kw)

    monkeypatch.setattr(export_mod, "write_report", dying)
    with pytest.raises(KeyboardInterrupt):
        batch_mod.run_batch(region, [(2011, 2019)], tmp_path / "b", per_boundary="csv")
    monkeypatch.setattr(export_mod, "write_report", real_write)
    result = batch_mod.run_batch(region, [(2011, 2019)], tmp_path / "b", per_boundary="csv")
    assert result.per_boundary_written == 2 and result.reused == 3
    assert len(list((tmp_path / "b" / "per_boundary").glob("*.csv"))) == 3
    assert not list((tmp_path / "b").rglob(".tmp-*"))


@pytest.mark.parametrize("value", ["csv,docx", "shp"])
def test_an_unknown_per_boundary_format_exits_2_with_the_choices(
    catalog: Path, tmp_path: Path, monkeypatch, capsys, value: str
) -> None:
    monkeypatch.setattr(batch_mod, "reduce", lambda *a, **k: pytest.fail("the raster pass ran"))
    code, out, err = run_cli(_args(catalog, tmp_path / "b", "--per-boundary", value), monkeypatch, capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in out + err
    assert "unknown per-boundary format" in err and ", ".join(PER_BOUNDARY_FORMATS) in err
    assert not (tmp_path / "b").exists()
    code, _, err = run_cli(_args(catalog, tmp_path / "b", "--formats", "pdf"), monkeypatch, capsys)
    assert code == 2 and "--per-boundary" in " ".join(err.split())  # a PDF per boundary is --per-boundary
    code, _, err = run_cli(
        _args(catalog, tmp_path / "b", "--per-boundary", "pdf", "--paper", "legal"), monkeypatch, capsys
    )
    assert code == 2 and "unknown paper size 'legal'" in err


def test_geopackage_layers_and_geoparquet_files_per_period_one_row_per_boundary(
    catalog: Path, tmp_path: Path
) -> None:
    region = learn.open_region("t", catalog)
    out = tmp_path / "b"
    out.mkdir()
    (out / "boundaries.parquet").write_text("left by an earlier version")
    run = region.batch((2011, 2019), out=out)
    assert [n for n, _ in pyogrio.list_layers(out / "boundaries.gpkg")] == ["totals_2011_2019"]
    assert not (out / "boundaries.parquet").exists()  # the old all-periods file: replaced, not left stale
    for layer in (
        gpd.read_file(out / "boundaries.gpkg", layer="totals_2011_2019"),
        gpd.read_parquet(out / "boundaries_2011_2019.parquet"),
    ):
        assert (
            sorted(layer["boundary_id"]) == sorted(b for b, _ in BOUNDARIES) and layer.crs.to_epsg() == 4326
        )
        for row in layer.itertuples():
            rep = next(r for r in run.reports if r.boundary.id == row.boundary_id)
            assert row.gross_emissions_t_co2e_per_yr == rep.totals.gross_emissions_t_co2e_per_yr
            assert row.net_t_co2e_per_yr == rep.totals.net_t_co2e_per_yr
            nets = {s.category: s.net_t_co2e_per_yr for s in rep.ipcc_summary}
            got = {
                "Forest remaining forest": row.forest_remaining_forest_net_t_co2e_per_yr,
                "Forest to non-forest": row.forest_to_non_forest_net_t_co2e_per_yr,
                "Non-forest to forest": row.non_forest_to_forest_net_t_co2e_per_yr,
                "Trees outside forests": row.trees_outside_forests_net_t_co2e_per_yr,  # no canopy layer here
            }
            for category, value in got.items():  # not estimated: an empty cell, never 0
                want = nets[category]
                assert math.isnan(value) if want is None else value == want, (row.boundary_id, category)
