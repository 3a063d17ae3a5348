"""``learn sources check`` against the public sources played on 127.0.0.1 (tests/fake_sources.py): an
all-ok world, then one world per way a source can differ from what the catalog expects, and one where
nothing answers. Each test reads the expected values from the shipped catalog, as the check does.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import run_cli
from fake_sources import SHIPPED, Faults, fake_world

from learn.sources.catalog import load_catalog
from learn.sources.check import SourcesCheck, check_sources


def run(tmp_path: Path, faults: Faults | None = None, **kw: object) -> SourcesCheck:
    with fake_world(tmp_path, faults) as world:
        return check_sources(load_catalog(world.catalog), timeout_s=5, **kw)  # type: ignore[arg-type]


def by(result: SourcesCheck, status: str) -> set[tuple[str, str]]:
    return {(r.dataset.split(" [")[0], r.check) for r in result.results if r.status == status}


def test_every_source_answering_as_the_catalog_says_is_ok(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert by(result, "differs") == set() and by(result, "unreachable") == set(), [
        r for r in result.results if r.status in ("differs", "unreachable")
    ]
    assert result.ok and by(result, "not checked") == {("annual_nlcd_land_cover_usgs_s3", "file")}
    checks = by(result, "ok")
    pools = [k for k, v in SHIPPED.items() if "carbon_component_of" in v]
    for key in pools:
        assert {(key, "raster function"), (key, "units"), (key, "pixel type"), (key, "exportImage 64x64"),
                (key, "spatial reference")} <= checks, key  # fmt: skip
    assert ("total_forest_carbon_bigmap", "pool sum = total") in checks
    assert {
        ("ids_damage_areas_mapserver", c) for c in ("service", "fields", "field values", "latest year")
    } <= checks
    assert {("nlcd_tree_canopy", "member"), ("annual_nlcd_land_cover", "pixel size"), ("fia_datamart", "tables"),
            ("tiger_counties", "file"), ("tiger_places", "member"), ("annual_nlcd_land_cover_usgs_wcs", "coverage"),
            ("mtbs_burn_severity", "exportImage 64x64")} <= checks  # fmt: skip
    units = next(r for r in result.results if r.check == "units")
    assert units.expected == SHIPPED["bigmap_carbon"]["service_units"]


@pytest.mark.parametrize("text", ["Metric tons per pixel", "Kilograms per pixel", "Long tons per pixel"])
def test_other_units_text_differs(tmp_path: Path, text: str) -> None:
    result = run(tmp_path, Faults(units_text=text), datasets=["bigmap_carbon_litter"])
    units = [r for r in result.results if r.check == "units"]
    assert units and all(r.status == "differs" and text in (r.got or "") for r in units)
    assert units[0].expected == "tons per pixel" and not result.ok
    assert "scale" in (units[0].detail or "")  # the fix, as learn fetch gives it


# The one rule learn fetch and learn sources check apply (learn.sources.service_units).
@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("Litter Carbon - Tons per pixel", True),  # the pools service (public pjson)
        ("Carbon in short tons per pixel", True),  # sister services
        ("Litter Carbon - Metric tons per pixel", False),  # 10 % more carbon than the scale assumes
        ("metric-tons per pixel", False),
        ("Long tons per pixel", False),
        ("Kilotons per pixel", False),
        ("Megatons per pixel", False),
        ("Kilograms per pixel", False),
        ("Megagrams per pixel", False),
        ("Tons per acre", False),
        ("", False),
    ],
)
def test_one_units_rule_for_fetch_and_check(text: str, ok: bool) -> None:
    from learn.sources.service_units import says_units, units_fault

    assert says_units(text, "tons per pixel") is ok
    fault = units_fault(text, "tons per pixel")
    assert (fault is None) is ok
    if fault is not None and any(w in text.lower() for w in ("metric", "long", "kilotons", "megatons")):
        assert "not the short tons per pixel" in fault[0] and "set the dataset's scale to" in fault[1]


def test_the_check_sends_the_services_nodata_as_the_fetch_does() -> None:
    """No no_data in the catalog: both send the service's declared NoData (one function, no_data_sent)."""
    from learn.sources.arcgis.image import no_data_sent, service_no_data
    from learn.sources.arcgis.image_request import ImageRequest

    req = ImageRequest(hosts=("h",))
    assert (
        no_data_sent(req, {"noDataValues": [-9999]}) == -9999.0 == service_no_data({"noDataValue": "-9999"})
    )
    assert no_data_sent(req, {}) is None
    assert no_data_sent(ImageRequest(hosts=("h",), no_data=0.0), {"noDataValue": 255}) == 0.0


def test_a_float_service_asked_for_integers_differs(tmp_path: Path) -> None:
    result = run(tmp_path, Faults(float_type_group=True), datasets=["bigmap_forest_type_group"])
    bad = [r for r in result.results if r.check == "pixel type"]
    assert bad and all((r.status, r.expected, r.got) == ("differs", "U16", "F32") for r in bad)


def test_a_missing_damage_type_value_differs(tmp_path: Path) -> None:
    result = run(
        tmp_path, Faults(damage_types=("Mortality", "Defoliation")), datasets=["ids_damage_areas_mapserver"]
    )
    values = next(r for r in result.results if r.check == "field values")
    assert values.status == "differs" and "Mortality - Previously Undocumented" in (values.expected or "")
    assert values.got == "Defoliation; Mortality" and "returnDistinctValues=true" in (values.url or "")


def test_a_missing_file_and_a_moved_zip_member_differ(tmp_path: Path) -> None:
    faults = Faults(missing_file="annual_nlcd_land_cover", member_moved="nlcd_tree_canopy")
    result = run(tmp_path, faults, datasets=["annual_nlcd_land_cover", "nlcd_tree_canopy"])
    cog = next(r for r in result.results if r.dataset == "annual_nlcd_land_cover")
    assert (cog.check, cog.status, cog.got) == ("file", "differs", "HTTP 404")
    member = next(r for r in result.results if r.check == "member")
    assert member.status == "differs" and member.expected != member.got
    assert member.expected == SHIPPED["nlcd_tree_canopy"]["member"].format(
        year=max(SHIPPED["nlcd_tree_canopy"]["years"])
    )


def test_pools_that_do_not_sum_to_the_total_differ(tmp_path: Path) -> None:
    result = run(tmp_path, Faults(total_factor=1.1))
    total = next(r for r in result.results if r.check == "pool sum = total")
    assert total.status == "differs" and "beyond tolerance" in (total.got or "")


def test_an_unreachable_port_is_unreachable_in_seconds(tmp_path: Path) -> None:
    t0 = time.monotonic()
    result = run(tmp_path, Faults(unreachable=True))
    assert time.monotonic() - t0 < 20
    assert by(result, "differs") == set() and not result.ok
    assert {r.dataset.split(" [")[0] for r in result.results if r.status == "unreachable"} >= {
        "annual_nlcd_land_cover", "bigmap_stand_age", "ids_damage_areas_mapserver", "fia_datamart", "tiger_counties"
    }  # fmt: skip


def test_the_cli_prints_a_table_and_exits_0_only_when_all_are_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ok").mkdir()
    with fake_world(tmp_path / "ok") as world:
        code, out, _ = run_cli(
            ["sources", "check", "--catalog", str(world.catalog), "--json"], monkeypatch, capsys
        )
        assert code == 0 and json.loads(out)["ok"] is True
        code, out, _ = run_cli(["sources", "check", "--catalog", str(world.catalog), "--dataset", "tiger_counties"],
                               monkeypatch, capsys)  # fmt: skip
        assert code == 0 and "tiger_counties" in out and "bigmap" not in out
        code, _, err = run_cli(["sources", "check", "--catalog", str(world.catalog), "--dataset", "nope"],
                               monkeypatch, capsys)  # fmt: skip
        assert code == 2 and "no dataset 'nope'" in err
    (tmp_path / "bad").mkdir()
    with fake_world(tmp_path / "bad", Faults(damage_types=("Mortality",))) as world:
        code, out, err = run_cli(["sources", "check", "--catalog", str(world.catalog)], monkeypatch, capsys)
        assert code == 1 and "differs" in out and "some sources differ" in err


def test_a_server_refusing_head_is_asked_for_one_byte_and_a_silent_host_only_once(tmp_path: Path) -> None:
    from range_server import free_port, serve_app
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from learn.sources.check.probe import Down, Probe

    def bundle(request: Request) -> Response:
        if request.method == "HEAD":
            return Response(status_code=405)
        assert request.headers["range"] == "bytes=0-0"
        return Response(b"P", status_code=206, headers={"Content-Range": "bytes 0-0/12345"})

    probe = Probe(timeout_s=2)
    with serve_app(Starlette(routes=[Route("/b.zip", bundle, methods=["GET", "HEAD"])]), tmp_path) as srv:
        a = probe.head(f"{srv.url}/b.zip")
    assert (a.status, a.headers["content-length"]) == (200, "12345")
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(Down):
        probe.head(f"{dead}/a.zip")
    with pytest.raises(Down, match="as before"):
        probe.get(f"{dead}/b.zip")


def test_pixel_types_that_hold_the_services_values() -> None:
    from learn.sources.check.image import holds

    assert holds("U16", "U8") and holds("F32", "U16") and holds("F64", "F32") and holds("S32", "U16")
    assert (
        not holds("U16", "F32")
        and not holds("U8", "U16")
        and not holds("U16", "S16")
        and not holds("F32", "U32")
    )


def test_a_catalog_entry_the_adapters_refuse_is_a_row_not_a_crash(tmp_path: Path) -> None:
    import yaml

    entry = {"title": "t", "kind": "categorical", "license": "l", "citation": "c", "years": [2020]}
    doc = {"datasets": {"odd": {**entry, "href": "http://127.0.0.1:9/x_{tile}.tif"}}, "regions": {}}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(doc))
    result = check_sources(load_catalog(tmp_path / "c.yaml"), timeout_s=1)
    odd = next(r for r in result.results if r.dataset == "odd")
    assert (odd.check, odd.status) == ("catalog", "differs") and "tile" in (odd.got or "")
    assert result.results[-1].status == "not checked"  # no pools and no total: the sum is not configured
