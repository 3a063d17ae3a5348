"""The constants of the stock-based disturbance rules (learn/factors/disturbance_stock_rules.csv), by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from learn.accounting.stock_emissions import RULES_PATH, load_stock_rules
from learn.errors import FactorTableError


def test_fire_burns_above_ground_live_carbon_as_the_wri_flux_model_codes_it() -> None:
    rules = load_stock_rules()
    # 2 t dry matter per t C × 1/(1 + 0.26) above ground × Cf 0.51 × 1569 g CO2/kg dm / 1000.
    assert rules.fire_t_co2_per_t_c_live == pytest.approx(2 * 0.51 * 1.569 / 1.26, rel=1e-12)
    assert rules.fire_t_co2_per_t_c_live == pytest.approx(1.2701428571, rel=1e-9)
    labels = {s["key"]: s["label"] for s in rules.sources("fire")}
    assert set(labels.values()) == {"derived"} and "wri/carbon-budget" in str(
        rules.sources("fire")[0]["source"]
    )


def test_harvest_shares_are_the_class_midpoints_and_labelled_assumptions() -> None:
    rules = load_stock_rules()
    shares = [rules.value("harvest", f"live_carbon_share_{k}") for k in (1, 2, 3, 4)]
    assert shares == [0.13, 0.38, 0.63, 0.88]  # midpoints of 1-25, 26-50, 51-75, 76-100 points
    assert rules.harvest_t_co2_per_t_c_live(4) == pytest.approx(0.88 * 44 / 12)
    assert {s["label"] for s in rules.sources("harvest")} == {"assumption"}


def test_a_broken_rules_file_is_refused(tmp_path: Path) -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    bad = tmp_path / "rules.csv"
    bad.write_text(text.replace("live_carbon_share_4,0.88", "live_carbon_share_4,1.5"), encoding="utf-8")
    with pytest.raises(FactorTableError, match="shares outside"):
        load_stock_rules(bad)
    bad.write_text("\n".join(line for line in text.splitlines() if "combustion_factor" not in line))
    with pytest.raises(FactorTableError, match="combustion_factor"):
        load_stock_rules(bad)
    bad.write_text(text.replace("0.51,", "n/a,"), encoding="utf-8")
    with pytest.raises(FactorTableError, match="not a number"):
        load_stock_rules(bad)
