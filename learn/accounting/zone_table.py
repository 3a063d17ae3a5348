"""The stratum table of every zone, classified once, and sums by zone: what every accounting term works on.

The accounting runs on all zones at once (a batch of 1,000 counties is one table, not 1,000): each term
(:mod:`learn.accounting.forest`, :mod:`learn.accounting.trees_outside_forest`) selects strata with a mask
and sums its values by zone (:meth:`ZoneTable.by_zone`, one ``np.bincount``), giving one value per zone
for each report row (:class:`RowSums`). One boundary is the same code with one zone.

What does not depend on any factor is computed once in :meth:`ZoneTable.prepare` (validity, land-use
categories and transitions, each stratum's zone position) and :meth:`ZoneTable.factor_positions` (each
stratum's row in a factor table, kept for tables with the same codes): re-running the accounting with
other factor values on the same strata (sensitivity, Monte Carlo) is then arithmetic on arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

import learn.landuse as lu

F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Land-use categories in a fixed order: a stratum's ``cat1``/``cat2`` is its position (-1 = none).
CATEGORIES: tuple[str, ...] = (
    lu.FORESTLAND,
    lu.GRASSLAND,
    lu.CROPLAND,
    lu.SETTLEMENT,
    lu.WETLAND,
    lu.OTHER_LAND,
)
#: A stratum's ``transition`` is its position in :data:`learn.landuse.TRANSITIONS`.
TRANSITION_INDEX = {name: i for i, name in enumerate(lu.TRANSITIONS)}


def _lookups() -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """256-entry category lookup and 256 × 256 transition lookup, as :func:`learn.landuse.transition_of`
    (docs/method.md §2)."""
    category = np.full(256, -1, np.int8)
    for code, cat in lu.NLCD_TO_CATEGORY.items():
        category[code] = CATEGORIES.index(cat)
    c1, c2 = category[:, None], category[None, :]
    forest = CATEGORIES.index(lu.FORESTLAND)
    transition = np.full((256, 256), TRANSITION_INDEX[lu.NONFOREST_TO_NONFOREST], np.int8)
    transition[(c1 != forest) & (c2 == forest)] = TRANSITION_INDEX[lu.NONFOREST_TO_FOREST]
    for end, name in lu.FOREST_TO.items():
        transition[(c1 == forest) & (c2 == CATEGORIES.index(end))] = TRANSITION_INDEX[name]
    transition[(c1 == forest) & (c2 == forest)] = TRANSITION_INDEX[lu.FOREST_REMAINING_FOREST]
    return category, transition


_CATEGORY_LUT, _TRANSITION_LUT = _lookups()
_VALID_LUT = lu.valid_class_lut()


def transition_code(name: str) -> int:
    return TRANSITION_INDEX[name]


@dataclass
class ZoneTable:
    """The stratum table of ``n_zones`` zones, classified (see the module docstring).

    ``zone``: each stratum's zone position (0 … n_zones-1, the order the zones were asked in);
    ``columns``: the stratum table's columns as float64 / int64 arrays.
    """

    n_zones: int
    zone: IntArray
    columns: dict[str, npt.NDArray[Any]]
    valid: BoolArray
    cat1: npt.NDArray[np.int8]
    cat2: npt.NDArray[np.int8]
    transition: npt.NDArray[np.int8]
    _positions: dict[int, tuple[pd.Index, IntArray]] = field(default_factory=dict, repr=False)
    _results: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def prepare(cls, strata: pd.DataFrame, zones: Sequence[int] | None = None) -> ZoneTable:
        """Classify ``strata`` (a :mod:`learn.raster.strata` table) for the zones ``zones`` (values of its
        ``zone`` column, in report order; strata of other zones are left out). Without ``zones``: the
        whole table is one zone."""
        if zones is None or "zone" not in strata.columns:
            n, pos = 1, np.zeros(len(strata), np.int64)
        else:
            n, raw = len(zones), strata["zone"].to_numpy(np.int64)
            wanted = np.asarray(zones, np.int64)
            lut = np.full(int(max(raw.max(initial=0), wanted.max(initial=0))) + 1, -1, np.int64)
            lut[wanted] = np.arange(n)
            pos = lut[raw]
        keep = pos >= 0
        if not keep.all():
            strata, pos = strata[keep], pos[keep]
        columns = {c: strata[c].to_numpy() for c in strata.columns if c != "zone"}
        lc1 = columns["lc1"].astype(np.int64) & 0xFF
        lc2 = columns["lc2"].astype(np.int64) & 0xFF
        return cls(
            n_zones=n,
            zone=pos.astype(np.int64),
            columns=columns,
            valid=_VALID_LUT[lc1] & _VALID_LUT[lc2],
            cat1=_CATEGORY_LUT[lc1],
            cat2=_CATEGORY_LUT[lc2],
            transition=_TRANSITION_LUT[lc1, lc2],
        )

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """A result that depends on the strata only (not on factors), computed once per table."""
        if key not in self._results:
            self._results[key] = compute()
        return self._results[key]

    def __len__(self) -> int:
        return len(self.zone)

    def col(self, name: str) -> F64:
        return self.columns[name].astype(np.float64, copy=False)

    def codes(self, name: str) -> IntArray:
        return self.columns[name].astype(np.int64, copy=False)

    def is_transition(self, name: str) -> BoolArray:
        return self.transition == TRANSITION_INDEX[name]

    def by_zone(self, mask: BoolArray, values: F64) -> F64:
        """Σ ``values`` over the strata of ``mask``, per zone (length ``n_zones``)."""
        return np.asarray(
            np.bincount(self.zone[mask], weights=values[mask], minlength=self.n_zones), np.float64
        )

    def count_by_zone(self, mask: BoolArray) -> IntArray:
        """How many strata of ``mask`` each zone has."""
        return np.bincount(self.zone[mask], minlength=self.n_zones)

    def factor_positions(self, index: pd.Index) -> IntArray:
        """Each stratum's row in a factor table indexed by forest code (``index``), -1 without one.

        Kept for the tables with the same codes (a table scaled for sensitivity keeps its index), so a
        rerun with other factor values does no lookup."""
        cached = self._positions.get(id(index))
        if cached is not None and cached[0] is index:
            return cached[1]
        for other, pos in self._positions.values():
            if other.equals(index):
                self._positions[id(index)] = (index, pos)
                return pos
        pos = index.get_indexer(pd.Index(self.codes("forest_age_type_region"))).astype(np.int64)
        self._positions[id(index)] = (index, pos)
        return pos

    def values_by_zone(self, mask: BoolArray, values: IntArray) -> list[list[int]]:
        """The sorted distinct ``values`` of the strata of ``mask``, per zone (empty lists where none)."""
        out: list[list[int]] = [[] for _ in range(self.n_zones)]
        if not mask.any():
            return out
        pairs = np.unique(np.stack([self.zone[mask], values[mask]], axis=1), axis=0)
        for z, v in pairs.tolist():
            out[z].append(int(v))
        return out


@dataclass
class RowSums:
    """One report row for every zone: area (ha), emissions and removals (t CO2e/yr) per zone, or None
    where the row cannot be computed (the same for every zone: it depends on the region's layers and
    tables); ``factors`` shared by every zone, ``zone_factors`` each zone's own additions."""

    category: str
    type: str
    area_ha: F64 | None
    emissions: F64 | None
    removals: F64 | None
    factors: dict[str, Any] = field(default_factory=dict)
    zone_factors: Callable[[int], dict[str, Any]] | None = None

    def factors_of(self, z: int) -> dict[str, Any]:
        return {**self.factors, **self.zone_factors(z)} if self.zone_factors else dict(self.factors)


class ZoneWarnings:
    """Warnings of every zone, each zone's in the order they were raised."""

    def __init__(self, n_zones: int) -> None:
        self.by_zone: list[list[str]] = [[] for _ in range(n_zones)]

    def where(self, hit: npt.NDArray[Any], text: Callable[[int], str]) -> None:
        """Add ``text(z)`` to every zone ``z`` where ``hit`` is true."""
        for z in np.flatnonzero(hit).tolist():
            self.by_zone[z].append(text(z))

    def every(self, text: str) -> None:
        for w in self.by_zone:
            w.append(text)
