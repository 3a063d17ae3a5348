"""The forest factor table ``learn fetch`` derives from FIA when the user gives none (``--forest-factors``).

When the region has forest codes (``forest_age_type_region``) and the catalog marks an FIA DataMart dataset
``fetch_layer: forest_factors``, the boundary's states' FIA tables are downloaded (cached) and
:func:`learn.sources.fia.factors.derive_fia_factors_for_states` writes ``forest_factors_fia.csv`` into the
region's data folder: a row for every type group the region's map shows (type groups without FIA plots in the
state fall back to their FIA region's type group or the state's age class, docs/factors.md §4; the catalog
entry's optional ``region_states:`` list replaces each state's FIA region). The manifest records it (states,
EVALIDs, pyfia version, sha256); a re-run with the same states, source and codes reuses it. A download that
fails leaves the region without forest factors and says why in a note: the layers already fetched are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.fia.download import DATAMART_POLICY, FiaDownloadError
from learn.sources.fia.factors import derive_fia_factors_for_states
from learn.sources.forest_derive import decode_forest_code
from learn.sources.http import policy_for
from learn.sources.manifest import _is_current
from learn.sources.remote import FetchError, dataset_for_layer, extra
from learn.util import sha256_file

FILE = "forest_factors_fia.csv"
LAYER = "forest_factors"


@dataclass
class DerivedFactors:
    """The table written (None: none), its status and the notes for the region's description."""

    path: Path | None = None
    status: str = ""
    notes: list[str] = field(default_factory=list)
    source: tuple[str, DatasetSpec] | None = None


def _source(catalog: Catalog) -> tuple[str, DatasetSpec] | None:
    try:
        return dataset_for_layer(catalog, LAYER)
    except FetchError:
        return None


def _type_groups(code_file: Path) -> list[int]:
    with rasterio.open(code_file) as ds:
        codes = np.unique(ds.read(1))
    _, groups, _ = decode_forest_code(codes[codes > 0])
    return sorted({int(g) for g in groups})


def derive_region_factors(
    catalog: Catalog,
    states: list[str],
    data_dir: Path,
    manifest: dict[str, Any],
    now: Callable[[], str],
    progress: Callable[[str, int, int], None] | None = None,
) -> DerivedFactors:
    """Write (or reuse) the region's FIA factor table; ``states``: postal codes of the boundary's states."""
    source = _source(catalog)
    code_file = data_dir / "forest_age_type_region.tif"
    if source is None or not code_file.exists():
        return DerivedFactors()
    key, spec = source
    href = str(spec.href)
    groups = _type_groups(code_file)
    pool = extra(
        spec, "region_states"
    )  # a list: the states of the region levels; absent: each state's FIA region
    inputs = {"states": ",".join(states), "source": href, "type_groups": ",".join(map(str, groups)),
              "min_plots": str(extra(spec, "min_plots")),
              "region_states": "fia_region" if pool is None else ",".join(map(str, pool))}  # fmt: skip
    old = manifest["files"].get(FILE)
    out = data_dir / FILE
    if old and old.get("inputs") == inputs and _is_current(data_dir, FILE, old, f"fia:{href}"):
        return DerivedFactors(out, "skipped", source=source)

    def on_progress(label: str, done: int, total: int | None) -> None:
        if progress is not None:
            progress(f"FIA {label}", done, total or max(done, 1))

    min_plots = extra(spec, "min_plots")
    more: dict[str, Any] = {"min_plots": int(min_plots)} if min_plots is not None else {}
    if pool is not None:
        more["region_states"] = tuple(str(s) for s in pool)
    more["policy"] = policy_for(spec, key, DATAMART_POLICY)  # the dataset's deadline_s, if it gives one
    try:
        results = derive_fia_factors_for_states(
            tuple(states), out, base_url=href, extra_type_groups=groups, on_progress=on_progress, **more
        )
    except (FiaDownloadError, FetchError) as err:
        note = f"forest factors not derived from FIA ({key}): {err.message}"
        return DerivedFactors(notes=[note + (f" — {err.hint}" if err.hint else "")])
    manifest["files"][FILE] = {
        "layer": LAYER,
        "dataset": key,
        "url": f"fia:{href}",
        "inputs": inputs,
        "evalids": {r.state: r.evalid for r in results},
        "region_states": {r.state: list(r.region_states) for r in results if r.region_states},
        "rows": sum(r.rows for r in results),
        "left_out": {str(c): why for r in results for c, why in r.left_out.items()},
        "how": "learn.sources.fia.factors.derive_fia_factors_for_states (docs/factors.md)",
        "bytes": out.stat().st_size,
        "sha256": sha256_file(out),
        "written": now(),
    }
    notes = [n for r in results for n in r.notes]
    left = sum(len(r.left_out) for r in results)
    if left:
        notes.append(
            f"{left} forest codes have no FIA-derived row (too few plots at every level; manifest.json)"
        )
    return DerivedFactors(out, "written", notes, source)
