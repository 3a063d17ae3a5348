"""Factor tables: the forest table in LEARN's lookup layout and the trees-outside-forest table.

Units: removal factors (RF) in t C/ha/yr (negative = removal); emission factors (EF) in t C/ha
per event (forest disturbance) or t C/ha of canopy lost (trees outside forests).
Method: ``docs/method.md`` §4.1 (trees-outside-forest factor selection) and §6 (factor tables).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from learn.errors import FactorTableError
from learn.util import sha256_file

# LEARN lookup column names (forest_raster_*.csv), mapped to the names used in this package.
FOREST_COLUMNS = {
    "ForestAgeTypeRegion": "forest_age_type_region",
    "Region": "region",
    "UpperGroup": "forest_type_group",
    "Age": "age_class",
    "Nonforest to Forest Removal Factor": "removal_factor_nonforest_to_forest_tc_ha_yr",
    "Forests Remaining Forest Removal Factor": "removal_factor_forest_remaining_tc_ha_yr",
    "Fire Emissions Factor": "emission_factor_fire_tc_ha",
    "Insect Emissions Factor": "emission_factor_insect_tc_ha",
    "Harvest Emissions Factor": "emission_factor_harvest_tc_ha",
}
#: The disturbance EF columns: a table may leave out all three (an FIA-derived table, docs/factors.md);
#: its rows then hold NaN there and ``has_emission_factors`` is False.
EMISSION_FACTOR_COLUMNS = ("Fire Emissions Factor", "Insect Emissions Factor", "Harvest Emissions Factor")
#: Optional standard errors (t C/ha/yr, ≥ 0) of the removal factors, keyed by the factor's name in this
#: package (``learn factors fia`` writes them; the uncertainty of a report is drawn from them).
FOREST_SE_COLUMNS = {
    "removal_factor_nonforest_to_forest_tc_ha_yr": "removal_factor_nonforest_to_forest_se_tc_ha_yr",
    "removal_factor_forest_remaining_tc_ha_yr": "removal_factor_forest_remaining_se_tc_ha_yr",
}
#: Optional per-severity harvest EFs; disturbance codes 1..4 use them in this order.
HARVEST_SEVERITY_COLUMNS = ("Harvest_EF_0_25", "Harvest_EF_25_50", "Harvest_EF_50_75", "Harvest_EF_75_100")
PLANTATION_ALIASES = ("Plantation", "plantation", "PlantationFlag", "Plantation Flag", "plantation_flag")

TOF_COLUMNS = ("level", "name", "ef_t_c_per_ha", "rf_t_c_per_ha_yr", "source")
TOF_LEVELS = ("default", "state", "place")
#: The numeric factor columns of the TOF table.
TOF_FACTOR_COLUMNS = ("ef_t_c_per_ha", "rf_t_c_per_ha_yr")


def _derived_sha256(sha256: str, change: str) -> str:
    """A digest naming a derived (perturbed) table: never equal to the source file's sha256."""
    return hashlib.sha256(f"{sha256}|{change}".encode()).hexdigest()


def _label(shown: str, derivation: str | None) -> str:
    return shown if derivation is None else f"{shown} [{derivation}]"


def _check_scale(table: pd.DataFrame, column: str, factor: float, allowed: tuple[str, ...]) -> None:
    if column not in allowed or column not in table.columns:
        raise ValueError(f"cannot scale column {column!r}; factor columns: {list(allowed)}")
    if not (math.isfinite(factor) and factor >= 0):
        raise ValueError(f"scale factor must be a finite number ≥ 0, got {factor!r}")


@dataclass(frozen=True)
class ForestFactorTable:
    """The forest factor table, indexed by forest age-type-region code."""

    path: Path
    sha256: str
    table: pd.DataFrame  # index: forest_age_type_region (int); columns: see FOREST_COLUMNS values
    has_severity: bool
    #: How this table differs from the file at ``path`` (None: it is that file, unchanged).
    derivation: str | None = None
    #: How reports name the file (e.g. relative to the catalog's folder); None: ``path`` itself.
    shown_as: str | None = None
    #: False when the file has no disturbance EF columns (they are NaN in ``table``).
    has_emission_factors: bool = True

    def codes(self) -> set[int]:
        return {int(c) for c in self.table.index}

    @property
    def shown_path(self) -> str:
        """The file as reports name it (rows' ``factors.table``, provenance)."""
        return self.shown_as or str(self.path)

    @property
    def label(self) -> str:
        """The file, and the change applied to it if any (the key of provenance ``factor_tables``)."""
        return _label(self.shown_path, self.derivation)

    def factor_columns(self) -> list[str]:
        """The numeric factor columns (RF t C/ha/yr, EF t C/ha), severity EFs included when present."""
        cols = [c for k, c in FOREST_COLUMNS.items() if k.endswith("Factor")]
        return cols + (list(HARVEST_SEVERITY_COLUMNS) if self.has_severity else [])

    def scaled(self, column: str, factor: float) -> ForestFactorTable:
        """A copy with every row's ``column`` multiplied by ``factor`` (e.g. 1.1 for +10 %).

        The copy keeps ``path`` and records the change in ``derivation``; its ``sha256`` is derived from
        the source digest and the change, so provenance never passes it off as the file.
        """
        _check_scale(self.table, column, factor, tuple(self.factor_columns()))
        table = self.table.copy()
        table[column] = table[column] * factor
        change = f"{column} × {factor!r}"
        if self.derivation:
            change = f"{self.derivation}; {change}"
        return replace(self, table=table, sha256=_derived_sha256(self.sha256, change), derivation=change)


@dataclass(frozen=True)
class TofFactorTable:
    """Trees-outside-forest factors by level (default / state / place)."""

    path: Path
    sha256: str
    table: pd.DataFrame
    #: How this table differs from the file at ``path`` (None: it is that file, unchanged).
    derivation: str | None = None
    #: How reports name the file (e.g. relative to the catalog's folder); None: ``path`` itself.
    shown_as: str | None = None

    @property
    def shown_path(self) -> str:
        """The file as reports name it (provenance)."""
        return self.shown_as or str(self.path)

    @property
    def label(self) -> str:
        """The file, and the change applied to it if any (the key of provenance ``factor_tables``)."""
        return _label(self.shown_path, self.derivation)

    def scaled(self, column: str, factor: float) -> TofFactorTable:
        """A copy with ``column`` (``ef_t_c_per_ha`` or ``rf_t_c_per_ha_yr``) of every row × ``factor``.

        Like :meth:`ForestFactorTable.scaled`: same ``path``, the change in ``derivation`` and a derived
        ``sha256``.
        """
        _check_scale(self.table, column, factor, TOF_FACTOR_COLUMNS)
        table = self.table.copy()
        table[column] = table[column] * factor
        change = f"{column} × {factor!r}"
        if self.derivation:
            change = f"{self.derivation}; {change}"
        return replace(self, table=table, sha256=_derived_sha256(self.sha256, change), derivation=change)

    def row_selection(self, index: int) -> TofSelection:
        """Both factors (EF and RF) of one row (by position), as if the selection had picked that row."""
        row = self.table.iloc[index]
        return TofSelection(
            ef_t_c_per_ha=float(row["ef_t_c_per_ha"]),
            rf_t_c_per_ha_yr=float(row["rf_t_c_per_ha_yr"]),
            ef_row=row_dict(row),
            rf_row=row_dict(row),
        )


@dataclass(frozen=True)
class TofSelection:
    """The TOF factors chosen for one boundary and the table rows they came from."""

    ef_t_c_per_ha: float
    rf_t_c_per_ha_yr: float
    ef_row: dict[str, object] = field(default_factory=dict)
    rf_row: dict[str, object] = field(default_factory=dict)


def _read_csv(path: Path, what: str, error: type[FactorTableError] = FactorTableError) -> pd.DataFrame:
    if not path.exists():
        raise error(
            f"{what} not found: {path}", hint="check the 'factors' entry of the region in the catalog"
        )
    try:
        return pd.read_csv(path, dtype={"name": str}, keep_default_na=True)
    except Exception as err:  # pandas raises many parser error types
        raise error(f"{what} {path} cannot be read as CSV: {err}") from None


#: Largest magnitude accepted for a factor (t C/ha or t C/ha/yr): the densest forests hold ~2,000 t C/ha,
#: so a larger value is a unit error (kg for t) or a typo, and huge values would overflow the sums to inf.
MAX_ABS_FACTOR = 10_000.0
#: Largest ForestAgeTypeRegion key: the raster stage reads uint32 codes (the contract of docs/method.md §1.6
#: reaches 9,909,993), so the key is no factor and MAX_ABS_FACTOR does not bound it.
MAX_FOREST_CODE = 2**32 - 1


def _require_numeric(
    df: pd.DataFrame,
    cols: list[str],
    path: Path,
    row_label: Callable[[int], str] | None = None,
    limit: float = MAX_ABS_FACTOR,
    limit_hint: str = "factors are in t C/ha (per year for removal factors); check the units",
) -> None:
    """Every value of ``cols`` must be a finite number of at most ``MAX_ABS_FACTOR``; errors name the
    CSV line and, when ``row_label`` is given, the row's key (a forest code, a TOF level and name)."""

    def rows(index: list[int]) -> str:
        where = [f"line {int(i) + 2}" + (f" ({row_label(int(i))})" if row_label else "") for i in index[:10]]
        return ", ".join(where)

    for col in cols:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = df.index[values.isna()].tolist()
        if bad:
            raise FactorTableError(
                f"factor table {path}: column '{col}' has missing or non-numeric values on data rows "
                f"{[int(b) + 2 for b in bad[:10]]} (CSV line numbers): {rows(bad)}",
                hint="every factor must be a number",
            )
        infinite = df.index[~np.isfinite(values.to_numpy(float))].tolist()
        if infinite:
            raise FactorTableError(
                f"factor table {path}: column '{col}' has non-finite values (inf, -inf or too large for a "
                f"number, e.g. 1e400) on {rows(infinite)}",
                hint="every factor must be a finite number",
            )
        huge = df.index[values.abs() > limit].tolist()
        if huge:
            raise FactorTableError(
                f"factor table {path}: column '{col}' has values larger than {limit:,.0f} in magnitude "
                f"on {rows(huge)}",
                hint=limit_hint,
            )
        df[col] = values.astype(float)


def load_forest_factors(path: str | Path, shown_as: str | None = None) -> ForestFactorTable:
    """Read a forest factor table in LEARN's lookup layout and validate it (``shown_as``: how reports
    name the file, default its path)."""
    path = Path(path)
    df = _read_csv(path, "forest factor table")
    present_efs = [c for c in EMISSION_FACTOR_COLUMNS if c in df.columns]
    has_efs = bool(present_efs)
    if not has_efs:
        for c in EMISSION_FACTOR_COLUMNS:
            df[c] = np.nan
    missing = [c for c in FOREST_COLUMNS if c not in df.columns]
    if missing:
        raise FactorTableError(
            f"forest factor table {path} lacks column(s) {missing}",
            hint=f"LEARN's lookup layout needs: {list(FOREST_COLUMNS)} (+ optional {list(HARVEST_SEVERITY_COLUMNS)})",
        )
    has_severity = all(c in df.columns for c in HARVEST_SEVERITY_COLUMNS)
    numeric = [
        c for c in FOREST_COLUMNS if c.endswith("Factor") and (has_efs or c not in EMISSION_FACTOR_COLUMNS)
    ]
    numeric += list(HARVEST_SEVERITY_COLUMNS) if has_severity else []
    se_cols = [c for c in FOREST_SE_COLUMNS.values() if c in df.columns]
    _require_numeric(
        df,
        ["ForestAgeTypeRegion"],
        path,
        limit=MAX_FOREST_CODE,
        limit_hint="ForestAgeTypeRegion is the raster's code, an integer of at most 32 bits",
    )
    code_of = df["ForestAgeTypeRegion"].to_numpy(float)  # data row i is position i (read_csv's index)
    _require_numeric(df, numeric + se_cols, path, lambda i: f"ForestAgeTypeRegion {code_of[i]:g}")
    negative_se = [c for c in se_cols if (df[c] < 0).any()]
    if negative_se:
        raise FactorTableError(f"forest factor table {path}: standard errors must be ≥ 0 ({negative_se})")
    codes = df["ForestAgeTypeRegion"]
    if (codes != codes.round()).any() or (codes <= 0).any():
        raise FactorTableError(f"forest factor table {path}: ForestAgeTypeRegion must be positive integers")
    dup = codes[codes.duplicated()].astype(int).tolist()
    if dup:
        raise FactorTableError(f"forest factor table {path}: ForestAgeTypeRegion codes repeated: {dup[:10]}")
    for col in ("Nonforest to Forest Removal Factor", "Forests Remaining Forest Removal Factor"):
        pos = df.loc[df[col] > 0, "ForestAgeTypeRegion"].astype(int).tolist()
        if pos:
            raise FactorTableError(
                f"forest factor table {path}: '{col}' must be ≤ 0 (removals are negative); positive for codes {pos[:10]}"
            )
    plantation = next((c for c in PLANTATION_ALIASES if c in df.columns), None)
    out = df.rename(columns=FOREST_COLUMNS)
    if plantation:
        out = out.rename(columns={plantation: "plantation"})
    out["forest_age_type_region"] = out["forest_age_type_region"].astype(int)
    if "source" not in out.columns:
        out["source"] = f"user table {path.name} (no source column)"
    out = out.set_index("forest_age_type_region", drop=True)
    return ForestFactorTable(
        path=path,
        sha256=sha256_file(path),
        table=out,
        has_severity=has_severity,
        shown_as=shown_as,
        has_emission_factors=has_efs,
    )


def load_tof_factors(path: str | Path, shown_as: str | None = None) -> TofFactorTable:
    """Read the trees-outside-forest factor table (``level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source``;
    ``shown_as``: how reports name the file, default its path)."""
    path = Path(path)
    df = _read_csv(path, "trees-outside-forest factor table")
    missing = [c for c in TOF_COLUMNS if c not in df.columns]
    if missing:
        raise FactorTableError(
            f"trees-outside-forest factor table {path} lacks column(s) {missing}",
            hint=f"columns must be {list(TOF_COLUMNS)}",
        )
    bad_levels = sorted(set(df["level"]) - set(TOF_LEVELS))
    if bad_levels:
        raise FactorTableError(
            f"TOF factor table {path}: unknown level(s) {bad_levels}; use {list(TOF_LEVELS)}"
        )
    df["name"] = df["name"].fillna("").astype(str).str.strip()
    levels, names = df["level"].astype(str).tolist(), df["name"].tolist()
    _require_numeric(df, list(TOF_FACTOR_COLUMNS), path, lambda i: f"{levels[i]},{names[i]}")
    if (df["ef_t_c_per_ha"] < 0).any() or (df["rf_t_c_per_ha_yr"] > 0).any():
        raise FactorTableError(
            f"TOF factor table {path}: ef_t_c_per_ha must be ≥ 0 and rf_t_c_per_ha_yr ≤ 0 (removals are negative)"
        )
    if (df["level"] == "default").sum() != 1:
        raise FactorTableError(f"TOF factor table {path}: needs exactly one 'default' row")
    _refuse_duplicate_keys(df, path)
    return TofFactorTable(
        path=path, sha256=sha256_file(path), table=df.reset_index(drop=True), shown_as=shown_as
    )


def _refuse_duplicate_keys(df: pd.DataFrame, path: Path) -> None:
    """Two rows of one level whose names match as the selection matches them (case and spacing ignored)
    would make the choice depend on row order: refused, naming them."""
    key = df["level"] + "|" + df["name"].map(lambda n: " ".join(n.split()).casefold())
    repeated = df[key.duplicated(keep=False)]
    if len(repeated):
        groups = [
            " and ".join(
                f"line {int(i) + 2} ({level},{name!r})"
                for i, level, name in g[["level", "name"]].itertuples()
            )
            for _, g in repeated.groupby(key[repeated.index], sort=False)
        ]
        raise FactorTableError(
            f"TOF factor table {path}: rows with the same level and name (case and spaces ignored): "
            f"{'; '.join(groups)}",
            hint="keep one row per state and per place",
        )


def row_dict(row: pd.Series) -> dict[str, object]:
    """A factor table's row as a dict, NaN as None (how a report records the row a factor came from)."""
    return {str(k): (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.to_dict().items()}
