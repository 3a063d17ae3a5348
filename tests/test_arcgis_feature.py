"""The ArcGIS feature-layer adapter and the IDS insect/disease layer, against a fake MapServer on 127.0.0.1.

The fake (tests/fake_arcgis_feature.py) speaks the public layer's protocol over real HTTP; the layers it
serves are pixel-aligned polygons whose expected rasters are written by hand (a 4 × 5 grid) or derived
independently from the real Northampton, MA NLCD clip (forest patches as sketch-mapped damage areas).
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
import shapely
from affine import Affine
from conftest import ORIGIN, PIXEL, REALDATA, REPO, pixel_box
from fake_arcgis_feature import LAYER_PATH, FakeFeatureLayer, make_app
from range_server import serve_app

from learn.accounting.forest_strata import DIST_INSECT
from learn.raster.grid import Grid
from learn.sources.arcgis.feature import layer_info
from learn.sources.catalog import load_catalog
from learn.sources.http import HttpPolicy
from learn.sources.insect_survey import (
    INSECT_CODE,
    MORTALITY_NEW,
    SurveySource,
    insect_disease_codes,
    read_insect_disease,
    survey_source,
    survey_years,
)
from learn.sources.remote import FetchError

MORT, DEFOL = MORTALITY_NEW, "Defoliation 50-75% of leaves defoliated"
FAST = HttpPolicy(timeout_s=5, retries=2, backoff_s=0.01)
TINY = Grid(
    crs=rasterio.crs.CRS.from_epsg(5070),
    transform=Affine(PIXEL, 0, ORIGIN[0], 0, -PIXEL, ORIGIN[1]),
    width=5,
    height=4,
)


def lonlat(geom: shapely.Geometry) -> shapely.Geometry:
    """A polygon drawn in EPSG:5070 as the service stores it (lon/lat)."""
    return gpd.GeoSeries([geom], crs=5070).to_crs(4326).iloc[0]


def area(geom: shapely.Geometry, year: int, damage: str, agent: str = "hemlock woolly adelgid") -> tuple:
    return (
        lonlat(geom),
        {"survey_year": year, "damage_type": damage, "dca_common_name": agent, "acres": 1.0},
    )


@pytest.fixture
def hand_case() -> list[tuple]:
    """Four damage areas on the 4 × 5 grid; only two count for 2011-2013 (mortality, survey year inside)."""
    holed = pixel_box(0, 2, 3, 5).difference(pixel_box(1, 3, 2, 4))
    return [
        area(pixel_box(0, 0, 2, 2), 2012, MORT),  # counts
        area(pixel_box(2, 3, 4, 5), 2014, MORT),  # survey year after the period
        area(pixel_box(3, 0, 4, 2), 2012, DEFOL),  # another damage type
        area(holed, 2011, MORT),  # counts, with a hole at row 1, col 3
    ]


HAND_EXPECTED = np.array(
    [
        [5, 5, 5, 5, 5],
        [5, 5, 5, 0, 5],
        [0, 0, 5, 5, 5],
        [0, 0, 0, 0, 0],
    ],
    dtype=np.uint8,
)


def data_queries(layer: FakeFeatureLayer) -> list[dict[str, str]]:
    """The feature queries (not the damage-type check that comes first)."""
    return [q for q in layer.queries if q.get("returnDistinctValues") != "true"]


def source(url: str, **kw: object) -> SurveySource:
    return SurveySource(dataset="ids_test", url=url + LAYER_PATH, years=tuple(range(1997, 2025)), **kw)  # type: ignore[arg-type]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FakeFeatureLayer, str, object]]:
    """Start a fake layer (set its features / behaviour through the returned object)."""
    layer = FakeFeatureLayer(features=[])
    with serve_app(make_app(layer), tmp_path) as srv:
        yield layer, srv.url, srv


def test_rasterized_layer_equals_the_hand_computed_case(served, hand_case) -> None:
    layer, url, srv = served
    layer.features = hand_case
    out = read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)
    assert out.codes.dtype == np.uint8
    np.testing.assert_array_equal(out.codes, HAND_EXPECTED)
    assert out.features == 2 and out.survey_years == [2011, 2012, 2013]
    # the query a public ArcGIS server would get: envelope in lon/lat, filter, formats, the project's User-Agent
    check, q = layer.queries[0], data_queries(layer)[0]
    # first the damage-type check (distinct values of the period's years, whole layer, no geometry)
    assert (check["returnDistinctValues"], check["returnGeometry"], check["outFields"], check["f"]) == (
        "true",
        "false",
        "damage_type",
        "json",
    )
    assert check["where"] == "survey_year IN (2011, 2012, 2013)" and "geometry" not in check
    assert out.not_estimated is None and "returnDistinctValues=true" in out.requests[0]
    assert q["where"] == f"survey_year IN (2011, 2012, 2013) AND damage_type = '{MORT}'"
    assert (q["geometryType"], q["inSR"], q["spatialRel"], q["outSR"], q["f"]) == (
        "esriGeometryEnvelope",
        "4326",
        "esriSpatialRelIntersects",
        "4326",
        "geojson",
    )
    assert q["outFields"] == "survey_year,damage_type" and q["orderByFields"] == "objectid ASC"
    assert srv.traffic.last_headers[LAYER_PATH + "/query"]["user-agent"].startswith("learn-navigator/")


def test_an_absent_damage_type_is_not_estimated_never_zero(served, hand_case) -> None:
    """The layer spells no damage type as the catalog's: nothing could match, so the period cannot be said."""
    layer, url, _ = served
    layer.features = [(g, {**a, "damage_type": DEFOL}) for g, a in hand_case]
    out = read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)
    assert out.not_estimated is not None and out.features == 0 and not out.codes.any()
    assert repr(MORT) in out.not_estimated and repr(DEFOL) in out.not_estimated
    assert [q["returnDistinctValues"] for q in layer.queries] == ["true"]  # no feature query after it
    with pytest.raises(FetchError, match="holds no damage type"):
        insect_disease_codes(TINY, (2011, 2013), source(url))


def test_a_damage_type_used_only_in_other_years_is_not_estimated_for_the_period(served, hand_case) -> None:
    """The legacy survey (before DMSM, ~2015) wrote "Mortality": new mortality of 2016 says nothing of 2012."""
    layer, url, _ = served
    legacy = [(g, {**a, "damage_type": "Mortality"}) for g, a in hand_case if a["survey_year"] <= 2013]
    layer.features = [*legacy, area(pixel_box(0, 0, 1, 1), 2016, MORT)]
    early = read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)
    assert (
        early.not_estimated is not None
        and "2011-2013" in early.not_estimated
        and "'Mortality'" in early.not_estimated
    )
    late = read_insect_disease(TINY, (2016, 2019), source(url), policy=FAST)
    assert late.not_estimated is None and late.features == 1


def test_esri_json_when_the_layer_offers_no_geojson(served, hand_case) -> None:
    layer, url, _ = served
    layer.features, layer.geojson = hand_case, False
    out = read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)
    assert data_queries(layer)[0]["f"] == "json"
    np.testing.assert_array_equal(out.codes, HAND_EXPECTED)  # the hole survives Esri rings too


def test_the_filter_keeps_only_new_mortality_even_if_the_server_ignores_where(served, hand_case) -> None:
    layer, url, _ = served
    layer.features, layer.ignore_where = hand_case, True
    out = read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)
    np.testing.assert_array_equal(out.codes, HAND_EXPECTED)
    assert out.features == 2  # the defoliation and the 2014 area were sent but not burned in


def test_other_field_spellings_follow_the_layer_metadata(served, hand_case) -> None:
    layer, url, _ = served
    layer.features = hand_case
    # The bulk geodatabase spells its fields in capitals; ArcGIS field names are case-insensitive.
    out = read_insect_disease(
        TINY,
        (2011, 2013),
        source(url, year_field="SURVEY_YEAR", damage_type_field="DAMAGE_TYPE"),
        policy=FAST,
    )
    np.testing.assert_array_equal(out.codes, HAND_EXPECTED)
    assert data_queries(layer)[0]["where"].startswith("survey_year IN")


def _northampton_patches() -> tuple[Grid, list[tuple], np.ndarray]:
    """Damage areas shaped like the real forest patches of Northampton (NLCD 2016, classes 41-43)."""
    with rasterio.open(REALDATA / "nlcd_northampton_ma" / "nlcd_2016_land_cover.tif") as ds:
        lc = ds.read(1)
        grid = Grid(crs=ds.crs, transform=ds.transform, width=ds.width, height=ds.height)
    forest = np.isin(lc, (41, 42, 43)).astype(np.uint8)
    feats: list[tuple] = []
    expected = np.zeros(lc.shape, dtype=np.uint8)
    shapes = [
        shapely.geometry.shape(g)
        for g, v in rasterio.features.shapes(forest, transform=ds.transform)
        if v == 1
    ]
    shapes.sort(key=lambda g: -g.area)
    for i, geom in enumerate(shapes[:180]):
        damage, year = (MORT, 2012 + i % 3) if i % 4 else (DEFOL, 2012)  # every 4th: defoliation
        feats.append(
            (
                gpd.GeoSeries([geom], crs=grid.crs).to_crs(4326).iloc[0],
                {
                    "survey_year": year,
                    "damage_type": damage,
                    "dca_common_name": "emerald ash borer",
                    "acres": 2.0,
                },
            )
        )
        if damage == MORT:
            expected |= rasterio.features.rasterize(
                [(geom, 5)], out_shape=lc.shape, transform=grid.transform, dtype="uint8"
            )
    return grid, feats, expected


def test_paging_through_more_damage_areas_than_max_record_count(served) -> None:
    layer, url, _ = served
    grid, feats, expected = _northampton_patches()
    layer.features, layer.max_record_count = feats, 40
    out = read_insect_disease(grid, (2011, 2016), source(url), policy=FAST)
    mortality = sum(1 for _, a in feats if a["damage_type"] == MORT)
    assert len(feats) == 180 and mortality == 135 and out.features == mortality
    pages = math.ceil(mortality / 40)
    assert [int(q["resultOffset"]) for q in data_queries(layer)] == [40 * i for i in range(pages)]
    assert {q["resultRecordCount"] for q in data_queries(layer)} == {"40"}
    assert len(out.requests) == pages + 1  # and the damage-type check
    # Sketch-mapped polygons from real patches, round-tripped through lon/lat: every pixel as expected.
    np.testing.assert_array_equal(out.codes, expected)
    assert (out.codes == 5).sum() > 1000


def test_a_layer_without_paging_that_overflows_is_refused(served) -> None:
    layer, url, _ = served
    grid, feats, _ = _northampton_patches()
    layer.features, layer.max_record_count, layer.pagination = feats, 40, False
    with pytest.raises(FetchError, match="more than 40 matching features") as err:
        read_insect_disease(grid, (2011, 2016), source(url), policy=FAST)
    assert "bulk download" in (err.value.hint or "")


def test_arcgis_json_error_with_http_200_is_a_clear_message(served) -> None:
    layer, url, _ = served
    layer.query_error = {
        "code": 400,
        "message": "Unable to complete operation.",
        "details": ["Invalid query"],
    }
    with pytest.raises(FetchError, match=r"answered error 400: Unable to complete operation\. Invalid query"):
        read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)


def test_a_field_the_layer_lacks_is_named_with_the_fields_it_has(served) -> None:
    _, url, _ = served
    with pytest.raises(FetchError, match="has no field 'damage_kind'") as err:
        read_insect_disease(TINY, (2011, 2013), source(url, damage_type_field="damage_kind"), policy=FAST)
    assert "survey_year" in (err.value.hint or "")


def test_transient_503s_are_retried(served, hand_case) -> None:
    layer, url, _ = served
    layer.features, layer.fail_first = hand_case, 2
    out = read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)
    np.testing.assert_array_equal(out.codes, HAND_EXPECTED)
    assert len(layer.queries) == 4  # two 503s, the damage-type check, the features


def test_a_service_that_stays_down_is_named_after_the_retries(served) -> None:
    layer, url, _ = served
    layer.fail_first = 99
    with pytest.raises(FetchError, match=r"HTTP 503 .* after 3 tries"):
        read_insect_disease(TINY, (2011, 2013), source(url), policy=FAST)


def test_a_stalled_service_times_out(served) -> None:
    layer, url, _ = served
    layer.stall_s = 1.0
    with pytest.raises(FetchError, match=r"cannot reach the ArcGIS service .*timed out"):
        read_insect_disease(
            TINY, (2011, 2013), source(url), policy=HttpPolicy(timeout_s=0.2, retries=1, backoff_s=0.01)
        )


def test_a_wrong_href_is_refused_with_its_status(served) -> None:
    _, url, _ = served
    bad = SurveySource(
        dataset="ids_test", url=url + "/arcx/rest/services/EDW/Nope/MapServer/9", years=(2012,)
    )
    with pytest.raises(FetchError, match="HTTP 404"):
        read_insect_disease(TINY, (2011, 2013), bad, policy=FAST)


def test_no_published_survey_year_in_the_period_is_refused() -> None:
    src = SurveySource(dataset="ids_test", url="http://127.0.0.1:9/x/MapServer/1", years=(2019, 2020))
    with pytest.raises(FetchError, match="no survey year inside 2011-2013"):
        read_insect_disease(TINY, (2011, 2013), src)


def test_survey_years_of_a_period_include_both_ends() -> None:
    assert survey_years((2011, 2013), tuple(range(1997, 2025))) == [2011, 2012, 2013]
    assert survey_years((2021, 2026), tuple(range(1997, 2025))) == [2021, 2022, 2023, 2024]


def test_metadata_is_read(served) -> None:
    layer, url, _ = served
    layer.max_record_count = 2000
    info = layer_info(url + LAYER_PATH, FAST)
    assert (info.max_record_count, info.geojson, info.pagination, info.object_id_field) == (
        2000,
        True,
        True,
        "objectid",
    )


def test_the_code_is_the_accounting_stage_insect_code() -> None:
    assert INSECT_CODE == DIST_INSECT == 5


def test_the_shipped_catalog_entry_reads_the_public_layer() -> None:
    catalog = load_catalog(REPO / "data_catalog.yaml")
    src = survey_source("ids_damage_areas_mapserver", catalog.datasets["ids_damage_areas_mapserver"])
    assert (
        src.url == "https://apps.fs.usda.gov/arcx/rest/services/EDW/EDW_InsectandDiseaseSurvey_01/MapServer/1"
    )
    assert (src.year_field, src.damage_type_field, src.damage_type) == ("survey_year", "damage_type", MORT)
    assert urllib.parse.urlparse(src.url).path.endswith(LAYER_PATH)  # the fake serves the same path
