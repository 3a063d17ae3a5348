"""What values each fetched layer may hold: one table of expected domains, checked by ``learn fetch``.

Every layer ``learn fetch`` reads (land cover, tree canopy, the BIGMAP inputs and carbon pools, MTBS burn
severity, ready forest layers) is checked against its domain **after** the catalog's ``scale``, on the pixels
that are not NoData. A value outside it is refused (:class:`~learn.sources.remote.FetchError`: the layer, the
values, their pixel count and the URL; exit 2) before anything is written, so an implausible number never
reaches a report: e.g. a carbon source holding −1e30 (re-audit R7), a NoData the service did not declare
(65535 in a type-group answer without a NoData tag), a colour rendering instead of MTBS classes.

The expected values live here (and the services' pixel types and NoData values in ``data_catalog.yaml``), so
``learn sources check`` and the docs (docs/fetch.md "Domains") read one table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

#: NLCD land cover classes (CONUS legend; Annual NLCD uses the same codes); 0 = no class (outside the source).
NLCD_CLASSES: Final = frozenset(
    {11, 12, 21, 22, 23, 24, 31, 41, 42, 43, 51, 52, 71, 72, 73, 74, 81, 82, 90, 95}
)
#: Most carbon one BIGMAP pool may hold, t C/ha. The highest carbon densities measured anywhere are about
#: 1,900 t C/ha in live above-ground biomass (Eucalyptus regnans, Keith et al. 2009, PNAS 106:11635); BIGMAP's
#: own total over all pools peaks at 46.49 short tons per pixel = 469 t C/ha (TotalForestCarbon maxValues).
CARBON_POOL_MAX_T_C_HA: Final = 2000.0
#: Oldest plausible stand age, years: FIADB STDAGE has three digits; BIGMAP Stand_age peaks at 322.99.
STAND_AGE_MAX_YEARS: Final = 999.0


@dataclass(frozen=True)
class Domain:
    """The values a layer may hold besides NoData: a closed range and/or a set of codes."""

    what: str  # how messages name it, e.g. "FIA TYPGRPCD 100…999 (0 = not forest)"
    low: float | None = None
    high: float | None = None
    codes: frozenset[float] = (
        frozenset()
    )  # allowed values outside [low, high] (or the only ones when no range)
    integer: bool = False

    def outside(self, values: npt.NDArray[Any], nodata: float | None) -> npt.NDArray[np.bool_]:
        """True on pixels that hold data (not ``nodata``, not NaN) outside the domain."""
        v = np.asarray(values)
        bad = np.zeros(v.shape, bool)
        if self.low is not None or self.high is not None:
            in_range = np.ones(v.shape, bool)
            if self.low is not None:
                in_range &= v >= self.low
            if self.high is not None:
                in_range &= v <= self.high
            if self.integer:
                in_range &= np.mod(v, 1) == 0
            bad |= ~in_range
        else:
            bad |= True
        if self.codes:
            bad &= ~np.isin(v, list(self.codes))
        if v.dtype.kind == "f":
            bad &= ~np.isnan(v)
        if nodata is not None and not math.isnan(nodata):
            bad &= v != nodata
        return bad


def _carbon(pools: int) -> Domain:
    top = pools * CARBON_POOL_MAX_T_C_HA
    return Domain(f"0 … {top:,.0f} t C/ha ({pools} pool(s) × {CARBON_POOL_MAX_T_C_HA:,.0f})", 0.0, top)


#: Layer (or input) → its domain after scaling. ``carbon_pool``: one BIGMAP pool before the sum.
DOMAINS: Final[dict[str, Domain]] = {
    "land_cover": Domain("the NLCD land cover classes (0 = no class)", codes=frozenset(NLCD_CLASSES | {0})),
    "tree_canopy": Domain(
        "0 … 100 percent (TCC 254 background, 255 no data)", 0.0, 100.0, codes=frozenset({254, 255})
    ),
    "forest_type_group": Domain(
        "FIA TYPGRPCD 100 … 999 (0 = not forest)", 100.0, 999.0, frozenset({0}), True
    ),
    "stand_age": Domain(f"0 … {STAND_AGE_MAX_YEARS:g} years", 0.0, STAND_AGE_MAX_YEARS),
    "fire_severity": Domain("the MTBS classes 0 … 6", 0.0, 6.0, integer=True),
    "disturbance": Domain("the disturbance codes 0, 1–4, 5, 10", codes=frozenset({0, 1, 2, 3, 4, 5, 10})),
    "carbon_pool": _carbon(1),
    "carbon_live": _carbon(4),  # live trees above and below ground, understory above and below ground
    "carbon_dead_litter": _carbon(3),  # standing dead, down dead, litter
    "carbon_soil": _carbon(1),
}


def domain_fault(layer: str, values: npt.NDArray[Any], nodata: float | None) -> str | None:
    """``"holds N pixel(s) outside <domain>: v1, v2, …"`` when ``values`` break ``layer``'s domain, else None
    (None too for a layer without a domain)."""
    domain = DOMAINS.get(layer)
    if domain is None:
        return None
    bad = domain.outside(values, nodata)
    n = int(bad.sum())
    if not n:
        return None
    shown = ", ".join(f"{float(v):.6g}" for v in np.unique(np.asarray(values)[bad])[:8])
    return f"holds {n} pixel(s) outside {domain.what}: {shown}"
