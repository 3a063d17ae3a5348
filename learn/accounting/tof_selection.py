"""Trees-outside-forest factors for one boundary, picked from a :class:`~learn.accounting.factors.TofFactorTable`
as LEARN does: the place row by the boundary's name, else its state's, else the default."""

from __future__ import annotations

from learn.accounting.factors import TofFactorTable, TofSelection, row_dict

_PLACE_SUFFIXES = (" county", " city", " town", " township", " village", " borough", " cdp", " parish")


def place_names(name: str) -> list[str]:
    """A boundary name and its bare form ("Montgomery County" → also "Montgomery")."""
    names = [name.strip()]
    low = names[0].lower()
    for suffix in _PLACE_SUFFIXES:
        if low.endswith(suffix):
            names.append(names[0][: -len(suffix)].strip())
    return names


class TofSelector:
    """:func:`select_tof_factors` for many boundaries: the table's state and place rows looked up by
    name (case-insensitively) instead of scanned for each boundary; each row's dict made once."""

    def __init__(self, table: TofFactorTable) -> None:
        df = table.table
        self._rows: dict[int, dict[str, object]] = {}
        self._values = df[["ef_t_c_per_ha", "rf_t_c_per_ha_yr"]].to_numpy(float)
        self._df = df
        levels, names = df["level"].tolist(), df["name"].tolist()
        self._default = levels.index("default")
        self._by_name: dict[str, dict[str, int]] = {"state": {}, "place": {}}
        for i, (level, name) in enumerate(zip(levels, names, strict=True)):
            if level in self._by_name:
                self._by_name[level].setdefault(str(name).lower(), i)  # the first row of a name, as a scan

    def _first(self, level: str, names: list[str]) -> int | None:
        rows = self._by_name[level]
        return next((rows[n.lower()] for n in names if n.lower() in rows), None)

    def _row(self, i: int) -> dict[str, object]:
        if i not in self._rows:
            self._rows[i] = row_dict(self._df.iloc[i])
        return self._rows[i]

    def select(self, *, place_name: str | None, states_by_overlap: list[str]) -> TofSelection:
        state = self._first("state", states_by_overlap)
        place = self._first("place", place_names(place_name)) if place_name else None
        ef = place if place is not None else (state if state is not None else self._default)
        rf = state if state is not None else self._default
        return TofSelection(
            ef_t_c_per_ha=float(self._values[ef, 0]),
            rf_t_c_per_ha_yr=float(self._values[rf, 1]),
            ef_row=self._row(ef),
            rf_row=self._row(rf),
        )


def select_tof_factors(
    table: TofFactorTable, *, place_name: str | None, states_by_overlap: list[str]
) -> TofSelection:
    """Pick TOF factors as LEARN does.

    RF: the row of the state overlapping the boundary most (``states_by_overlap`` is ordered by
    overlap), else ``default``. EF: the row of the place with the boundary's name (with or without a
    "County"/"city"/... suffix), else the state row, else ``default``. Names match case-insensitively.
    Many boundaries: :class:`TofSelector`.
    """
    return TofSelector(table).select(place_name=place_name, states_by_overlap=states_by_overlap)
