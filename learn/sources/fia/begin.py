"""Begin-of-period biomass for every remeasured tree, so growth is never counted from zero.

pyfia 1.7's growth estimator (``GrowthEstimator.calculate_values``) takes a tree's begin biomass from
TREE_GRM_BEGIN and, where that table has no value, from the tree's previous TREE record
(``TREE.PREV_TRE_CN``) — EVALIDator's rule. But it looks that previous record up in the TREE table
*after* ``clip_by_evalid``, which keeps only the current evaluation's plots: the previous record is
gone, and a missing begin value becomes 0 (``fill_null(0)``), so the whole tree counts as one
period's growth. TREE_GRM_BEGIN need not have a row per tree: in rFIA's Rhode Island tables (FIADB as of
2018, annual-to-annual EVALID 441803) 43 of the 2,868 trees needing a begin value have one, and pyfia's
zero made rates 10–25× too high without any warning (issue 22; tests/test_fia_real_ri.py).

This module applies EVALIDator's rule on the **unclipped** tables, in the derived database only:

* :func:`supply_begin_biomass` — for every tree whose GRM component needs a begin value
  (``SURVIVOR``, ``CUT1``, ``DIVERSION1``, ``MORTALITY1`` in ``MICR_COMPONENT_AL_FOREST``, pyfia's
  list) and has no ``DRYBIO_AG`` in TREE_GRM_BEGIN, the previous TREE record's ``DRYBIO_AG``
  (already above + below ground, :mod:`learn.sources.fia.database`) is written into TREE_GRM_BEGIN,
  marked ``LEARN_BEGIN_SOURCE = 'PREV_TREE'`` (FIADB's own rows: ``'TREE_GRM_BEGIN'``);
* :func:`missing_begin` — the trees of an evaluation still without a begin value (no BEGIN row and
  no previous TREE record), which :func:`learn.sources.fia.estimates.estimate_state` refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: GRM components whose net growth subtracts a begin value (pyfia's ``beginning_volume`` rule).
NEEDS_BEGIN = ("SURVIVOR", "CUT1", "DIVERSION1", "MORTALITY1")
COMPONENT_COLUMN = "MICR_COMPONENT_AL_FOREST"  # all live trees ≥ 1 in. on forest land (pyfia "al")
SOURCE_COLUMN = "LEARN_BEGIN_SOURCE"


@dataclass(frozen=True)
class BeginCount:
    """Trees needing a begin value: in total, given by TREE_GRM_BEGIN, supplied from the previous TREE."""

    needing: int
    from_begin_table: int
    from_previous_tree: int

    @property
    def missing(self) -> int:
        return self.needing - self.from_begin_table - self.from_previous_tree


def _needing_sql(evalid: int | None = None) -> str:
    components = ", ".join(f"'{c}'" for c in NEEDS_BEGIN)
    where = f"g.{COMPONENT_COLUMN} IN ({components})"
    if evalid is not None:
        where += f" AND g.PLT_CN IN (SELECT PLT_CN FROM POP_PLOT_STRATUM_ASSGN WHERE EVALID = {int(evalid)})"
    return f"SELECT DISTINCT g.TRE_CN FROM TREE_GRM_COMPONENT g WHERE {where}"


def supply_begin_biomass(con: Any) -> BeginCount:
    """Fill TREE_GRM_BEGIN's missing ``DRYBIO_AG`` from the previous TREE record (unclipped tables)."""
    run = con.execute
    run(f'ALTER TABLE TREE_GRM_BEGIN ADD COLUMN "{SOURCE_COLUMN}" VARCHAR')
    run(f"UPDATE TREE_GRM_BEGIN SET {SOURCE_COLUMN} = 'TREE_GRM_BEGIN' WHERE DRYBIO_AG IS NOT NULL")
    previous = (
        "SELECT t.CN AS TRE_CN, t.PREV_TRE_CN, t.PLT_CN, p.DRYBIO_AG, p.DRYBIO_AG_FIADB, p.DRYBIO_BG "
        f"FROM ({_needing_sql()}) n JOIN TREE t ON t.CN = n.TRE_CN "
        "JOIN TREE p ON p.CN = t.PREV_TRE_CN WHERE p.DRYBIO_AG IS NOT NULL"
    )
    # A BEGIN row without a value: its value from the previous TREE record.
    run(
        f"UPDATE TREE_GRM_BEGIN SET DRYBIO_AG = s.DRYBIO_AG, DRYBIO_AG_FIADB = s.DRYBIO_AG_FIADB, "
        f"DRYBIO_BG = s.DRYBIO_BG, {SOURCE_COLUMN} = 'PREV_TREE' FROM ({previous}) s "
        "WHERE TREE_GRM_BEGIN.TRE_CN = s.TRE_CN AND TREE_GRM_BEGIN.DRYBIO_AG IS NULL"
    )
    # No BEGIN row at all: a new row.
    run(
        "INSERT INTO TREE_GRM_BEGIN (TRE_CN, PREV_TRE_CN, PLT_CN, DRYBIO_AG, DRYBIO_AG_FIADB, DRYBIO_BG, "
        f"{SOURCE_COLUMN}) SELECT s.TRE_CN, s.PREV_TRE_CN, s.PLT_CN, s.DRYBIO_AG, s.DRYBIO_AG_FIADB, s.DRYBIO_BG, "
        f"'PREV_TREE' FROM ({previous}) s WHERE s.TRE_CN NOT IN (SELECT TRE_CN FROM TREE_GRM_BEGIN)"
    )
    return count_begin(con)


def count_begin(con: Any, evalid: int | None = None) -> BeginCount:
    """How the trees needing a begin value (of ``evalid``'s plots; all when None) get it."""
    row = con.execute(
        f"SELECT count(*), count(b.TRE_CN) FILTER (WHERE b.{SOURCE_COLUMN} = 'TREE_GRM_BEGIN'), "
        f"count(b.TRE_CN) FILTER (WHERE b.{SOURCE_COLUMN} = 'PREV_TREE') FROM ({_needing_sql(evalid)}) n "
        "LEFT JOIN (SELECT TRE_CN, any_value(LEARN_BEGIN_SOURCE) AS LEARN_BEGIN_SOURCE FROM TREE_GRM_BEGIN "
        "WHERE DRYBIO_AG IS NOT NULL GROUP BY TRE_CN) b ON b.TRE_CN = n.TRE_CN"
    ).fetchone()
    return BeginCount(int(row[0]), int(row[1]), int(row[2]))
