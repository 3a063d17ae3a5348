"""What values each fetched layer may hold: one table of expected domains, checked by ``learn fetch``.

Every layer ``learn fetch`` reads (land cover, tree canopy, the BIGMAP inputs and carbon pools, MTBS burn
severity, ready forest layers) is checked against its domain **after** the catalog's ``scale``, on the pixels
that are not NoData. A value outside it is refused (:class:`~learn.sources.remote.FetchError`: the layer, the
values, their pixel count and the URL; exit 2) before anything is written, so an implausible number never
reaches a report: e.g. a carbon source holding −1e30 (re-audit R7), a NoData the service did not declare
(65535 in a type-group answer without a NoData tag), a colour rendering instead of MTBS classes.

The ``forest_age_type_region`` codes are checked against the forest code contract only where it is declared: a
ready source of a fetched region (:func:`learn.sources.region_entry.forest_code_contract`) and, when an inventory
reads it, a region layer saying ``codes: state_type_age`` (:func:`check_forest_codes`); other regions (the
demo) key their factor tables on their own codes.

The expected values live here (and the services' pixel types and NoData values in ``data_catalog.yaml``), so
``learn sources check`` and the docs (docs/fetch.md "Domains") read one table.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import rasterio
from rasterio.windows import Window

from learn.errors import RasterError
from learn.raster.grid import iter_windows

#: NLCD land cover classes (CONUS legend; Annual NLCD uses the same codes); 0 = no class (outside the source).
NLCD_CLASSES: Final = frozenset(
    {11, 12, 21, 22, 23, 24, 31, 41, 42, 43, 51, 52, 71, 72, 73, 74, 81, 82, 90, 95}
)
#: Most carbon one BIGMAP pool may hold, t C/ha. The highest carbon densities measured anywhere are about
#: 1,900 t C/ha in live above-ground biomass (Eucalyptus regnans, Keith et al. 2009, PNAS 106:11635); BIGMAP's
#: own total over all pools peaks at 46.49 short tons per pixel = 469 t C/ha (TotalForestCarbon maxValues).
CARBON_POOL_MAX_T_C_HA: Final = 2000.0
#: The forest code contract's state multiplier (learn.sources.forest_derive.STATE_FACTOR).
STATE_FACTOR: Final = 100_000
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
    #: Besides range and codes, which values are in the domain (e.g. the forest code contract's parts).
    valid: Callable[[npt.NDArray[Any]], npt.NDArray[np.bool_]] | None = None

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
        elif self.valid is None:
            bad |= True
        if self.valid is not None:
            bad |= ~self.valid(v)
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


def _contract_code(v: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Codes of the forest code contract: state 1…99 × 100000 + TYPGRPCD 100…999 × 10 + age class 1…3."""
    whole = np.mod(v, 1) == 0
    c = np.where(whole & (v > 0) & (v < 2**32), v, 0).astype(np.int64)
    state, group, age = c // STATE_FACTOR, (c % STATE_FACTOR) // 10, c % 10
    ok: npt.NDArray[np.bool_] = (
        whole & (state >= 1) & (state <= 99) & (group >= 100) & (age >= 1) & (age <= 3)
    )
    return ok


#: What a region layer says (``codes:``) to declare the forest code contract (learn.sources.catalog.LayerSpec).
FOREST_CODE_CONTRACT_NAME: Final = "state_type_age"
#: The ``forest_age_type_region`` code contract (docs/method.md §1.6, :func:`learn.sources.forest_derive.forest_code`):
#: the domain of a fetched region's codes and of a region layer declaring ``codes: state_type_age``. Other
#: regions (the demo's synthetic 1000 + 100 × group + age class, 1101…1503) key their own factor tables on
#: their own codes.
FOREST_CODE_CONTRACT: Final = Domain(
    "the forest code contract state FIPS 1…99 × 100000 + TYPGRPCD 100…999 × 10 + age class 1…3 (0 = no code)",
    codes=frozenset({0}),
    valid=_contract_code,
)

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
    "disturbance": Domain(
        "the disturbance codes 0, 1–4, 5, 9 (fire not mapped), 10", codes=frozenset({0, 1, 2, 3, 4, 5, 9, 10})
    ),
    "forest_age_type_region": FOREST_CODE_CONTRACT,  # a ready source of a fetched region
    "carbon_pool": _carbon(1),
    "carbon_live": _carbon(4),  # live trees above and below ground, understory above and below ground
    "carbon_dead_litter": _carbon(3),  # standing dead, down dead, litter
    "carbon_soil": _carbon(1),
}


def _shown(v: float) -> str:
    """A value for a message: whole codes in full (2508004, not 2.508e+06), others to 6 digits."""
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else f"{v:.6g}"


def _fault(domain: Domain, n: int, bad_values: npt.NDArray[Any]) -> str:
    shown = ", ".join(_shown(float(v)) for v in np.unique(bad_values)[:8])
    return f"holds {n} pixel(s) outside {domain.what}: {shown}"


def domain_fault(layer: str, values: npt.NDArray[Any], nodata: float | None) -> str | None:
    """``"holds N pixel(s) outside <domain>: v1, v2, …"`` when ``values`` break ``layer``'s domain, else None
    (None too for a layer without a domain)."""
    domain = DOMAINS.get(layer)
    if domain is None:
        return None
    bad = domain.outside(values, nodata)
    n = int(bad.sum())
    return _fault(domain, n, np.asarray(values)[bad]) if n else None


#: Files already scanned by :func:`file_domain_fault`: (path, mtime, size, layer) → its fault or None.
_SCANNED: dict[tuple[str, int, int, str], str | None] = {}


def file_domain_fault(path: str | Path, layer: str, block: int = 2048) -> str | None:
    """:func:`domain_fault` of a whole single-band raster file (its NoData excluded), read in blocks; each
    file version is scanned once per process (a batch opens the same layer for every period)."""
    domain = DOMAINS.get(layer)
    if domain is None:
        return None
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size, layer)
    if key not in _SCANNED:
        n, shown = 0, []
        with rasterio.open(p) as ds:
            for win in iter_windows(Window(0, 0, ds.width, ds.height), block):
                values = ds.read(1, window=win)
                bad = domain.outside(values, ds.nodata)
                if bad.any():
                    n += int(bad.sum())
                    shown.append(np.unique(values[bad])[:8])
        _SCANNED[key] = _fault(domain, n, np.concatenate(shown)) if n else None
    return _SCANNED[key]


def check_forest_codes(path: str | Path, where: str) -> None:
    """Refuse a ``forest_age_type_region`` file declaring the code contract (``codes: state_type_age``) whose
    values break it: :class:`~learn.errors.RasterError` naming the layer, the values and their pixel count."""
    fault = file_domain_fault(path, "forest_age_type_region")
    if fault is not None:
        raise RasterError(
            f"{where}: forest_age_type_region {path} {fault}",
            hint="the layer says `codes: state_type_age` (docs/method.md 1.6): rebuild it with learn fetch or "
            "learn.sources.forest_derive.forest_code, or drop `codes` and give factors keyed on its own codes",
        )
