"""`learn batch` reuses a report only when it is the report of that exact boundary id computed from the same
inputs: ids that differ only in punctuation keep their own files, and a rerun after the catalog, a layer, a
factor table, a boundary, the options or the software changed recomputes (and says so)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TOF_DEFAULT, forest_table, pixel_box, run_cli, write_tif

import learn
from learn.pipeline.batch import report_file_name, run_batch
from learn.report.models import Report

LC11 = [[41, 41, 82, 41], [41, 90, 82, 41]]
LC19 = [[21, 41, 82, 41], [41, 90, 41, 52]]


@pytest.fixture
def region(make_region, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    return make_region(
        {2011: LC11, 2019: LC19},
        codes=[[7, 7, 0, 7], [7, 7, 7, 7]],
        carbon=(np.full((2, 4), 100.0), np.full((2, 4), 20.0), np.full((2, 4), 50.0)),
        canopy={2011: [[80, 90, 10, 60], [85, 70, 5, 50]], 2019: [[20, 90, 5, 60], [85, 70, 40, 10]]},
        forest_rows=forest_table((7, -1.5, -1.0, 30, 5, 40)),
        tof_rows=TOF_DEFAULT,
        boundaries=[
            ("A 1", "Space", pixel_box(0, 0, 2, 2)),
            ("A_1", "Underscore", pixel_box(0, 1, 2, 4)),
            ("A/1", "Slash", pixel_box(1, 0, 2, 4)),
        ],
    )


def _batch(cat: Path, out: Path, monkeypatch, capsys, *extra: str) -> str:
    args = ["batch", "--catalog", str(cat), "-r", "t", "--years", "2011", "2019", "--out", str(out), *extra]
    code, stdout, err = run_cli(args, monkeypatch, capsys)
    assert code == 0, stdout + err
    return err


def _stored(out: Path) -> dict[str, Report]:
    reports = [Report.model_validate_json(p.read_text()) for p in (out / "2011_2019").glob("*.json")]
    by_id = {r.boundary.id: r for r in reports}
    assert len(by_id) == len(reports)  # one file per id
    return by_id


def _net(out: Path) -> pd.Series:
    tidy = pd.read_csv(out / "inventory.csv", dtype={"boundary_id": str})
    return tidy.set_index(["boundary_id", "category", "type"])["net_t_co2e_per_yr"].sort_index()


def test_ids_differing_only_in_punctuation_keep_their_own_reports(region, tmp_path, monkeypatch, capsys):
    out = tmp_path / "b"
    assert "3 reports computed, 0 reused" in _batch(region, out, monkeypatch, capsys)
    stored = _stored(out)
    assert set(stored) == {"A 1", "A_1", "A/1"}
    assert {r.boundary.name for r in stored.values()} == {"Space", "Underscore", "Slash"}
    first = _net(out)
    assert "0 reports computed, 3 reused" in _batch(region, out, monkeypatch, capsys)
    pd.testing.assert_series_equal(_net(out), first)
    assert _net(out).index.get_level_values(0).value_counts().to_dict() == {"A 1": 13, "A_1": 13, "A/1": 13}
    manifest = json.loads((out / "manifest.json").read_text())
    files = manifest["periods"]["2011_2019"]["reports"]
    assert len(set(files.values())) == 3 and all((out / "2011_2019" / f).is_file() for f in files.values())
    assert files["A_1"].startswith("A_1-") and files["A 1"].startswith("A_1-")  # readable, yet distinct


def test_a_report_file_of_another_id_is_not_reused(region, tmp_path, monkeypatch, capsys):
    out = tmp_path / "b"
    _batch(region, out, monkeypatch, capsys)
    period = out / "2011_2019"
    # the report of "A 1" and its key line, put in the place of "A_1"'s
    shutil.copy(period / report_file_name("A 1"), period / report_file_name("A_1"))
    lines = [json.loads(x) for x in (period / "keys.jsonl").read_text().splitlines()]
    a1 = next(x for x in lines if x["boundary_id"] == "A 1")
    with (period / "keys.jsonl").open("a") as log:
        log.write(json.dumps({**a1, "boundary_id": "A_1"}) + "\n")
    err = _batch(region, out, monkeypatch, capsys)
    assert "1 reports computed (1 of them because their inputs changed since the last run), 2 reused" in err
    assert _stored(out)["A_1"].boundary.name == "Underscore"


def test_a_report_without_its_key_is_recomputed(region, tmp_path, monkeypatch, capsys):
    """As after a kill between writing a report and writing its key (or in the middle of its line)."""
    out = tmp_path / "b"
    _batch(region, out, monkeypatch, capsys)
    log = out / "2011_2019" / "keys.jsonl"
    kept = [x for x in log.read_text().splitlines() if json.loads(x)["boundary_id"] != "A/1"]
    log.write_text("\n".join(kept) + '\n{"boundary_id":"A/1","inputs_k')  # a line cut by a kill
    assert "1 reports computed, 2 reused" in _batch(region, out, monkeypatch, capsys)
    assert len(log.read_text().splitlines()) == 3  # the cut line gone, one line per boundary again
    (out / "2011_2019" / report_file_name("A/1")).write_text("{}")  # a foreign file under the name
    assert "1 reports computed, 2 reused" in _batch(region, out, monkeypatch, capsys)


def _edit_region(cat: Path, edit) -> None:
    doc = yaml.safe_load(cat.read_text())
    edit(doc["regions"]["t"])
    cat.write_text(yaml.safe_dump(doc))


def _change_factor_table(cat: Path) -> int:
    (cat.parent / "forest.csv").write_text(forest_table((7, -1.5, -2.0, 30, 5, 40)))
    return 3


def _change_layer_file(cat: Path) -> int:
    write_tif(cat.parent / "lc_2019.tif", np.asarray(LC11, np.uint8), nodata=0)  # no forest loss any more
    return 3


def _change_catalog_entry(cat: Path) -> int:
    (cat.parent / "tof2.csv").write_text(TOF_DEFAULT.replace(",50,-4,", ",80,-6,"))
    _edit_region(cat, lambda r: r["factors"].update(trees_outside_forest="tof2.csv"))
    return 3


def _change_one_boundary(cat: Path) -> int:
    frame = gpd.read_file(cat.parent / "bounds.gpkg")
    frame.loc[frame["GEOID"] == "A/1", "geometry"] = pixel_box(0, 0, 1, 4)
    frame.to_file(cat.parent / "bounds.gpkg")
    return 1  # the other two boundaries are unchanged


@pytest.mark.parametrize(
    "change", [_change_factor_table, _change_layer_file, _change_catalog_entry, _change_one_boundary]
)
def test_a_rerun_after_inputs_changed_recomputes(region, change, tmp_path, monkeypatch, capsys):
    out = tmp_path / "b"
    _batch(region, out, monkeypatch, capsys)
    before = _net(out)
    n = change(region)
    err = _batch(region, out, monkeypatch, capsys)
    assert f"{n} reports computed ({n} of them because their inputs changed since the last run)" in err
    assert f"{3 - n} reused" in err
    fresh = tmp_path / "fresh"
    _batch(region, fresh, monkeypatch, capsys)
    pd.testing.assert_series_equal(_net(out), _net(fresh))
    assert (out / "inventory.csv").read_bytes() == (fresh / "inventory.csv").read_bytes()
    assert not _net(out).equals(before)


def test_options_and_software_version_are_part_of_the_key(region, tmp_path, monkeypatch, capsys):
    out = tmp_path / "b"
    _batch(region, out, monkeypatch, capsys)
    assert "3 reports computed (3 of them" in _batch(region, out, monkeypatch, capsys, "--exact-coverage")
    assert "0 reports computed, 3 reused" in _batch(region, out, monkeypatch, capsys, "--exact-coverage")
    monkeypatch.setattr("learn.pipeline.batch_reuse.__version__", "99.0")
    assert "3 reports computed (3 of them" in _batch(region, out, monkeypatch, capsys, "--exact-coverage")
    monkeypatch.setattr(
        "learn.pipeline.batch_reuse.REPORT_LAYOUT", 99
    )  # a report layout change within one version
    assert "3 reports computed (3 of them" in _batch(region, out, monkeypatch, capsys, "--exact-coverage")


def test_a_description_edit_keeps_the_reports(region, tmp_path, monkeypatch, capsys):
    """The description never reaches a report, so editing it is not a change of inputs."""
    out = tmp_path / "b"
    _batch(region, out, monkeypatch, capsys)
    _edit_region(region, lambda r: r.update(description="a better description"))
    assert "0 reports computed, 3 reused" in _batch(region, out, monkeypatch, capsys)


def test_python_api_reports_inputs_changed(region, tmp_path):
    reg = learn.open_region("t", region)
    first = run_batch(reg, [(2011, 2019)], tmp_path / "b")
    assert (first.computed, first.reused, first.inputs_changed) == (3, 0, 0)
    scaled = reg.with_factors(
        forest=reg.forest_factors.scaled("removal_factor_forest_remaining_tc_ha_yr", 2.0)
    )
    again = run_batch(scaled, [(2011, 2019)], tmp_path / "b")
    assert (again.computed, again.reused, again.inputs_changed) == (3, 0, 3)
    run = scaled.batch((2011, 2019), out=tmp_path / "b")
    assert (run.computed, run.reused, run.inputs_changed) == (0, 3, 0)
    run = reg.batch((2011, 2019), out=tmp_path / "b")  # back to the table on disk
    assert (run.computed, run.reused, run.inputs_changed) == (3, 0, 3)
