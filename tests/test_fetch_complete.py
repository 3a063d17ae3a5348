"""From a boundary file to a complete, cited inventory with an uncertainty range: ``learn fetch`` + ``learn
inventory`` against local fakes of every public source (issue 13's end-to-end test).

Sources on 127.0.0.1: the real Northampton, MA NLCD clips (file server), the fake BIGMAP and MTBS ImageServer of
:mod:`test_fire_and_periods` (carbon pools, type group, stand age, two burns) and the tiny FIA DataMart of
:mod:`fia_fixture` under Massachusetts's postal code (made-up plots, not real FIA data). No ``--forest-factors``:
the fetch derives the forest table from FIA itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import run_cli
from fia_fixture import write_datamart
from range_server import serve_directory
from test_arcgis_image import NOHO, OUTLINE, rasters  # noqa: F401
from test_fire_and_periods import burns, fire_catalog  # noqa: F401

CSV_PATH = "/fia/datamart/CSV/"


def test_boundary_file_to_a_complete_inventory_with_a_90_percent_interval(
    fire_catalog: Any,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat, _ = fire_catalog
    root = tmp_path / "datamart"
    write_datamart(root / CSV_PATH.strip("/"), "MA", 25)
    monkeypatch.setenv("LEARN_CACHE_DIR", str(tmp_path / "cache"))
    with serve_directory(root) as fia:
        doc = yaml.safe_load(cat.read_text())
        doc["datasets"]["fia_datamart"] = {
            "title": "FIA DataMart (test fixture: made-up plots under MA)",
            "href": fia.url + CSV_PATH,
            "fetch_layer": "forest_factors",
            "min_plots": 1,  # the fixture has 10 plots in all
            "region_states": [],  # no region levels: the fixture serves MA only
            "kind": "table",
            "license": "test data",
            "citation": "tests/fia_fixture.py",
        }
        cat.write_text(yaml.safe_dump(doc, sort_keys=False))
        args = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho",
                "--id-field", "COUSUBFP10", "--name-field", "TOWN2", "--catalog", str(cat)]  # fmt: skip
        code, _, err = run_cli(args, monkeypatch, capsys)
        assert code == 0, err
        sent = sum(fia.traffic.bytes_sent.values())
        assert sent > 0
        code, _, err = run_cli(args, monkeypatch, capsys)  # a re-run reuses the table: no FIA byte sent
        assert code == 0, err
        assert sum(fia.traffic.bytes_sent.values()) == sent

    data = cat.parent / "data" / "noho"
    manifest = json.loads((data / "manifest.json").read_text())
    entry = manifest["files"]["forest_factors_fia.csv"]
    assert entry["inputs"]["states"] == "MA" and entry["evalids"]["MA"] > 0
    table = pd.read_csv(data / "forest_factors_fia.csv")
    # Every type group the map shows has rows: 700 has no plot in the fixture, so it falls back to the state.
    assert set(table["TYPGRPCD"]) >= {100, 500, 700, 800}
    assert set(table.loc[table["TYPGRPCD"] == 700, "fallback_forest_remaining"]) == {"state_age_class"}
    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    assert region["factors"]["forest"] == "data/noho/forest_factors_fia.csv"

    code, out, err = run_cli(["inventory", "--region", "noho", "--boundary", "46330", "--years", "2011", "2019",
                              "--catalog", str(cat)], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    totals = report["totals"]
    shown = f"{totals['net_t_co2e_per_yr']:,.0f} t CO2e/yr (90 %: {totals['net_p05_t_co2e_per_yr']:,.0f} to"
    assert "Net: " + shown.replace("-", "−") in " ".join(err.split())  # the CLI says it on stderr
    assert totals["complete"] is True, (totals["not_estimated"], report["warnings"])
    assert totals["net_p05_t_co2e_per_yr"] < totals["net_t_co2e_per_yr"] < totals["net_p95_t_co2e_per_yr"]
    assert totals["uncertainty"]["draws"] == 1000
    rows = {(r["category"], r["type"]): r for r in report["inventory"]}
    frf = rows[("Forest Remaining Forest", "Undisturbed")]
    assert frf["removals_t_co2e_per_yr"] < 0 and frf["factors"]["table"] == "data/noho/forest_factors_fia.csv"
    fia = report["provenance"]["forest_factors_fia"]
    assert fia["evalids"] == [str(entry["evalids"]["MA"])] and fia["pyfia_version"] == ["1.7.0"]
    fire = rows[("Forest Remaining Forest", "Fire")]
    assert (
        fire["emissions_t_co2e_per_yr"] > 0
        and fire["factors"]["estimate"] == "this tool's (not a LEARN factor)"
    )
