"""Derived forest layers, computed at ingest from public source rasters: pure NumPy, no I/O, no network.

Every function takes arrays on one grid (same shape) and returns one array on that grid:

* :func:`forest_code`: the ``forest_age_type_region`` code contract (docs/method.md §1.6),
  ``state FIPS × 100000 + FIA forest type group (TYPGRPCD) × 10 + age class``; 0 = no code;
* :func:`fire_codes`: an MTBS annual burn severity mosaic → LEARN's fire code (10), 0, or
  :data:`FIRE_NOT_MAPPED` (9) where MTBS did not map (class 6);
* :func:`harvest_codes`: tree canopy percentage-point loss on forest → harvest severity codes 1–4;
* :func:`combine_disturbance`: period layers → one disturbance code per pixel (per-pixel MAX).

A value a function does not know (e.g. a rendered colour instead of an MTBS class) is refused with
:class:`DerivedLayerError`, never mapped to 0: a wrong layer must not pass as "no forest" or "no fire".
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from learn.errors import LearnError
from learn.layers import FIRE_NOT_MAPPED as _FIRE_NOT_MAPPED
from learn.raster.strata import combine_disturbance as _raster_combine

#: Multipliers of the code contract: state × 100000 + type group × 10 + age class.
STATE_FACTOR: Final = 100_000
TYPE_GROUP_FACTOR: Final = 10
#: FIA forest type group codes (TYPGRPCD) are three digits; 0 = not forest (BIGMAP), 999 = nonstocked.
TYPE_GROUP_MIN: Final = 100
TYPE_GROUP_MAX: Final = 999
#: Upper bounds (years, inclusive) of age classes 1 and 2; class 3 is older than the last bound.
AGE_CLASS_BOUNDS: Final = (20.0, 100.0)
#: Largest state FIPS the contract holds (two digits; the 50 states, DC and territories are ≤ 78).
STATE_FIPS_MAX: Final = 99

#: MTBS burn severity classes: 0 background, 1 unburned to low, 2 low, 3 moderate, 4 high,
#: 5 increased greenness, 6 non-mapping area mask. LEARN keeps 3–4 as fire and masks the rest.
MTBS_CLASSES: Final = frozenset(range(7))
MTBS_FIRE_CLASSES: Final = (3, 4)
#: MTBS class 6, "non-mapping area": MTBS could not say whether the pixel burned.
MTBS_NON_MAPPING: Final = 6
FIRE: Final = 10
#: Disturbance code of forest where fire is not estimated (MTBS class 6, or a year of the period without a
#: mosaic) and nothing else disturbed it: counted as undisturbed as LEARN counts it (no fire), but the
#: report says so (its Fire row is "not estimated" in part, learn.accounting). Any other code wins over it
#: when codes are combined (:func:`learn.raster.strata.combine_disturbance`).
FIRE_NOT_MAPPED: Final = _FIRE_NOT_MAPPED
INSECT: Final = 5
#: Upper bounds (percentage points, inclusive) of harvest severity classes 1–4 (LEARN's
#: NLCD_TCC_SEVERITY_BREAKS): 1–25 → 1, 26–50 → 2, 51–75 → 3, 76–100 → 4.
HARVEST_BREAKS: Final = (25.0, 50.0, 75.0, 100.0)
CANOPY_MAX: Final = 100.0


class DerivedLayerError(LearnError):
    """A source layer holds values its derivation does not know, or layers are not on one grid."""


def _same_shape(**arrays: npt.ArrayLike) -> tuple[int, ...]:
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        listing = ", ".join(f"{n} {s}" for n, s in shapes.items())
        raise DerivedLayerError(
            f"layers are not on one grid: {listing}",
            hint="clip and warp every source layer onto the region's grid before deriving",
        )
    return next(iter(shapes.values()))


def _valid(a: npt.NDArray[np.generic], nodata: float | None) -> npt.NDArray[np.bool_]:
    """True where ``a`` holds data: not the declared nodata, not NaN."""
    ok = np.ones(a.shape, bool)
    if np.issubdtype(a.dtype, np.floating):
        ok &= ~np.isnan(a)
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        ok &= a != nodata
    return ok


def _refuse_unknown(what: str, values: npt.NDArray[np.generic], allowed: str, hint: str) -> None:
    if values.size:
        shown = ", ".join(str(v) for v in np.unique(values)[:10])
        raise DerivedLayerError(
            f"{what} holds {values.size} pixel(s) with values outside {allowed}: {shown}", hint=hint
        )


def age_class(stand_age_years: npt.ArrayLike, nodata: float | None = None) -> npt.NDArray[np.uint8]:
    """LEARN's age class of a stand age in years: 1 = 0–20, 2 = over 20 to 100, 3 = over 100; 0 = nodata.

    Ages 20 and 100 fall in the younger class (1 and 2): the classes are 0–20, 21–100 and >100 whole
    years, and a fractional age between 20 and 21 counts as over 20.
    """
    age = np.asarray(stand_age_years)
    ok = _valid(age, nodata)
    _refuse_unknown(
        "stand age",
        age[ok & (age < 0)],
        "0 years or more",
        "pass the layer's nodata value (e.g. nodata=-9999); stand age is in years (BIGMAP Stand_age)",
    )
    cls = np.digitize(np.where(ok, age, 0), AGE_CLASS_BOUNDS, right=True).astype(np.uint8) + 1
    return np.where(ok, cls, 0).astype(np.uint8)


def forest_code(
    state_fips: npt.ArrayLike,
    type_group: npt.ArrayLike,
    stand_age_years: npt.ArrayLike,
    *,
    type_group_nodata: float | None = None,
    age_nodata: float | None = None,
) -> npt.NDArray[np.uint32]:
    """The ``forest_age_type_region`` code per pixel (uint32; 0 = not forest or no data).

    ``state_fips``: Census state FIPS per pixel (0 = outside every state, see
    :func:`learn.sources.census.tiger.state_fips_on_grid`); ``type_group``: FIA forest type group code
    TYPGRPCD (100…999; 0 = not forest), e.g. BIGMAP 2018 forest type group; ``stand_age_years``:
    stand age in years (e.g. BIGMAP 2018 Stand_age). Code = state × 100000 + TYPGRPCD × 10 + age class
    (:func:`age_class`), e.g. 25 × 100000 + 800 × 10 + 2 = 2508002 (MA, maple/beech/birch, 21–100 years).
    A pixel gets 0 when its state is 0, its type group is 0 or nodata, or its age is nodata.
    """
    _same_shape(state_fips=state_fips, type_group=type_group, stand_age_years=stand_age_years)
    state = np.asarray(state_fips)
    group = np.asarray(type_group)
    _refuse_unknown(
        "state FIPS layer",
        state[(state < 0) | (state > STATE_FIPS_MAX)],
        f"0…{STATE_FIPS_MAX}",
        "build it with learn.sources.census.tiger.state_fips_on_grid",
    )
    has_group = _valid(group, type_group_nodata) & (group != 0)
    _refuse_unknown(
        "forest type group",
        group[has_group & ((group < TYPE_GROUP_MIN) | (group > TYPE_GROUP_MAX) | (group % 1 != 0))],
        f"FIA TYPGRPCD {TYPE_GROUP_MIN}…{TYPE_GROUP_MAX} (0 = not forest)",
        "read the raw type group codes (BIGMAP forest type group, rendering rule None) and pass the "
        "layer's nodata value (type_group_nodata=…)",
    )
    cls = age_class(stand_age_years, age_nodata)
    coded = has_group & (cls > 0) & (state > 0)
    code = (
        state.astype(np.uint32) * STATE_FACTOR
        + np.where(has_group, group, 0).astype(np.uint32) * TYPE_GROUP_FACTOR
        + cls
    )
    return np.where(coded, code, 0).astype(np.uint32)


def decode_forest_code(code: npt.ArrayLike) -> tuple[npt.NDArray[np.uint32], ...]:
    """(state FIPS, TYPGRPCD, age class) of codes made by :func:`forest_code` (all 0 for code 0)."""
    c = np.asarray(code).astype(np.uint32)
    return c // STATE_FACTOR, (c % STATE_FACTOR) // TYPE_GROUP_FACTOR, c % TYPE_GROUP_FACTOR


def fire_codes(mtbs_severity: npt.ArrayLike, nodata: float | None = None) -> npt.NDArray[np.uint8]:
    """LEARN's fire code from an MTBS annual burn severity mosaic: classes 3–4 → 10, class 6 → 9
    (:data:`FIRE_NOT_MAPPED`), the rest → 0.

    Classes (raw values, not a rendered image): 0 background, 1 unburned to low, 2 low, 3 moderate,
    4 high, 5 increased greenness, 6 non-mapping area mask. Low severity (1, 2) and increased greenness (5)
    are masked to 0 as LEARN does (``MASK_LOW_SEVERITY_FIRE``); the declared ``nodata`` and NaN → 0 (the
    catalog sends ``noData=0``: outside the mosaic is background). Class 6 is "not mapped", not "no fire".
    """
    sev = np.asarray(mtbs_severity)
    ok = _valid(sev, nodata)
    _refuse_unknown(
        "MTBS burn severity",
        sev[ok & ~np.isin(sev, list(MTBS_CLASSES))],
        "the MTBS classes 0…6",
        "read the raw classes (renderingRule None, pixelType U8), not a rendered image, and pass "
        "the layer's nodata value",
    )
    code = np.where(ok & (sev == MTBS_NON_MAPPING), FIRE_NOT_MAPPED, 0)
    return np.where(ok & np.isin(sev, MTBS_FIRE_CLASSES), FIRE, code).astype(np.uint8)


def canopy_loss_points(
    canopy_start: npt.ArrayLike, canopy_end: npt.ArrayLike, nodata: float | None = None
) -> npt.NDArray[np.float64]:
    """Tree canopy loss in percentage points, start − end where canopy fell (0 where it did not);
    NaN where either year is nodata: the declared ``nodata``, NaN, or outside 0–100 (TCC 254/255)."""
    _same_shape(canopy_start=canopy_start, canopy_end=canopy_end)
    c1 = np.asarray(canopy_start).astype(np.float64)
    c2 = np.asarray(canopy_end).astype(np.float64)
    ok = _valid(np.asarray(canopy_start), nodata) & _valid(np.asarray(canopy_end), nodata)
    ok &= (c1 >= 0) & (c1 <= CANOPY_MAX) & (c2 >= 0) & (c2 <= CANOPY_MAX)
    return np.where(ok, np.maximum(c1 - c2, 0.0), np.nan)


def harvest_codes(
    canopy_start: npt.ArrayLike,
    canopy_end: npt.ArrayLike,
    forest_mask: npt.ArrayLike,
    fire: npt.ArrayLike,
    insect: npt.ArrayLike,
    *,
    canopy_nodata: float | None = None,
) -> npt.NDArray[np.uint8]:
    """Harvest/other severity codes 1–4 of one period; 0 = no harvest or no data (uint8).

    ``canopy_start``/``canopy_end``: tree canopy cover (percent, 0–100) of the period's canopy
    years; ``forest_mask``: True on forest pixels; ``fire``/``insect``: the period's fire (10) and
    insect (5) codes (any non-zero value means "disturbed by it"). Loss of 1–25, 26–50, 51–75 and
    76–100 percentage points gives codes 1, 2, 3 and 4 (a fractional loss above a bound, e.g. 25.5,
    is in the next class). Harvest counts only on forest without fire or insect; canopy nodata → 0.
    """
    _same_shape(
        canopy_start=canopy_start, canopy_end=canopy_end, forest_mask=forest_mask, fire=fire, insect=insect
    )
    loss = canopy_loss_points(canopy_start, canopy_end, canopy_nodata)
    known = ~np.isnan(loss)
    severity = np.digitize(np.where(known, loss, 0.0), (0.0, *HARVEST_BREAKS[:-1]), right=True)
    counted = known & (loss > 0) & np.asarray(forest_mask, bool)
    counted &= (np.asarray(fire) == 0) & (np.asarray(insect) == 0)
    return np.where(counted, severity, 0).astype(np.uint8)


def combine_disturbance(*layers: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """One disturbance code per pixel from several layers (fire, insect, harvest or whole periods):
    the per-pixel MAX, as the raster stage combines periods, so fire 10 > insect 5 > harvest 1–4; fire not
    mapped (9) only where no layer has another code."""
    if not layers:
        raise DerivedLayerError("no disturbance layer to combine", hint="pass at least one layer")
    _same_shape(**{f"layer {i + 1}": a for i, a in enumerate(layers)})
    arrays = [np.asarray(a) for a in layers]
    for i, a in enumerate(arrays):
        _refuse_unknown(
            f"disturbance layer {i + 1}",
            a[(a < 0) | (a > np.iinfo(np.uint8).max) | (a % 1 != 0)],
            "the codes 0…255",
            "disturbance codes are 0, 1–4 (harvest), 5 (insect), 10 (fire)",
        )
    return _raster_combine([a.astype(np.uint8) for a in arrays]).astype(np.uint8)
