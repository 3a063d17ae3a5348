"""The forest layers ``learn fetch`` derives from what it clipped: age-type-region codes and disturbance.

Run after the clips (:mod:`learn.sources.fetch`), on the region's grid, from the files in its data folder:

* ``forest_age_type_region.tif`` = :func:`~learn.sources.forest_derive.forest_code` of the Census state
  of each pixel, the clipped BIGMAP forest type group and stand age (when both were clipped and the
  catalog has no ready ``forest_age_type_region`` source);
* ``disturbance_{start}_{end}.tif`` for each adjacent pair of the region's land-cover years inside the
  inventory years (as LEARN's periods follow the NLCD years): insect/disease from the IDS survey (when the
  catalog has it), fire from the MTBS annual burn severity mosaics clipped for each year of the period
  (``fire_severity_{year}.tif``; classes 3–4 → 10, the years' MAX; where no year burned, MTBS class 6
  "non-mapping area" or a year of the period without a mosaic → 9, fire not estimated), harvest from the
  region's own tree canopy loss on forest where there is no known fire or insect, combined by per-pixel MAX
  (9 only where nothing else is known). A source the catalog lacks gives 0 for its type, and the region
  says so in a note.

Each derived file gets a manifest entry naming its inputs (file names and sha256) and sources.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import rasterio

from learn.layers import choose_canopy_years
from learn.raster.cog import write_cog
from learn.raster.grid import Grid
from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.census.tiger import state_fips_on_grid
from learn.sources.forest_derive import (
    FIRE,
    FIRE_NOT_MAPPED,
    combine_disturbance,
    fire_codes,
    forest_code,
    harvest_codes,
)
from learn.sources.http import HttpPolicy, policy_for
from learn.sources.insect_survey import SurveySource, read_insect_disease, survey_source
from learn.sources.manifest import _is_current
from learn.sources.remote import FetchError, dataset_for_layer
from learn.util import sha256_file

#: NLCD forest classes (deciduous, evergreen, mixed, woody wetlands): where canopy loss counts as harvest.
NLCD_FOREST = (41, 42, 43, 90)
FOREST_CODE_FILE = "forest_age_type_region.tif"
NO_FIRE_NOTE = "fire not fetched: no MTBS source (disturbance holds insect/disease and harvest only)"
#: The input layer of the fire code (one file per year, :data:`learn.sources.fetch_plan.YEARLY_INPUT_LAYERS`).
FIRE_INPUT = "fire_severity"


@dataclass
class Derived:
    """What :func:`derive_forest_layers` made: files, notes and sources for the region entry."""

    files: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # name → (layer, when, status)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, tuple[str, DatasetSpec]] = field(default_factory=dict)


def _read(path: Path) -> tuple[npt.NDArray[Any], float | None]:
    with rasterio.open(path) as ds:
        return ds.read(1), ds.nodata


def _year_files(manifest: dict[str, Any], layer: str) -> dict[int, str]:
    return {
        int(v["year"]): k for k, v in manifest["files"].items() if v.get("layer") == layer and v.get("year")
    }


def disturbance_periods(land_cover_years: list[int], start: int, end: int) -> list[tuple[int, int]]:
    """Adjacent pairs of the land-cover years inside ``[start, end]`` (e.g. 2011, 2013, 2016 → two periods)."""
    years = sorted(y for y in set(land_cover_years) if start <= y <= end)
    return list(itertools.pairwise(years))


def harvest_canopy_pair(canopy_years: list[int], period: tuple[int, int]) -> tuple[int, int] | None:
    """The canopy years whose loss is a period's harvest: :func:`choose_canopy_years`, kept only when the
    pair overlaps the period (a loss measured wholly before or after it is another period's harvest)."""
    pair = choose_canopy_years(canopy_years, *period)
    return pair if pair is not None and pair[0] < period[1] and pair[1] > period[0] else None


def _derived_spec(title: str, citation: str) -> DatasetSpec:
    return DatasetSpec(
        title=title, href="derived", kind="categorical", license="see inputs", citation=citation
    )


class _Writer:
    """Writes derived layers (uint COG, 0 = no code) with manifest entries naming their inputs; skips a
    file whose inputs and sha256 match the manifest (a re-run reads and asks nothing again)."""

    def __init__(self, data_dir: Path, grid: Grid, manifest: dict[str, Any], now: Callable[[], str]) -> None:
        self.data_dir, self.grid, self.manifest, self.now = data_dir, grid, manifest, now

    def current(self, name: str, inputs: dict[str, str]) -> bool:
        old = self.manifest["files"].get(name)
        return (
            bool(old)
            and old.get("inputs") == inputs
            and _is_current(self.data_dir, name, old, f"derived:{name}")
        )

    def write(self, name: str, layer: str, array: npt.NDArray[Any], inputs: dict[str, str], how: str,
              period: tuple[int, int] | None = None, **more: Any) -> None:  # fmt: skip
        path = self.data_dir / name
        write_cog(path, array, self.grid, nodata=None, categorical=True, tags={"HOW": how})
        self.manifest["files"][name] = {
            "layer": layer,
            "dataset": "derived",
            "year": None,
            "period": list(period) if period else None,
            "url": f"derived:{name}",
            "inputs": inputs,  # file → sha256, or source → what was asked of it
            "how": how,
            **more,
            "bytes": path.stat().st_size,
            "sha256": sha256_file(path),
            "written": self.now(),
        }


def _forest_code(ready: set[str], w: _Writer, out: Derived) -> None:
    files = w.manifest["files"]
    names = ("forest_type_group.tif", "stand_age.tif")
    if "forest_age_type_region" in ready or not set(names) <= set(files):
        return
    inputs = {n: files[n]["sha256"] for n in names}
    inputs["state FIPS"] = "Census cb_2016_us_county_500k (plotly-geo), pixel centres"
    how = "state FIPS x 100000 + forest type group x 10 + age class (docs/method.md 1.6)"
    status = "skipped"
    if not w.current(FOREST_CODE_FILE, inputs):
        (group, group_nodata), (age, age_nodata) = (_read(w.data_dir / n) for n in names)
        fips = state_fips_on_grid(w.grid)
        code = forest_code(fips, group, age, type_group_nodata=group_nodata, age_nodata=age_nodata)
        w.write(FOREST_CODE_FILE, "forest_age_type_region", code, inputs, how)
        status = "written"
    out.files[FOREST_CODE_FILE] = ("forest_age_type_region", "", status)
    keys = [str(files[n].get("dataset")) for n in names]
    out.sources["forest_age_type_region"] = (
        " + ".join(keys),
        _derived_spec(f"forest type group x stand age x state, derived from {' and '.join(keys)}", how),
    )


def _survey_policy(catalog: Catalog, src: SurveySource) -> HttpPolicy:
    """The survey's HTTP policy: the default, with its dataset's ``deadline_s``."""
    return policy_for(catalog.datasets.get(src.dataset), src.dataset)


def _insect_source(catalog: Catalog) -> SurveySource | None:
    try:
        key, spec = dataset_for_layer(catalog, "insect_disease")
    except FetchError:
        return None
    return survey_source(key, spec)


def _fire_dataset(catalog: Catalog) -> str | None:
    try:
        return dataset_for_layer(catalog, FIRE_INPUT)[0]
    except FetchError:
        return None


def period_fire(
    data_dir: Path, files: dict[int, str], period: tuple[int, int]
) -> tuple[npt.NDArray[np.uint8] | None, list[int]]:
    """The period's fire code: MAX over the MTBS mosaics of its years (start and end included, as LEARN's
    periods list them), each reclassed by :func:`fire_codes`; where no year burned, 9 (fire not estimated)
    on MTBS non-mapping pixels and, when a year of the period has no mosaic, on every pixel. None when no
    year of the period was clipped."""
    years = [y for y in sorted(files) if period[0] <= y <= period[1]]
    fire: npt.NDArray[np.uint8] | None = None
    for y in years:
        code = fire_codes(*_read(data_dir / files[y]))
        fire = code if fire is None else np.maximum(fire, code)  # 10 > 9 > 0
    if fire is not None and len(years) < period[1] - period[0] + 1:
        fire = np.where(fire == FIRE, FIRE, FIRE_NOT_MAPPED).astype(np.uint8)
    return fire, years


def _fire_notes(dataset: str | None, files: dict[int, str], periods: list[tuple[int, int]]) -> list[str]:
    if dataset is None:
        return [NO_FIRE_NOTE]
    notes = []
    for a, b in periods:
        missing = [y for y in range(a, b + 1) if y not in files]
        if missing:
            notes.append(
                f"fire {a}-{b}: no MTBS mosaic for {', '.join(map(str, missing))} in '{dataset}' "
                "(not published yet, or outside its years): fire is not estimated for the period where no "
                "other year burned (disturbance code 9; the reports say so)"
            )
    return notes


def derive_forest_layers(
    catalog: Catalog,
    years: tuple[int, int],
    ready: set[str],
    data_dir: Path,
    grid: Grid,
    manifest: dict[str, Any],
    now: Callable[[], str],
) -> Derived:
    """Write the derived forest layers into ``data_dir`` and ``manifest``; ``ready``: layers the catalog
    already serves (not derived again)."""
    out = Derived()
    w = _Writer(data_dir, grid, manifest, now)
    _forest_code(ready, w, out)
    land_cover = _year_files(manifest, "land_cover")
    periods = disturbance_periods(list(land_cover), *years)
    if "disturbance" in ready or not periods:
        return out
    insect_src = _insect_source(catalog)
    fire_dataset, fire_files = _fire_dataset(catalog), _year_files(manifest, FIRE_INPUT)
    canopy = _year_files(manifest, "tree_canopy")
    if insect_src is None and fire_dataset is None and len(canopy) < 2:
        return out  # nothing measured: no layer (an all-0 one would claim "no disturbance")
    out.notes += _fire_notes(fire_dataset, fire_files, periods)
    if insect_src is None:
        out.notes.append("insect/disease not fetched: no IDS source in the catalog")
    files = manifest["files"]
    for a, b in periods:
        name = f"disturbance_{a}_{b}.tif"
        pair = harvest_canopy_pair(list(canopy), (a, b))
        inputs = {land_cover[a]: files[land_cover[a]]["sha256"]}
        inputs |= {canopy[y]: files[canopy[y]]["sha256"] for y in pair or ()}
        inputs |= {f: files[f]["sha256"] for y, f in fire_files.items() if a <= y <= b}
        if insect_src is not None:
            inputs[insect_src.dataset] = f"{insect_src.url} {insect_src.damage_type!r} {a}-{b}"
        if pair is None:
            out.notes.append(f"harvest {a}-{b} not derived: no two tree canopy years around the period")
        if w.current(name, inputs) and not files[name].get("not_estimated"):  # a gap is asked again
            out.files[name] = ("disturbance", f"{a}-{b}", "skipped")
            continue
        none = np.zeros((grid.height, grid.width), np.uint8)
        insect, harvest, requests = none, none, []
        gaps: dict[str, str] = {}
        fire, fire_years = period_fire(data_dir, fire_files, (a, b))
        how = [
            f"fire: MTBS classes 3-4 of {', '.join(map(str, fire_years))} (9: not mapped, class 6 or no mosaic)"
            if fire_years
            else "fire: 9, not estimated (no MTBS mosaic of the period)"
            if fire_dataset
            else "fire: 0 (no MTBS source)"
        ]
        if fire is None:  # a period none of whose years has a mosaic: fire is not estimated anywhere
            fire = np.full((grid.height, grid.width), FIRE_NOT_MAPPED if fire_dataset else 0, np.uint8)
        if insect_src is not None:
            survey = read_insect_disease(grid, (a, b), insect_src, policy=_survey_policy(catalog, insect_src))
            insect, requests = survey.codes, survey.requests
            how.append(
                f"insect/disease: {survey.features} IDS damage areas, survey years {survey.survey_years}"
                if survey.not_estimated is None
                else "insect/disease: not estimated"
            )
            if survey.not_estimated is not None:  # 0 here means "unknown": the report says not estimated
                gaps["insect"] = survey.not_estimated
                out.notes.append(f"insect/disease {a}-{b} not estimated: {survey.not_estimated}")
        if pair is not None:
            lc, _ = _read(data_dir / land_cover[a])
            (c1, nodata), (c2, _) = (_read(data_dir / canopy[y]) for y in pair)
            known_fire = np.where(fire == FIRE, FIRE, 0)  # harvest counts where no fire is known (as LEARN)
            harvest = harvest_codes(
                c1, c2, np.isin(lc, NLCD_FOREST), known_fire, insect, canopy_nodata=nodata
            )
            how.append(f"harvest: tree canopy loss {pair[0]}-{pair[1]} on NLCD {a} forest (41/42/43/90)")
        combined = combine_disturbance(fire, insect, harvest)
        w.write(name, "disturbance", combined, inputs, "; ".join(how), (a, b), requests=requests,
                **({"not_estimated": gaps} if gaps else {}))  # fmt: skip
        out.files[name] = ("disturbance", f"{a}-{b}", "written")
    used = [d for d in (fire_dataset, insect_src.dataset if insect_src else None) if d is not None]
    used += sorted({str(files[n].get("dataset")) for n in canopy.values()})
    kinds = ["MTBS fire" if fire_dataset else "no fire", "IDS insect/disease" if insect_src else "no insect"]
    out.sources["disturbance"] = (
        "derived from " + " + ".join(used),
        _derived_spec(
            f"disturbance: {', '.join(kinds)}, harvest from tree canopy loss on forest",
            "LEARN's disturbance rules (docs/method.md): fire = MTBS classes 3-4 -> 10 (class 6 or a year "
            "without a mosaic -> 9, fire not estimated), insect = IDS "
            "'Mortality - Previously Undocumented' -> 5, harvest = canopy loss classes 1-4, per-pixel MAX",
        ),
    )
    return out
