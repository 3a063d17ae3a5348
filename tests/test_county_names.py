"""One display name per prepared county (issue 26 item 3): "Hampshire County, MA" (the Census name with its kind,
the state's postal code) in the boundary file ``learn fetch`` writes, and the same name for a county fetched by an
earlier version (Census' bare ``NAME`` "Hampshire" in its file and catalog entry): the region reads it, its
reports and the API's boundaries carry it. A boundary file of one's own keeps its names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import RegionFactory, pixel_box, run_cli

import learn
from learn.sources.census.legacy_names import legacy_county_names
from learn.sources.census.tiger import COUNTY_SOURCE, LABEL_FIELD, county, county_labels
from learn.sources.manifest import MANIFEST


def test_a_fetched_county_carries_its_display_name() -> None:
    c = county("25015")
    assert c.frame[LABEL_FIELD].tolist() == ["Hampshire County, MA"]
    assert c.frame["NAME"].tolist() == ["Hampshire"]  # Census' own attribute stays as it is
    assert c.name_field == LABEL_FIELD
    labels = county_labels()
    assert labels["22071"] == "Orleans Parish, LA" and labels["51760"] == "Richmond city, VA"


def _old_county_region(make_region: RegionFactory, manifest: dict[str, object] | None) -> Path:
    """A region as an earlier ``learn fetch --county 25015`` left it: GEOID and bare NAME, catalog name_field
    NAME, a manifest naming the Census county file (``manifest`` overrides its boundary entry)."""
    lc = np.full((4, 4), 41, np.uint8)
    cat = make_region({2011: lc, 2019: lc}, boundaries=[("25015", "Hampshire", pixel_box(0, 0, 4, 4))])
    boundary = {
        "source": f"{COUNTY_SOURCE} (offline copy shipped by plotly-geo), GEOID 25015",
        "path": "bounds.gpkg",
        "id_field": "GEOID",
        "name_field": "NAME",
        "state": "MA",
    }
    if manifest is not None:
        boundary.update(manifest)
        (cat.parent / MANIFEST).write_text(json.dumps({"tool": "learn fetch", "boundary": boundary}))
    return cat


def test_a_county_fetched_before_reads_with_the_same_name(make_region: RegionFactory) -> None:
    cat = _old_county_region(make_region, {})
    region = learn.open_region("t", cat)
    assert region.boundaries_frame()["name"].tolist() == ["Hampshire County, MA"]
    assert region.inventory("25015", (2011, 2019)).boundary.name == "Hampshire County, MA"
    assert region.boundary("25015").name == "Hampshire County, MA"
    # the stored file and catalog entry are left as they were
    assert yaml.safe_load(cat.read_text())["regions"]["t"]["boundaries"]["name_field"] == "NAME"


def test_learn_catalog_lists_a_county_fetched_before_by_its_display_name(
    make_region: RegionFactory, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cat = _old_county_region(make_region, {})
    code, out, err = run_cli(["catalog", "--catalog", str(cat), "--json"], monkeypatch, capsys)
    assert code == 0, err
    assert json.loads(out)["regions"]["t"]["boundaries"] == [{"id": "25015", "name": "Hampshire County, MA"}]


def test_other_boundary_files_keep_their_names(make_region: RegionFactory, tmp_path: Path) -> None:
    # no manifest (a boundary file of one's own), a manifest of another source, another name field
    no_manifest = _old_county_region(make_region, None)
    assert learn.open_region("t", no_manifest).boundaries_frame()["name"].tolist() == ["Hampshire"]
    other = _old_county_region(make_region, {"source": "file /x/towns.gpkg (sha256 0)"})
    assert learn.open_region("t", other).boundaries_frame()["name"].tolist() == ["Hampshire"]
    assert legacy_county_names(other.parent / "bounds.gpkg", "NAME") is None
    county_file = _old_county_region(make_region, {}).parent / "bounds.gpkg"
    assert legacy_county_names(county_file, "TOWN") is None
    assert legacy_county_names(county_file, "NAME") is not None
