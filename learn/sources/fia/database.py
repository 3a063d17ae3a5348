"""The DuckDB database pyfia estimates from, built from a state's downloaded DataMart tables.

pyfia's own converter (``pyfia.downloader._convert_csvs_to_duckdb``, the step of ``pyfia.download``
after its download) loads each CSV with FIADB's column types. Three things are then added for the
forest factor table (docs/factors.md §2), in this derived database only (the downloaded zips stay
as the DataMart served them):

* ``COND.LEARN_TYPGRPCD``: the condition's FIA forest type group (REF_FOREST_TYPE's TYPGRPCD of
  its FORTYPCD, as pyfia ships it in ``pyfia.constants.forest_types``);
* ``COND.LEARN_AGE_CLASS``: LEARN's age class of the condition's stand age ``STDAGE``
  (1 = 0–20 yr, 2 = 21–100, 3 = over 100; :func:`learn.sources.forest_derive.age_class`);
* live-tree biomass **above plus below ground** in the column pyfia's growth estimator reads:
  ``DRYBIO_AG`` := FIADB ``DRYBIO_AG`` + ``DRYBIO_BG`` (pounds) in TREE, TREE_GRM_MIDPT and
  TREE_GRM_BEGIN; FIADB's value is kept as ``DRYBIO_AG_FIADB``. pyfia's growth estimator
  (``measure="biomass"``) reads only ``DRYBIO_AG``, so this is how its net-growth estimate and
  sampling error cover the roots too (one estimate of the sum, not two estimates added).
"""

from __future__ import annotations

import errno
import json
import tempfile
from pathlib import Path

import numpy as np

from learn.sources.fia.begin import supply_begin_biomass
from learn.sources.fia.download import LOCK_WAIT_S, FiaDownloadError, StateTables
from learn.sources.forest_derive import AGE_CLASS_BOUNDS
from learn.sources.locking import exclusive
from learn.sources.zip_check import ZipDamaged, ZipLimits, extract_members
from learn.util import atomic_path, disk_full, output_error, sha256_file

#: Changes when the derived columns change, so a cached database is rebuilt.
DERIVATION_VERSION = 2  # 2: begin biomass from the previous TREE record (learn.sources.fia.begin)
BIOMASS_TABLES = ("TREE", "TREE_GRM_MIDPT", "TREE_GRM_BEGIN")


def database_path(tables: StateTables) -> Path:
    return tables.folder / f"{tables.state}_learn_fia.duckdb"


def _stamp(tables: StateTables) -> dict[str, object]:
    import pyfia

    return {
        "derivation_version": DERIVATION_VERSION,
        "pyfia": pyfia.__version__,
        "tables": {t: sha256_file(p) for t, p in sorted(tables.zips.items())},
    }


def _add_learn_columns(con: object, stdage_bounds: tuple[float, float] = AGE_CLASS_BOUNDS) -> None:
    import pandas as pd
    from pyfia.constants.forest_types import FOREST_TYPE_GROUP_CODES

    young, middle = stdage_bounds
    run = con.execute  # type: ignore[attr-defined]
    run("ALTER TABLE COND ADD COLUMN LEARN_AGE_CLASS BIGINT")
    # Ages 20 and 100 fall in the younger class, as forest_derive.age_class does for the raster.
    run(
        "UPDATE COND SET LEARN_AGE_CLASS = CASE WHEN STDAGE IS NULL OR STDAGE < 0 THEN NULL "
        f"WHEN STDAGE <= {young} THEN 1 WHEN STDAGE <= {middle} THEN 2 ELSE 3 END"
    )
    groups = pd.DataFrame(
        {
            "FORTYPCD": np.array(list(FOREST_TYPE_GROUP_CODES), dtype=np.int64),
            "TYPGRPCD": np.array(list(FOREST_TYPE_GROUP_CODES.values()), dtype=np.int64),
        }
    )
    con.register("learn_type_groups", groups)  # type: ignore[attr-defined]
    run("ALTER TABLE COND ADD COLUMN LEARN_TYPGRPCD BIGINT")
    run(
        "UPDATE COND SET LEARN_TYPGRPCD = g.TYPGRPCD FROM learn_type_groups g "
        "WHERE COND.FORTYPCD = g.FORTYPCD"
    )
    for table in BIOMASS_TABLES:
        run(f'ALTER TABLE "{table}" RENAME COLUMN DRYBIO_AG TO DRYBIO_AG_FIADB')
        run(f'ALTER TABLE "{table}" ADD COLUMN DRYBIO_AG DOUBLE')
        run(
            f'UPDATE "{table}" SET DRYBIO_AG = CASE WHEN DRYBIO_AG_FIADB IS NULL AND DRYBIO_BG IS NULL '
            "THEN NULL ELSE coalesce(DRYBIO_AG_FIADB, 0) + coalesce(DRYBIO_BG, 0) END"
        )
    supply_begin_biomass(con)  # EVALIDator's previous-TREE rule on the unclipped tables (fia_begin)


def build_database(tables: StateTables, limits: ZipLimits = ZipLimits()) -> Path:
    """The state's estimation database (rebuilt only when a table or the derivation changed).

    The CSVs are extracted to a temporary folder within ``limits`` after a check of the free space there
    (``$TMPDIR``); a full disk, there or beside the database, is an OutputError naming the path and the space
    needed, and leaves no partial database."""
    with exclusive(tables.folder, what=f"the FIA cache {tables.folder}", wait_s=LOCK_WAIT_S,
                   lock_file=tables.folder / ".lock"):  # fmt: skip
        try:
            return _build(tables, limits)
        except ZipDamaged as err:
            raise FiaDownloadError(err.message, hint=err.hint) from None
        except OSError as err:
            raise output_error(database_path(tables), err) from None


def _build(tables: StateTables, limits: ZipLimits) -> Path:
    import duckdb
    from pyfia.downloader import _convert_csvs_to_duckdb
    from pyfia.downloader.exceptions import DownloadError

    target = database_path(tables)
    stamp_file = target.with_suffix(".json")
    stamp = _stamp(tables)
    if target.exists() and stamp_file.exists():
        try:
            if json.loads(stamp_file.read_text()) == stamp:
                return target
        except ValueError:
            pass
    with tempfile.TemporaryDirectory(prefix="learn-fia-") as tmp:
        csv_dir = Path(tmp) / "csv"
        csv_dir.mkdir()
        csv_bytes = sum(
            p.stat().st_size for p in extract_members(tables.zips.values(), csv_dir, limits=limits)
        )
        with atomic_path(target) as out:
            out.unlink()  # DuckDB creates its own file
            try:
                _convert_csvs_to_duckdb(
                    csv_dir, out, state_code=tables.statecd, state=tables.state, show_progress=False
                )
                con = duckdb.connect(str(out))
                try:
                    _add_learn_columns(con)
                    con.execute("CHECKPOINT")
                finally:
                    con.close()
            except (DownloadError, duckdb.Error) as err:
                if disk_full(err):  # DuckDB's IOError text: "… No space left on device"
                    raise output_error(target, OSError(errno.ENOSPC, str(err)), needed=csv_bytes) from None
                raise FiaDownloadError(
                    f"the FIA tables of {tables.state} in {tables.folder} cannot be loaded: {err}",
                    hint="a table may be damaged or of another FIADB version: delete that folder and run again",
                ) from None
    with atomic_path(stamp_file) as tmp_stamp:
        tmp_stamp.write_text(json.dumps(stamp, indent=1))
    return target
