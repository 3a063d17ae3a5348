"""The catalog entry of a fetched region: its layers, boundary fields, factors and description.

Kept apart from :mod:`learn.sources.fetch` (which plans and reads the layers) so that what the catalog says
about a fetched region is defined in one place; :mod:`learn.sources.catalog_edit` writes it into the catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from learn.layers import CARBON_LAYERS, FOREST_LAYERS
from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.catalog_edit import relative_to_catalog
from learn.sources.census.tiger import CensusBoundary
from learn.sources.domains import FOREST_CODE_CONTRACT_NAME
from learn.sources.manifest import BOUNDARY_FILE, MANIFEST
from learn.sources.remote import FetchError, dataset_for_layer, extra

TOF_DEFAULTS = Path(__file__).resolve().parents[1] / "factors" / "tof_factors_learn_defaults.csv"
#: Layers fetched when a catalog dataset is marked ``fetch_layer: <layer>`` (or named in ``datasets``).
#: There is no public COG for them yet (docs/fetch.md), so the shipped catalog marks none.
_UNITS = {"forest_age_type_region": "class", "disturbance": "class", **dict.fromkeys(CARBON_LAYERS, "t C/ha")}


def forest_code_contract(
    catalog: Catalog, sources: dict[str, tuple[str, DatasetSpec]], factors_given: bool
) -> bool:
    """Whether the region's ``forest_age_type_region`` codes follow the forest code contract (docs/method.md
    1.6): derived by ``learn fetch``; a ready source saying ``codes: state_type_age``; or a ready source whose
    factors ``learn fetch`` derives from FIA (keyed on the contract). A ready source with the user's own
    ``--forest-factors`` (e.g. the demo's synthetic codes and table) keeps its own codes."""
    src = sources.get("forest_age_type_region")
    if src is None:
        return False
    spec = src[1]
    if spec.href == "derived" or extra(spec, "codes") == FOREST_CODE_CONTRACT_NAME:
        return True
    if factors_given:
        return False
    try:
        dataset_for_layer(catalog, "forest_factors")
    except FetchError:
        return False
    return True


def _text_columns(frame: gpd.GeoDataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if c != frame.geometry.name and pd.api.types.is_string_dtype(frame[c]) and frame[c].notna().any()
    ]


def pick_fields(
    frame: gpd.GeoDataFrame, id_field: str | None, name_field: str | None
) -> tuple[gpd.GeoDataFrame, str, str]:
    """Id and name columns: the given ones, else Census' GEOID / NAME, else the first text column with
    unique values (id) / the first other text column (name), else a generated id ``fetch_id``."""
    cols = [c for c in frame.columns if c != frame.geometry.name]
    for f in (id_field, name_field):
        if f is not None and f not in cols:
            raise FetchError(f"the boundary has no field '{f}'", hint=f"fields are: {cols}")
    text = _text_columns(frame)
    if id_field is None:
        unique = [c for c in text if frame[c].notna().all() and frame[c].is_unique]
        id_field = "GEOID" if "GEOID" in cols else (unique[0] if unique else None)
        if id_field is None:
            frame = frame.assign(fetch_id=[str(i + 1) for i in range(len(frame))])
            id_field = "fetch_id"
    if frame[id_field].astype(str).duplicated().any():
        raise FetchError(f"boundary ids in '{id_field}' repeat", hint="pass --id-field with a unique column")
    if name_field is None:
        others = [c for c in text if c != id_field]
        name_field = "NAME" if "NAME" in cols else (others[0] if others else id_field)
    return frame, id_field, name_field


def _region_entry(
    period: tuple[int, int],
    forest_factors: Path | None,
    catalog: Catalog,
    manifest: dict[str, Any],
    sources: dict[str, tuple[str, DatasetSpec]],
    data_dir: Path,
    id_field: str,
    name_field: str,
    state: str | None,
    census: CensusBoundary,
    notes: list[str] | tuple[str, ...] = (),
    codes_contract: bool = False,
) -> dict[str, Any]:
    """The catalog entry of the fetched region (paths relative to the catalog when below it); ``codes_contract``:
    a ready forest code source was checked against the contract (:func:`forest_code_contract`), which derived
    codes follow anyway: the entry then says ``codes: state_type_age``."""
    assert catalog.path is not None
    rel = lambda p: relative_to_catalog(p, catalog.path)  # noqa: E731
    files = manifest["files"]

    def of(layer: str) -> list[dict[str, Any]]:
        return [f for f in files.values() if f["layer"] == layer]

    def version(layer: str) -> dict[str, str]:
        v = ", ".join(sorted({str(f["version"]) for f in of(layer) if f.get("version")}))
        return {"version": v} if v else {}

    layers: dict[str, Any] = {}
    described: list[str] = []
    for layer, (key, spec) in sources.items():
        entry: dict[str, Any]
        if layer in ("land_cover", "tree_canopy"):
            years = sorted(int(f["year"]) for f in of(layer))
            if layer == "tree_canopy" and len(years) < 2:
                continue
            entry = {"path": rel(data_dir / f"{layer}_{{year}}.tif"), "years": years}
            entry["units"] = "class" if layer == "land_cover" else "percent"
        elif layer == "disturbance":
            periods = sorted([int(a), int(b)] for a, b in (f["period"] for f in of(layer)))
            entry = {"path": rel(data_dir / "disturbance_{start}_{end}.tif"), "periods": periods}
            entry["units"] = "class"
            gaps = [
                {"period": [int(x) for x in f["period"]], "term": term, "reason": reason}
                for f in of(layer)
                for term, reason in (f.get("not_estimated") or {}).items()
            ]
            if gaps:  # the types the sources could not say, per period: those report rows are not estimated
                entry["not_estimated"] = sorted(gaps, key=lambda g: (g["period"], g["term"]))
        else:
            if not of(layer):
                continue
            entry = {"path": rel(data_dir / f"{layer}.tif"), "units": _UNITS[layer]}
            if layer == "forest_age_type_region" and (codes_contract or spec.href == "derived"):
                entry["codes"] = FOREST_CODE_CONTRACT_NAME
        layers[layer] = {**entry, "source": key, **version(layer)}
        described.append(f"{layer.replace('_', ' ')}: {spec.title} ({key})")
    missing = [x for x in FOREST_LAYERS if x not in layers]
    if missing:
        lacking = (
            f"Not fetched (no source in the catalog): {', '.join(missing)}, so the forest carbon terms "
            "that need them are not computed (each report says which)."
        )
    else:
        lacking = "All forest layers fetched."
    factors = {"trees_outside_forest": rel(TOF_DEFAULTS)}
    if forest_factors is not None:
        factors = {"forest": rel(Path(forest_factors)), **factors}
    region: dict[str, Any] = {
        "description": f"REAL public data fetched by `learn fetch` on {manifest['created'][:10]} — "
        f"{'; '.join(described)}. Boundary: {census.source}. {lacking} {''.join(n + '. ' for n in notes)}Manifest: {rel(data_dir / MANIFEST)}",
        "synthetic": False,
        "layers": layers,
        "boundaries": {"path": rel(data_dir / BOUNDARY_FILE), "id_field": id_field, "name_field": name_field},
        "factors": factors,
    }
    if state:
        region = {"description": region.pop("description"), "state": state, **region}
    lc_years = layers["land_cover"]["years"]
    if period[0] in lc_years and period[1] in lc_years:
        region["default_period"] = list(period)
    return region
