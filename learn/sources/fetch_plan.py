"""What ``learn fetch`` reads: the request, and the plan of files it asks of the catalog's sources.

The plan (no network, no file yet, so bad years fail at once):

* land cover for every **inventory year** inside the requested years, both ends included: the years the
  land-cover dataset lists as ``inventory_years`` (LEARN inventories the NLCD release years, not every annual
  map) that it publishes, else every published year — so the disturbance periods are the adjacent pairs, as
  LEARN's are (docs/fetch.md "Periods");
* tree canopy for each period's canopy pair (:func:`learn.layers.choose_canopy_years`), the union over periods;
* the forest layers the catalog has sources for (:data:`FOREST_LAYERS`), the summed BIGMAP pools;
* the inputs of derived layers (:data:`INPUT_LAYERS`): BIGMAP forest type group and stand age once, the MTBS
  burn severity mosaic of each published year inside the requested years (``fire_severity_{year}.tif``).
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from learn.layers import CARBON_LAYERS, FOREST_LAYERS, choose_canopy_years
from learn.sources.arcgis import carbon_pools as pools_sum
from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.forest_layers import harvest_canopy_pair
from learn.sources.remote import (
    FetchError,
    SourceFile,
    check_published,
    dataset_for_layer,
    extra,
    periods_within,
    published_years,
    source_file,
)

#: Inputs clipped next to the layers (``<name>.tif``, in the manifest) for deriving a layer from them; not
#: region layers themselves (BIGMAP forest type group and stand age → forest_age_type_region).
INPUT_LAYERS = ("forest_type_group", "stand_age")
#: An input clipped once per year (MTBS annual burn severity → the fire code of each period).
YEARLY_INPUT_LAYERS = ("fire_severity",)


@dataclass(frozen=True)
class FetchRequest:
    """What to fetch. Exactly one of ``boundary_file``, ``county`` (5-digit GEOID), ``place`` (7-digit)."""

    catalog_path: Path
    region: str
    years: tuple[int, int]
    boundary_file: Path | None = None
    county: str | None = None
    place: str | None = None
    place_year: int | None = None
    data_dir: Path | None = None  # default: <catalog folder>/data/<region>
    margin_m: float = 1000.0  # metres added around the boundary's bounding box
    id_field: str | None = None
    name_field: str | None = None
    forest_factors: Path | None = None
    land_cover_dataset: str | None = None  # default: the dataset marked fetch_layer: land_cover
    canopy_dataset: str | None = None  # default: the dataset marked fetch_layer: tree_canopy
    #: Forest layer → catalog dataset key, overriding the ``fetch_layer`` marks (:data:`FOREST_LAYERS`).
    datasets: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedLayer:
    """One output file and the source it is clipped from."""

    name: str  # file name inside the data folder
    layer: str  # land_cover | tree_canopy | one of FOREST_LAYERS | one of INPUT_LAYERS
    source: SourceFile
    #: The pools summed into a carbon layer (``source`` then names their sum), else empty.
    parts: tuple[SourceFile, ...] = ()

    @property
    def reads(self) -> tuple[SourceFile, ...]:
        """The sources read for this file."""
        return self.parts or (self.source,)


#: Layer → (dataset key, dataset) of every layer the plan reads.
Sources = dict[str, tuple[str, DatasetSpec]]


def plan_layers(catalog: Catalog, req: FetchRequest) -> tuple[list[PlannedLayer], Sources]:
    start, end = req.years
    if start >= end:
        raise FetchError(f"start year {start} must be before end year {end}", hint="e.g. --years 2011 2019")
    unknown = sorted(set(req.datasets) - set(FOREST_LAYERS))
    if unknown:
        raise FetchError(
            f"cannot choose a dataset for layer(s) {unknown}",
            hint=f"--dataset takes LAYER=KEY with LAYER one of {', '.join(FOREST_LAYERS)}",
        )
    sources: Sources = {}
    lc_key, lc = sources["land_cover"] = dataset_for_layer(catalog, "land_cover", req.land_cover_dataset)
    check_published(lc_key, lc, [start, end])
    lc_years = inventory_years(lc_key, lc, start, end)
    plan = [PlannedLayer(f"land_cover_{y}.tif", "land_cover", source_file(lc_key, lc, y)) for y in lc_years]
    optional = {"tree_canopy": req.canopy_dataset} | {k: req.datasets.get(k) for k in FOREST_LAYERS}
    for layer, chosen_key in optional.items():
        try:
            key, spec = dataset_for_layer(catalog, layer, chosen_key)
        except FetchError:
            if chosen_key is not None:
                raise
            pools = pools_sum.carbon_components(catalog, layer) if layer in CARBON_LAYERS else []
            if pools:
                sources[layer], total, parts = pools_sum.summed_source(pools)
                plan.append(PlannedLayer(f"{layer}.tif", layer, total, parts))
            continue  # the catalog has no source for this layer: the report will say what it lacks
        if layer == "tree_canopy":
            files = [
                PlannedLayer(f"tree_canopy_{y}.tif", layer, source_file(key, spec, y))
                for y in canopy_years(published_years(key, spec), lc_years)
            ]
        elif layer == "disturbance":
            files = [
                PlannedLayer(f"disturbance_{a}_{b}.tif", layer, source_file(key, spec, None, period=(a, b)))
                for a, b in periods_within(key, spec, start, end)
            ]
        else:
            files = [PlannedLayer(f"{layer}.tif", layer, source_file(key, spec, None))]
        if files:
            sources[layer] = (key, spec)
            plan += files
    for layer in INPUT_LAYERS:  # inputs only: not in `sources`, so not region layers
        with contextlib.suppress(FetchError):
            key, spec = dataset_for_layer(catalog, layer)
            plan.append(PlannedLayer(f"{layer}.tif", layer, source_file(key, spec, None)))
    if "disturbance" not in sources:  # a ready disturbance source needs no fire input
        for layer in YEARLY_INPUT_LAYERS:
            with contextlib.suppress(FetchError):
                key, spec = dataset_for_layer(catalog, layer)
                plan += [
                    PlannedLayer(f"{layer}_{y}.tif", layer, source_file(key, spec, y))
                    for y in published_years(key, spec)
                    if start <= y <= end
                ]
    return plan, sources


def inventory_years(key: str, spec: DatasetSpec, start: int, end: int) -> list[int]:
    """The land-cover years fetched for ``start``–``end``: both ends and, between them, the dataset's
    ``inventory_years`` it publishes (every published year when it lists none)."""
    published = published_years(key, spec)
    listed = extra(spec, "inventory_years")
    if listed is not None and not (isinstance(listed, list) and all(isinstance(y, int) for y in listed)):
        raise FetchError(
            f"dataset '{key}': inventory_years must be a list of years",
            hint="e.g. inventory_years: [2001, 2004, 2006, 2008, 2011, 2013, 2016, 2019, 2021]",
        )
    between = set(listed if listed is not None else published) & set(published)
    return sorted({start, end} | {y for y in between if start < y < end})


def canopy_years(published: list[int], land_cover_years: list[int]) -> list[int]:
    """The canopy years of every adjacent land-cover period (its harvest pair) and of the whole inventory
    (trees outside forests, :func:`choose_canopy_years`): the union."""
    pairs = [harvest_canopy_pair(published, period) for period in itertools.pairwise(land_cover_years)]
    pairs.append(choose_canopy_years(published, land_cover_years[0], land_cover_years[-1]))  # the inventory's
    return sorted({y for pair in pairs if pair for y in pair})
