"""Disturbance emissions from the carbon on the disturbed pixels, where no emission factor table gives them.

LEARN's disturbance emission factors (t C/ha per event, by forest code) are not public. A region whose forest
table has no EF columns (e.g. one derived from FIA by ``learn factors fia``) still has the carbon pools on every
pixel, summed per stratum by the raster stage. This tool then estimates (docs/method.md §3.5):

* **fire**: the IPCC Tier-1 biomass-burning equation as the WRI forest carbon flux model codes it for a
  temperate wildfire: t CO2 = 2 t dry matter per t C × above-ground carbon × combustion factor × CO2 emission
  factor (g/kg dry matter) / 1000, with the above-ground carbon = ``carbon_live`` / (1 + BGB:AGB ratio);
* **harvest/other**: a severity class's share of the live carbon (the class's midpoint of canopy cover lost),
  emitted at once — an assumption of this tool;
* **insect/disease**: no cited rule, so not estimated.

The constants are in ``learn/factors/disturbance_stock_rules.csv``, each with its source and a label
(``derived``: a published constant applied by this tool; ``assumption``: this tool's own rule).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from learn.accounting.terms import C_TO_CO2
from learn.errors import FactorTableError
from learn.util import sha256_file

RULES_PATH: Final = Path(__file__).resolve().parents[1] / "factors" / "disturbance_stock_rules.csv"
#: What a report row computed with these rules says it is.
METHOD: Final = "stock-based estimate of this tool (docs/method.md §3.5): carbon on the disturbed pixels"


@dataclass(frozen=True)
class Constant:
    value: float
    units: str
    label: str  # "derived" (a published constant) or "assumption" (this tool's rule)
    source: str


@dataclass(frozen=True)
class StockRules:
    """The constants of the stock-based rules, by ``(rule, key)``, and the file they came from."""

    constants: dict[tuple[str, str], Constant]
    path: Path
    sha256: str

    def value(self, rule: str, key: str) -> float:
        return self.constants[rule, key].value

    @property
    def fire_t_co2_per_t_c_live(self) -> float:
        """t CO2 emitted per t C of ``carbon_live`` burned (per ha: × the pixels' t C/ha)."""
        above_ground_share = 1.0 / (1.0 + self.value("fire", "below_to_above_ground_ratio"))
        return (
            self.value("fire", "dry_matter_per_carbon")
            * above_ground_share
            * self.value("fire", "combustion_factor")
            * self.value("fire", "gef_co2_g_per_kg_dm")
            / 1000.0
        )

    def harvest_t_co2_per_t_c_live(self, severity: int) -> float:
        """t CO2 emitted per t C of ``carbon_live`` on a pixel of harvest severity class 1–4."""
        return self.value("harvest", f"live_carbon_share_{severity}") * C_TO_CO2

    def sources(self, rule: str) -> list[dict[str, object]]:
        """The constants of ``rule`` as report provenance (key, value, units, label, source)."""
        return [
            {"key": k, "value": c.value, "units": c.units, "label": c.label, "source": c.source}
            for (r, k), c in self.constants.items()
            if r == rule
        ]


_EXPECTED: Final = {
    ("fire", "combustion_factor"),
    ("fire", "gef_co2_g_per_kg_dm"),
    ("fire", "dry_matter_per_carbon"),
    ("fire", "below_to_above_ground_ratio"),
    *(("harvest", f"live_carbon_share_{k}") for k in (1, 2, 3, 4)),
}


@functools.cache
def load_stock_rules(path: Path = RULES_PATH) -> StockRules:
    """The rules table; a missing key, a non-number or a share outside 0…1 is a :class:`FactorTableError`."""
    constants: dict[tuple[str, str], Constant] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                value = float(row["value"])
            except (TypeError, ValueError):
                raise FactorTableError(
                    f"{path}: {row.get('rule')}/{row.get('key')} value {row.get('value')!r} is not a number",
                    hint="each rule constant needs a numeric value",
                ) from None
            constants[row["rule"], row["key"]] = Constant(value, row["units"], row["label"], row["source"])
    missing = sorted(_EXPECTED - set(constants))
    if missing:
        raise FactorTableError(f"{path}: rule constants missing: {missing}", hint="restore the shipped file")
    bad = [k for (r, k), c in constants.items() if r == "harvest" and not 0.0 <= c.value <= 1.0]
    if bad:
        raise FactorTableError(f"{path}: shares outside 0…1: {bad}", hint="a share of live carbon is 0…1")
    return StockRules(constants, path, sha256_file(path))
