"""Parity with the LEARN authors' accounting (erin-glen/learn_analysis ``funcs.py``), on real NLCD.

The reference below restates, independently and in our own words, how LEARN's published accounting
turns its two working tables into the 12-row GHG table (notes on funcs.py / lookups.py, versions
@12d737b0 and later): a land-use table per (NLCD year 1, NLCD year 2) with carbon sums, a forest-age
table per (NLCD pair, ForestAgeTypeRegion) with disturbance hectares from the per-pixel MAX of the
period rasters, factors LEFT-joined by code, fluxes × 44/12, disturbance and canopy loss ÷ years,
canopy loss scaled by inventory years ÷ canopy years, and every output truncated with ``int()``.

Land cover and canopy are the real Northampton, MA clips; forest codes, disturbance and carbon are
deterministic test layers on the same grid (the real ones are not public). LEARN maps only harvest
code 1 (not 2–4), so the disturbance layers here use 1, 5 and 10.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.features
import yaml
from conftest import REALDATA

import learn

NOHO = REALDATA / "nlcd_northampton_ma"

K = 44 / 12
HA = 0.09
# LEARN's roll-up of NLCD classes (lookups.py).
PARENT = {
    41: "Forestland",
    42: "Forestland",
    43: "Forestland",
    90: "Forestland",
    52: "Grassland",
    71: "Grassland",
    81: "Grassland",
    82: "Cropland",
    21: "Settlement",
    22: "Settlement",
    23: "Settlement",
    24: "Settlement",
    11: "Wetland",
    95: "Wetland",
    12: "Other Land",
    31: "Other Land",
}
LOSS = {
    "Cropland": (1, 1, 0.23),
    "Grassland": (0.5, 1, 0),
    "Wetland": (1, 1, 0),
    "Settlement": (1, 1, 0.3),
    "Other Land": (1, 1, 1),
}
FACTORS = {
    7: (-1.2, -0.8, 30.0, 4.0, 45.0),
    8: (-1.5, -1.1, 25.0, -1.5, 50.0),
    9: (-0.9, -0.4, 40.0, 6.0, 60.0),
}
EF_TOF, RF_TOF = 56.1, -3.88
START, END, TCC = 2011, 2019, (2011, 2016)


def _category(p1: str | None, p2: str | None) -> str:
    if p1 == "Forestland" and p2 == "Forestland":
        return "Forest Remaining Forest"
    if p1 == "Forestland" and p2 is not None:
        return f"Forest to {p2}"
    if p1 != "Forestland" and p2 == "Forestland":
        return "Nonforest to Forest"
    return "Nonforest to Nonforest"


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> dict:
    d = tmp_path_factory.mktemp("parity")
    with rasterio.open(NOHO / f"nlcd_{START}_land_cover.tif") as ds:
        profile = ds.profile | {"count": 1, "nodata": None}
        lc1 = ds.read(1)
        transform, shape = ds.transform, ds.shape
    with rasterio.open(NOHO / f"nlcd_{END}_land_cover.tif") as ds:
        lc2 = ds.read(1)
    rows, cols = np.indices(shape)
    forest_any = np.isin(lc1, [41, 42, 43, 90]) | np.isin(lc2, [41, 42, 43, 90])
    code = np.where(forest_any, 7 + (rows // 37 + cols // 41) % 3, 0).astype(np.uint16)
    code[(rows * 7 + cols) % 97 == 0] = 0  # some forest without a code
    dists = {}
    for k, (a, b) in enumerate([(2011, 2013), (2013, 2016), (2016, 2019)]):
        block = (rows // 23 + cols // 29 + k) % 11
        dists[(a, b)] = np.select([block == 1, block == 4, block == 7], [1, 5, 10], 0).astype(np.uint8)
    carbon = {
        "carbon_live": 50.0 + rows % 50,
        "carbon_dead_litter": 10.0 + cols % 20,
        "carbon_soil": 60.0 + (rows + cols) % 30,
    }

    def write(name: str, arr: np.ndarray) -> str:
        p = d / f"{name}.tif"
        with rasterio.open(p, "w", **(profile | {"dtype": arr.dtype.name})) as out:
            out.write(arr, 1)
        return p.name

    layers = {
        "land_cover": {"path": str(NOHO / "nlcd_{year}_land_cover.tif"), "years": [2001, 2011, 2019]},
        "tree_canopy": {
            "path": str(NOHO / "nlcd_{year}_tree_canopy.tif"),
            "years": [2011, 2016],
            "units": "percent",
        },
        "forest_age_type_region": {"path": write("code", code)},
        "disturbance": {"path": "dist_{start}_{end}.tif", "periods": [list(p) for p in dists]},
    }
    for (a, b), arr in dists.items():
        write(f"dist_{a}_{b}", arr)
    for k, arr in carbon.items():
        layers[k] = {"path": write(k, arr.astype(np.float32)), "units": "t C/ha"}
    header = (
        "ForestAgeTypeRegion,Region,UpperGroup,Age,Plantation,Nonforest to Forest Removal Factor,"
        "Forests Remaining Forest Removal Factor,Fire Emissions Factor,Insect Emissions Factor,"
        "Harvest Emissions Factor,source\n"
    )
    (d / "forest.csv").write_text(
        header
        + "".join(f"{c},Northeast,test,20-100,0,{','.join(map(str, f))},test\n" for c, f in FACTORS.items())
    )
    (d / "tof.csv").write_text(
        f"level,name,ef_t_c_per_ha,rf_t_c_per_ha_yr,source\ndefault,,{EF_TOF},{RF_TOF},LEARN\n"
    )
    region = {
        "description": "parity",
        "layers": layers,
        "boundaries": {
            "path": str(NOHO / "northampton_ma_outline.gpkg"),
            "id_field": "COUSUBFP10",
            "name_field": "TOWN2",
        },
        "factors": {"forest": "forest.csv", "trees_outside_forest": "tof.csv"},
    }
    (d / "catalog.yaml").write_text(yaml.safe_dump({"regions": {"noho": region}}))
    outline = gpd.read_file(NOHO / "northampton_ma_outline.gpkg").to_crs("EPSG:5070")
    inside = rasterio.features.geometry_mask(
        outline.geometry, out_shape=shape, transform=transform, invert=True
    )
    with (
        rasterio.open(NOHO / f"nlcd_{TCC[0]}_tree_canopy.tif") as a,
        rasterio.open(NOHO / f"nlcd_{TCC[1]}_tree_canopy.tif") as b,
    ):
        tc1, tc2 = a.read(1).astype(float), b.read(1).astype(float)
    return {
        "catalog": d / "catalog.yaml",
        "inside": inside,
        "lc1": lc1,
        "lc2": lc2,
        "code": code,
        "dist": np.maximum.reduce(list(dists.values())),
        "carbon": carbon,
        "tc1": tc1,
        "tc2": tc2,
    }


def learn_reference(s: dict) -> dict[tuple[str, str], tuple[int, int]]:
    """LEARN's 12 rows as (area ha, flux t CO2e/yr), each int()-truncated like funcs.py."""
    m = s["inside"]
    years = END - START
    px = pd.DataFrame(
        {
            "lc1": s["lc1"][m],
            "lc2": s["lc2"][m],
            "code": s["code"][m],
            "dist": s["dist"][m],
            "live": s["carbon"]["carbon_live"][m],
            "dead": s["carbon"]["carbon_dead_litter"][m],
            "soil": s["carbon"]["carbon_soil"][m],
            "tc1": s["tc1"][m],
            "tc2": s["tc2"][m],
        }
    )
    px["Category"] = [
        _category(PARENT.get(a), PARENT.get(b)) for a, b in zip(px["lc1"], px["lc2"], strict=True)
    ]
    # Land-use table: per NLCD pair; carbon sums in t C (× 0.09 ha).
    landuse = (
        px.groupby(["lc1", "lc2", "Category"])
        .agg(cells=("live", "size"), live=("live", "sum"), dead=("dead", "sum"), soil=("soil", "sum"))
        .reset_index()
    )
    landuse["Hectares"] = landuse["cells"] * HA
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for end_cat, type_ in [
        ("Cropland", "To Cropland"),
        ("Grassland", "To Grassland"),
        ("Settlement", "To Settlement"),
        ("Wetland", "To Wetland"),
        ("Other Land", "To Other"),
    ]:
        rows = landuse[landuse["Category"] == f"Forest to {end_cat}"]
        f = LOSS[end_cat]
        c_loss = (rows["live"] * f[0] + rows["dead"] * f[1] + rows["soil"] * f[2]) * HA
        out[("Forest Change", type_)] = (int(rows["Hectares"].sum()), int((c_loss * K / years).sum()))
    # Forest-age table: pixels with a code, disturbance hectares by class (1 harvest, 5 insect, 10 fire).
    fa = px[px["code"] > 0].copy()
    fa["fire_HA"] = (fa["dist"] == 10) * HA
    fa["insect_HA"] = (fa["dist"] == 5) * HA
    fa["harvest_HA"] = (fa["dist"] == 1) * HA
    fa = (
        fa.groupby(["lc1", "lc2", "Category", "code"])
        .agg(
            cells=("dist", "size"),
            fire_HA=("fire_HA", "sum"),
            insect_HA=("insect_HA", "sum"),
            harvest_HA=("harvest_HA", "sum"),
        )
        .reset_index()
    )
    fa["Hectares"] = fa["cells"] * HA
    fa["undisturbed_HA"] = fa["Hectares"] - fa["fire_HA"] - fa["harvest_HA"] - fa["insect_HA"]
    lookup = pd.DataFrame.from_dict(
        FACTORS, orient="index", columns=["rf_nf", "rf_frf", "ef_fire", "ef_insect", "ef_harvest"]
    )
    fa = fa.merge(lookup, left_on="code", right_index=True, how="left")
    frf = fa[fa["Category"] == "Forest Remaining Forest"]
    out[("Forest Remaining Forest", "Undisturbed")] = (
        int(frf["undisturbed_HA"].sum()),
        int((frf["undisturbed_HA"] * frf["rf_frf"] * K).sum()),
    )
    for type_, col, ef in [
        ("Fire", "fire_HA", "ef_fire"),
        ("Insect/Disease", "insect_HA", "ef_insect"),
        ("Harvest/Other", "harvest_HA", "ef_harvest"),
    ]:
        out[("Forest Remaining Forest", type_)] = (
            int(frf[col].sum()),
            int((frf[col] * frf[ef] * K / years).sum()),
        )
    nf = fa[fa["Category"] == "Nonforest to Forest"]
    out[("Forest Change", "Reforestation (Non-Forest to Forest)")] = (
        int(nf["Hectares"].sum()),
        int((nf["Hectares"] * nf["rf_nf"] * K).sum()),
    )
    # Trees outside forests: Nonforest→Nonforest pixels, percent canopy × 0.0009 ha, loss scaled to the period.
    nn = px[px["Category"] == "Nonforest to Nonforest"]
    canopy = ((nn["tc1"] + nn["tc2"]) / 2 * 0.01 * HA).sum()
    loss = (np.maximum(nn["tc1"] - nn["tc2"], 0) * 0.01 * HA).sum() * years / (TCC[1] - TCC[0])
    out[("Trees Outside Forest", "Tree canopy loss")] = (int(loss), int(loss * EF_TOF * K / years))
    out[("Trees Outside Forest", "Canopy maintained/gained")] = (int(canopy), int(canopy * RF_TOF * K))
    return out


def test_rows_equal_learn_accounting_within_its_truncation(scene: dict) -> None:
    report = learn.open_region("noho", scene["catalog"]).inventory("46330", (START, END))
    want = learn_reference(scene)
    got = {(r.category, r.type): r for r in report.inventory if r.category != "Total"}
    assert set(got) == set(want)
    assert [(r.category, r.type) for r in report.inventory][:12] == [
        ("Forest Change", "To Cropland"),
        ("Forest Change", "To Grassland"),
        ("Forest Change", "To Settlement"),
        ("Forest Change", "To Wetland"),
        ("Forest Change", "To Other"),
        ("Forest Change", "Reforestation (Non-Forest to Forest)"),
        ("Forest Remaining Forest", "Undisturbed"),
        ("Forest Remaining Forest", "Fire"),
        ("Forest Remaining Forest", "Insect/Disease"),
        ("Forest Remaining Forest", "Harvest/Other"),
        ("Trees Outside Forest", "Tree canopy loss"),
        ("Trees Outside Forest", "Canopy maintained/gained"),
    ]
    nonzero = 0
    for key, (area, flux) in want.items():
        row = got[key]
        ours = (
            row.emissions_t_co2e_per_yr
            if row.emissions_t_co2e_per_yr is not None
            else row.removals_t_co2e_per_yr
        )
        assert row.area_ha is not None and ours is not None, key
        assert int(row.area_ha) == area, (key, row.area_ha, area)
        assert int(ours) == flux, (key, ours, flux)
        nonzero += flux != 0
    assert nonzero >= 10  # the comparison exercises (almost) every row, not zeros
