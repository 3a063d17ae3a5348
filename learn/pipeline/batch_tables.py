"""The tables of a batch (``learn batch --formats``): the tidy inventory and the boundaries with their totals.

Each format is one file in the output folder, but GeoParquet: one file per period
(``boundaries_<start>_<end>.parquet``). The GeoPackage holds one layer per period (``totals_<start>_<end>``)
and GeoParquet one file per period, each one row per boundary (:func:`period_layer`): the totals, the
net's 90 % interval and the net of each IPCC category as columns. The GeoJSON keeps one feature per boundary
and period (:func:`totals_geoframe`). The per-boundary JSON reports and ``manifest.json`` are not tables
(they are always written: they make the batch resumable). A table not asked for that an earlier run left in
the folder is removed, so every table in the folder agrees with the reports beside it.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from pyogrio.errors import DataSourceError

from learn.errors import LearnError
from learn.report.frames import tidy_frame
from learn.report.labels import totals_flags
from learn.report.models import Report
from learn.report.xlsx import write_batch_xlsx
from learn.sources.boundaries import BoundarySet
from learn.util import atomic_path, output_error, write_text_atomic

#: ``--formats`` name → the file it writes in the output folder (the order they are written in).
TABLE_FILES: dict[str, str] = {
    "csv": "inventory.csv",
    "parquet": "inventory.parquet",
    "xlsx": "inventory.xlsx",
    "gpkg": "boundaries.gpkg",
    "geojson": "boundaries.geojson",
    "geoparquet": "boundaries_{start}_{end}.parquet",
}
TABLE_FORMATS: tuple[str, ...] = tuple(TABLE_FILES)
#: The GeoPackage's layer of a period.
GPKG_LAYER = "totals_{start}_{end}"
#: What earlier versions wrote for ``geoparquet`` (every period in one file): removed by a rerun.
LEGACY_FILES = ("boundaries.parquet",)


def table_files(fmt: str, periods: Iterable[tuple[int, int]]) -> list[str]:
    """The files a table format writes for ``periods`` (one, but one per period for ``geoparquet``)."""
    pattern = TABLE_FILES[fmt]
    if "{start}" not in pattern:
        return [pattern]
    return [pattern.format(start=a, end=b) for a, b in dict.fromkeys(periods)]


def check_formats(formats: Iterable[str] | str | None) -> tuple[str, ...]:
    """The table formats asked for, in :data:`TABLE_FORMATS` order (None: all six); a comma-separated
    string is split. An unknown name is a :class:`LearnError` naming it and the choices."""
    if formats is None:
        return TABLE_FORMATS
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    asked = {n.strip().lower() for n in names if n.strip()}
    unknown = sorted(asked - set(TABLE_FORMATS))
    if unknown:
        per_boundary = ("pdf", "html", "tidy-csv", "json")
        also = (
            "; one file per boundary (pdf, csv, xlsx, …) is --per-boundary"
            if any(u in per_boundary for u in unknown)
            else ""
        )
        raise LearnError(
            f"unknown table format{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}",
            hint=f"--formats takes a comma-separated list of {', '.join(TABLE_FORMATS)} (default: all){also}",
        )
    return tuple(f for f in TABLE_FORMATS if f in asked)


@contextlib.contextmanager
def writing(target: Path) -> Iterator[None]:
    """Disk and folder faults while writing ``target`` become an :class:`OutputError` naming it."""
    try:
        yield
    except (OSError, DataSourceError) as e:  # pyogrio: e.g. "Failed to commit transaction" on a full disk
        raise output_error(target, e) from None


def totals_frame(reports: list[Report]) -> pd.DataFrame:
    """One row per report: area (ha), gross emissions, gross removals, net (t CO2e/yr), net per ha
    (t CO2e/ha/yr), ``totals_complete`` (False when rows could not be estimated and are left out of the
    totals) and ``not_estimated`` (those rows, "; "-joined; empty when complete); ``net_p05``/``net_p95``
    (the 90 % interval) when a report has one."""
    frame = pd.DataFrame(
        [
            {
                "boundary_id": r.boundary.id,
                "boundary_name": r.boundary.name,
                "start": r.period.start,
                "end": r.period.end,
                "area_ha": r.boundary.area_ha,
                "gross_emissions_t_co2e_per_yr": r.totals.gross_emissions_t_co2e_per_yr,
                "gross_removals_t_co2e_per_yr": r.totals.gross_removals_t_co2e_per_yr,
                "net_t_co2e_per_yr": r.totals.net_t_co2e_per_yr,
                "net_p05_t_co2e_per_yr": r.totals.net_p05_t_co2e_per_yr,
                "net_p95_t_co2e_per_yr": r.totals.net_p95_t_co2e_per_yr,
                "net_t_co2e_per_ha_yr": r.totals.net_t_co2e_per_yr / r.boundary.area_ha
                if r.boundary.area_ha
                else None,
                **totals_flags(r),
            }
            for r in reports
        ]
    )
    empty = [
        c for c in ("net_p05_t_co2e_per_yr", "net_p95_t_co2e_per_yr") if c in frame and frame[c].isna().all()
    ]
    return frame.drop(columns=empty)


def totals_geoframe(
    reports: list[Report], bset: BoundarySet, totals: pd.DataFrame | None = None
) -> gpd.GeoDataFrame:
    """Boundaries (EPSG:4326) with the totals of each report (:func:`totals_frame`, or ``totals`` when
    already computed), one row per boundary and period: gross emissions, gross removals, net
    (t CO2e/yr), net per ha (t CO2e/ha/yr), totals_complete and not_estimated."""
    geo = bset.frame[["id", "geometry"]].rename(columns={"id": "boundary_id"})
    return gpd.GeoDataFrame(
        (totals_frame(reports) if totals is None else totals).merge(geo, on="boundary_id", how="left"),
        geometry="geometry",
        crs=bset.frame.crs,
    ).to_crs(4326)


def _slug(text: str) -> str:
    return "_".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def period_layer(reports: list[Report], geometry: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One period's reports as one row per boundary: :func:`totals_frame`'s columns (totals, the net's
    90 % interval when known, net per ha, totals_complete, not_estimated) with, before the last two, the net
    of each IPCC category (``<category>_net_t_co2e_per_yr``: ``forest_remaining_forest_…``,
    ``forest_to_non_forest_…``, ``non_forest_to_forest_…``, ``trees_outside_forests_…``; empty where not
    estimated); ``geometry``: ``boundary_id`` and the shapes (EPSG:4326)."""
    frame = totals_frame(reports)
    ipcc: dict[str, list[float | None]] = {}
    for k, r in enumerate(reports):
        for row in r.ipcc_summary:
            if row.category != "Total":
                col = f"{_slug(row.category)}_net_t_co2e_per_yr"
                ipcc.setdefault(col, [None] * len(reports))[k] = row.net_t_co2e_per_yr
    at = list(frame.columns).index("totals_complete")
    for offset, (col, values) in enumerate(ipcc.items()):
        frame.insert(at + offset, col, pd.Series(values, dtype=float))
    merged = frame.merge(geometry, on="boundary_id", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=geometry.crs)


def geojson_text(frame: gpd.GeoDataFrame) -> str:
    """``frame`` as a GeoJSON FeatureCollection: what ``frame.to_json(drop_id=True)`` holds, with the
    geometries written by GEOS (``shapely.to_geojson``, several times faster than Python's json on
    coordinates, and exact: every coordinate reads back to the same float). Properties keep Python's
    float repr, not GDAL's writer: GDAL keeps only 15 significant digits in properties."""
    geometries = shapely.to_geojson(frame.geometry.to_numpy())
    props = frame.drop(columns=frame.geometry.name)
    records = props.astype(object).where(props.notna(), None).to_dict("records")
    features = ", ".join(
        f'{{"type": "Feature", "properties": {json.dumps(r)}, "geometry": {"null" if g is None else g}}}'
        for r, g in zip(records, geometries, strict=True)
    )
    return f'{{"type": "FeatureCollection", "features": [{features}]}}'


class BatchFrames:
    """The frames the tables are written from, each computed once and only when a table needs it."""

    def __init__(self, reports: list[Report], bset: BoundarySet) -> None:
        self.reports, self.bset = reports, bset

    @cached_property
    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.reports)

    @cached_property
    def totals(self) -> pd.DataFrame:
        return totals_frame(self.reports)

    @cached_property
    def boundaries(self) -> gpd.GeoDataFrame:
        return totals_geoframe(self.reports, self.bset, self.totals)

    @cached_property
    def periods(self) -> list[tuple[int, int]]:
        return list(dict.fromkeys((r.period.start, r.period.end) for r in self.reports))

    @cached_property
    def layers(self) -> dict[tuple[int, int], gpd.GeoDataFrame]:
        """Period → :func:`period_layer` (the shapes reprojected once, not once per period)."""
        geo = self.bset.frame[["id", "geometry"]].rename(columns={"id": "boundary_id"}).to_crs(4326)
        by_period: dict[tuple[int, int], list[Report]] = {p: [] for p in self.periods}
        for r in self.reports:
            by_period[(r.period.start, r.period.end)].append(r)
        return {p: period_layer(rs, geo) for p, rs in by_period.items()}


def _csv(frames: BatchFrames, target: Path) -> None:
    write_text_atomic(target, frames.tidy.to_csv(index=False, lineterminator="\n"))


def _parquet(frames: BatchFrames, target: Path) -> None:
    with atomic_path(target) as tmp:
        frames.tidy.to_parquet(tmp, index=False)


def _xlsx(frames: BatchFrames, target: Path) -> None:
    write_batch_xlsx(frames.reports, frames.tidy, frames.totals, target)  # atomic (write_tables_xlsx)


def _gpkg(frames: BatchFrames, target: Path) -> None:
    with atomic_path(target) as tmp:
        for k, ((a, b), layer) in enumerate(frames.layers.items()):
            name = GPKG_LAYER.format(start=a, end=b)
            layer.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio", mode="a" if k else "w")


def _geojson(frames: BatchFrames, target: Path) -> None:
    write_text_atomic(target, geojson_text(frames.boundaries))


def _geoparquet(frames: BatchFrames, target: Path) -> None:
    for (a, b), layer in frames.layers.items():
        path = target.parent / TABLE_FILES["geoparquet"].format(start=a, end=b)
        with writing(path), atomic_path(path) as tmp:
            layer.to_parquet(tmp, index=False)


WRITERS: dict[str, Callable[[BatchFrames, Path], None]] = {
    "csv": _csv,
    "parquet": _parquet,
    "xlsx": _xlsx,
    "gpkg": _gpkg,
    "geojson": _geojson,
    "geoparquet": _geoparquet,
}


def write_tables(
    reports: list[Report],
    bset: BoundarySet,
    out: Path,
    formats: Iterable[str] = TABLE_FORMATS,
    *,
    frames: BatchFrames | None = None,
) -> dict[str, str | list[str]]:
    """The tables of ``formats`` in ``out``, each atomically (a killed batch leaves the earlier file or
    none under the final name); tables not asked for that an earlier run left are removed. Returns
    format → file name (for ``geoparquet`` the list of its per-period files), what the manifest records.
    ``frames``: of these reports, to share (built here if not)."""
    asked = check_formats(formats)
    frames = frames or BatchFrames(reports, bset)
    wanted = {fmt: table_files(fmt, frames.periods) for fmt in asked}
    keep = {name for names in wanted.values() for name in names}
    stale = [*LEGACY_FILES, *(TABLE_FILES[f] for f in TABLE_FORMATS if "{" not in TABLE_FILES[f])]
    stale += [p.name for p in out.glob("boundaries_*_*.parquet")]
    for name in stale:
        if name not in keep:
            with writing(out / name):
                (out / name).unlink(missing_ok=True)
    for fmt in asked:
        with writing(out / wanted[fmt][0]):
            WRITERS[fmt](frames, out / wanted[fmt][0])
    return {fmt: names if fmt == "geoparquet" else names[0] for fmt, names in wanted.items()}
