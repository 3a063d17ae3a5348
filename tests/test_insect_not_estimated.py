"""Insect/disease "not estimated", never 0, when the survey layer holds no damage type as LEARN spells it
(issue 22, item 3): ``learn fetch`` against the fake IDS MapServer, then ``learn inventory``.

The fake layer (tests/fake_arcgis_feature.py) answers the ``returnDistinctValues`` check as ArcGIS does;
here its damage areas of the period say "Mortality" (the legacy survey's spelling), not "Mortality -
Previously Undocumented", so no damage area could match LEARN's rule and the Insect/Disease row must have
no number, be listed in ``totals.not_estimated`` and make the totals partial, with the reason in warnings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from fake_arcgis_feature import FakeFeatureLayer
from test_arcgis_image import OUTLINE, rasters  # noqa: F401
from test_forest_layers import _partial_factor_table, sources  # noqa: F401

from learn.sources.insect_survey import MORTALITY_NEW

FETCH = ["fetch", "--boundary-file", str(OUTLINE), "--years", "2011", "2019", "--region-name", "noho",
         "--id-field", "COUSUBFP10", "--name-field", "TOWN2"]  # fmt: skip


def test_an_absent_damage_type_makes_insect_disease_not_estimated(
    sources: tuple[Path, FakeFeatureLayer],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cat, survey = sources
    survey.features = [(g, {**a, "damage_type": "Mortality"}) for g, a in survey.features]
    args = [*FETCH, "--forest-factors", str(_partial_factor_table(tmp_path / "ff_TEST.csv"))]
    code, _, err = run_cli([*args, "--catalog", str(cat)], monkeypatch, capsys)
    assert code == 0, err
    assert [q.get("returnDistinctValues") for q in survey.queries] == ["true"]  # no feature query
    region = yaml.safe_load(cat.read_text())["regions"]["noho"]
    gaps = region["layers"]["disturbance"]["not_estimated"]
    assert [(g["period"], g["term"]) for g in gaps] == [([2011, 2019], "insect")]
    assert repr(MORTALITY_NEW) in gaps[0]["reason"] and "'Mortality'" in gaps[0]["reason"]
    assert "insect/disease 2011-2019 not estimated" in region["description"]

    code, out, err = run_cli(["inventory", "--region", "noho", "--boundary", "46330", "--years", "2011", "2019",
                              "--catalog", str(cat)], monkeypatch, capsys)  # fmt: skip
    assert code == 0, err
    report = json.loads(out)
    rows = {r["type"]: r for r in report["inventory"] if r["category"] == "Forest Remaining Forest"}
    insect = rows["Insect/Disease"]
    assert insect["net_t_co2e_per_yr"] is None and insect["area_ha"] is None  # not 0
    assert insect["factors"]["not_estimated"].startswith("2011-2019: ")
    assert rows["Harvest/Other"]["net_t_co2e_per_yr"] is not None  # the other rows are still estimated
    assert report["totals"]["complete"] is False
    assert "Forest Remaining Forest — Insect/Disease" in report["totals"]["not_estimated"]
    warning = next(w for w in report["warnings"] if w.startswith("Insect/Disease emissions not estimated: "))
    assert repr(MORTALITY_NEW) in warning and "no insect emission factor" not in warning
