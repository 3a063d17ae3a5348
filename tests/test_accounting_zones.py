"""The accounting of many zones at once equals the accounting of each zone alone, row by row and exactly:
on random stratum tables that reach every warning and every factor path, and on the demo region's batch
(one raster pass over every boundary) against the per-boundary path on the same strata."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import FOREST_HEADER

import learn
import learn.landuse as lu
from learn.accounting.factors import TofSelection, load_forest_factors
from learn.accounting.inventory import Accounting, account, account_zones, zone_totals
from learn.accounting.terms import AccountingInputs
from learn.accounting.zone_table import TRANSITION_INDEX, ZoneTable
from learn.options import InventoryOptions
from learn.raster.engine import grid_windows, reduce
from learn.raster.strata import SUM_COLUMNS
from learn.raster.zones import GeometryZones

SEVERITY_TABLE = (
    FOREST_HEADER.replace(
        "Harvest Emissions Factor,source",
        "Harvest Emissions Factor,Harvest_EF_0_25,Harvest_EF_25_50,Harvest_EF_50_75,Harvest_EF_75_100,source",
    )
    + "7,Northeast,g,20-100,0,-1,-1,30,-5,40,-2,10,20,50,test\n"
    + "8,Northeast,g,20-100,0,-1,-2,31,6,41,3,12,24,60,test\n"
)
PLAIN_TABLE = (
    FOREST_HEADER + "7,Northeast,g,20-100,0,-1,-1,30,-5,40,test\n8,Northeast,g,20-100,0,-1,-2,31,6,-41,test\n"
)
# Forest, non-forest, no-category (51) and no-class (0, 250) land cover; codes with and without factor rows.
LAND_COVER = [41, 42, 90, 21, 82, 71, 11, 31, 95, 51, 0, 250]
CODES = [0, 7, 8, 99]
DISTURBANCE = [0, 1, 2, 3, 4, 5, 10, 7]


def random_strata(rng: np.random.Generator, n: int, zones: list[int]) -> pd.DataFrame:
    """A stratum table (as the raster stage returns) with random keys and sums over ``zones``."""
    frame = pd.DataFrame(
        {
            "zone": rng.choice(zones, n),
            "lc1": rng.choice(LAND_COVER, n),
            "lc2": rng.choice(LAND_COVER, n),
            "forest_age_type_region": rng.choice(CODES, n),
            "disturbance": rng.choice(DISTURBANCE, n),
        }
    )
    frame = frame.drop_duplicates(["zone", "lc1", "lc2", "forest_age_type_region", "disturbance"])
    for col in SUM_COLUMNS:
        frame[col] = rng.uniform(0, 50, len(frame)).round(3)
    frame["pixels"] = rng.integers(1, 40, len(frame)).astype(float)
    frame.loc[frame.sample(frac=0.2, random_state=1).index, "carbon_missing_pixels"] = 0.0
    return frame.reset_index(drop=True)


def inputs(table_csv: str, tmp_path: Path, **changes: object) -> AccountingInputs:
    path = tmp_path / "forest.csv"
    path.write_text(table_csv)
    base = AccountingInputs(
        start=2011,
        end=2019,
        pixel_area_ha=0.09,
        forest_factors=load_forest_factors(path),
        tof=TofSelection(50.0, -4.0, {"level": "default"}, {"level": "default"}),
        canopy_unit=0.01,
        canopy_years=(2011, 2016),
        has_carbon=True,
        has_disturbance=True,
        has_forest_codes=True,
        recategorize_burned_grassland=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def as_dict(acc: Accounting) -> dict[str, object]:
    return {
        f.name: [r.model_dump() if hasattr(r, "model_dump") else r for r in v]
        if isinstance(v, list)
        else (v.model_dump() if hasattr(v, "model_dump") else v)
        for f in dataclasses.fields(acc)
        for v in [getattr(acc, f.name)]
    }


@pytest.mark.parametrize(
    "table, changes",
    [
        (SEVERITY_TABLE, {}),
        (PLAIN_TABLE, {"recategorize_burned_grassland": False}),
        (SEVERITY_TABLE, {"has_disturbance": False, "has_carbon": False}),
        (PLAIN_TABLE, {"canopy_unit": None, "tof": None}),
        (SEVERITY_TABLE, {"has_forest_codes": False}),
    ],
)
def test_all_zones_at_once_equal_each_zone_alone(tmp_path, table, changes):
    rng = np.random.default_rng(7)
    zones = [3, 0, 11, 5, 8]  # report order; zone 8 has no strata, zone 2 is not asked for
    strata = random_strata(rng, 3000, [0, 2, 3, 5, 11])
    inp = inputs(table, tmp_path, **changes)
    tofs = [dataclasses.replace(inp.tof, ef_t_c_per_ha=10.0 * (k + 1)) if inp.tof else None for k in range(5)]
    together = account_zones(strata, inp, zones, tofs)
    assert len(together) == len(zones)
    for z, tof, acc in zip(zones, tofs, together, strict=True):
        alone = account(strata[strata["zone"] == z], dataclasses.replace(inp, tof=tof))
        assert as_dict(acc) == as_dict(alone)
    # The random table reaches the paths that warn: no class, missing carbon, odd disturbance, codes
    # without a factor row, negative EFs, burned grassland moved.
    text = "\n".join(w for acc in together for w in acc.warnings)
    if changes == {}:
        for needle in (
            "no valid land-cover class",
            "have no carbon stock",
            "disturbance codes [7]",
            "without a factor row",
            "negative emission factors",
            "recategorise burned grassland",
            "its emissions are negative",
        ):
            assert needle in text
    empty = together[zones.index(8)]
    assert empty.area_ha == 0.0 and empty.totals.net_t_co2e_per_yr == 0.0


def test_a_prepared_table_accounts_again_under_a_scaled_factor_table(tmp_path):
    strata = random_strata(np.random.default_rng(3), 1500, [0, 1, 2])
    inp = inputs(SEVERITY_TABLE, tmp_path)
    t = ZoneTable.prepare(strata, [0, 1, 2])
    scaled = inp.forest_factors.scaled("emission_factor_fire_tc_ha", 2.0)
    again = account_zones(t, dataclasses.replace(inp, forest_factors=scaled))
    fresh = account_zones(strata, dataclasses.replace(inp, forest_factors=scaled), [0, 1, 2])
    assert [as_dict(a) for a in again] == [as_dict(a) for a in fresh]
    base = account_zones(t, inp)
    gross_e, gross_r = zone_totals(t, dataclasses.replace(inp, forest_factors=scaled))  # no report built
    assert gross_e.tolist() == [a.totals.gross_emissions_t_co2e_per_yr for a in fresh]
    assert gross_r.tolist() == [a.totals.gross_removals_t_co2e_per_yr for a in fresh]
    fire = [
        next(r for r in a.inventory if r.type == "Fire").emissions_t_co2e_per_yr for a in (base[0], again[0])
    ]
    assert fire[1] == pytest.approx(2 * fire[0]) and fire[0] != 0


def test_the_transition_lookup_is_landuse_transition_of():
    from learn.accounting.zone_table import _TRANSITION_LUT

    for a in range(256):
        for b in (*lu.NLCD_CLASSES, 0, 250, 255):
            assert _TRANSITION_LUT[a, b] == TRANSITION_INDEX[lu.transition_of(a, b)]


def test_demo_batch_reports_equal_per_boundary_reports_row_by_row(demo_catalog):
    region = learn.open_region("demo", demo_catalog)
    layers = region.period_layers(2011, 2019)
    bset = region.boundaries
    boundaries = [bset.get(b) for b in bset.ids()]
    zones = GeometryZones([b.geometry for b in boundaries], [b.id for b in boundaries], "centre")
    strata = reduce(region.reduction_job(layers, zones), grid_windows(region.grid, None))
    options = InventoryOptions()
    order = list(range(len(boundaries)))[::-1]  # any order of the zones
    batch = region.reports_from_strata([boundaries[k] for k in order], layers, strata, options, order)
    for k, report in zip(order, batch, strict=True):
        alone = region.report_from_strata(boundaries[k], layers, strata[strata["zone"] == k], options)
        assert report.model_dump() == alone.model_dump()
        assert report.to_json() == alone.to_json()
    assert sum(r.totals.net_t_co2e_per_yr != 0 for r in batch) == len(batch)


def test_batch_geojson_holds_what_geopandas_writes(demo_catalog, tmp_path):
    """boundaries.geojson (geometries by GEOS) parses to what GeoDataFrame.to_json gives: same properties,
    nulls for NaN, and every coordinate the same float."""
    import json

    from learn.pipeline.batch import geojson_text, totals_geoframe

    region = learn.open_region("demo", demo_catalog)
    run = region.batch((2011, 2019))
    frame = totals_geoframe(run.reports, region.boundaries)
    frame.loc[frame.index[0], "net_t_co2e_per_ha_yr"] = float("nan")
    assert json.loads(geojson_text(frame)) == json.loads(frame.to_json(drop_id=True))
