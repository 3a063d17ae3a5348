"""LEARN's three carbon layers as sums of a service's pools (BIGMAP 2018: eight pools, one raster function each).

A catalog dataset marked ``carbon_component_of: carbon_live`` (or ``carbon_dead_litter``, ``carbon_soil``) is one
pool of that layer; ``learn fetch`` reads every pool of a layer onto the grid (each already converted to t C/ha by
its dataset's ``scale``) and writes their sum. A dataset marked ``fetch_layer: carbon_live`` (a ready layer, e.g.
LEARN's own raster) takes precedence over components, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from learn.sources.catalog import Catalog, DatasetSpec
from learn.sources.remote import FetchError, SourceFile, extra, source_file

#: The nodata value of a summed carbon layer (float32, as the demo region's carbon layers).
CARBON_NODATA = -9999.0


def carbon_components(catalog: Catalog, layer: str) -> list[tuple[str, DatasetSpec]]:
    """The datasets marked ``carbon_component_of: <layer>``, in catalog order (all in t C/ha)."""
    parts = [(k, d) for k, d in catalog.datasets.items() if extra(d, "carbon_component_of") == layer]
    wrong = [k for k, d in parts if d.units != "t C/ha"]
    if wrong:
        raise FetchError(
            f"carbon pool dataset(s) {wrong} of {layer} do not say `units: t C/ha`",
            hint="give each pool `units: t C/ha` and the `scale` that converts the service's values to it",
        )
    return parts


def sum_pools(parts: list[tuple[npt.NDArray[Any], float]]) -> npt.NDArray[np.float32]:
    """The pixel-wise sum of (values, nodata) arrays as float32; nodata (:data:`CARBON_NODATA`) where any pool
    is nodata or NaN, since a sum missing a pool would understate the stock."""
    total = np.zeros(parts[0][0].shape, dtype=np.float64)
    missing = np.zeros(parts[0][0].shape, dtype=bool)
    for values, nodata in parts:
        v = values.astype(np.float64)
        missing |= np.isnan(v) | (v == nodata)
        total += np.where(missing, 0.0, v)
    out = total.astype(np.float32)
    out[missing] = CARBON_NODATA
    return out


def summed_source(
    pools: list[tuple[str, DatasetSpec]],
) -> tuple[tuple[str, DatasetSpec], SourceFile, tuple[SourceFile, ...]]:
    """((key, dataset) naming the sum, the sum as one source, the pools' sources) of a carbon layer."""
    parts = tuple(source_file(k, d, None) for k, d in pools)
    keys = " + ".join(k for k, _ in pools)
    title = f"sum of {len(pools)} pools: " + "; ".join(d.title for _, d in pools)
    total = replace(
        parts[0],
        dataset=keys,
        url=" + ".join(p.url for p in parts),  # changes when any pool does: the re-run check redoes the file
        citation="; ".join(dict.fromkeys(p.citation for p in parts)),
    )
    return (keys, pools[0][1].model_copy(update={"title": title})), total, parts


def sum_manifest(total: SourceFile, parts: tuple[SourceFile, ...], asked: list[list[str]]) -> dict[str, Any]:
    """The manifest's source fields of a summed carbon layer: each pool with the requests made for it."""
    pools = [{**s.as_manifest(), "requests": a} for s, a in zip(parts, asked, strict=True)]
    return {"dataset": total.dataset, "url": total.url, "year": None, "period": None, "components": pools}
