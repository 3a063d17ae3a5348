"""Compiled stratum kernel (numba): one pass over pixels into an open-addressing hash table.

Stratum key (int64): zone (23 bits) | forest code index (16) | lc1 (8) | lc2 (8) | disturbance (8).
Forest age-type-region codes are uint32 (the contract of docs/method.md §1.6 reaches 9,909,993);
each accumulator numbers the distinct codes it sees (index 0 = code 0) and keeps the index in the key,
so up to :data:`MAX_DISTINCT_CODES` distinct codes fit per accumulator (a county has a few hundred).
Each stratum accumulates :data:`SUMS` (see :mod:`learn.raster.strata` for units). The kernel releases
the GIL, so windows can be reduced on several threads, each with its own table; tables from windows,
threads or dask workers add up (they hold decoded codes).
"""

from __future__ import annotations

from typing import Any, Final

import numba
import numpy as np
import numpy.typing as npt
import pandas as pd

from learn.raster.stratum_sums import NSUM, SUMS, Stored

__all__ = ["NSUM", "SUMS", "Stored", "StratumAccumulator"]

EMPTY: Final = -1
MAX_ZONE: Final = (1 << 23) - 1
#: "No zone" in a uint16 zone array (the zone raster's nodata).
NO_ZONE_U16: Final = 65535
MAX_CODE: Final = (1 << 32) - 1
#: Distinct forest codes one accumulator can hold (the 16-bit code index of the key).
MAX_DISTINCT_CODES: Final = 1 << 16
_CODE_SLOTS: Final = 1 << 17  # hash table of the code dictionary: at most half full


@numba.njit(nogil=True, cache=True)
def _encode_codes(code, slots, index_of_slot, values, count, out):  # pragma: no cover - compiled
    """Write each pixel's code index into ``out``, adding new codes to the dictionary
    (``values[index]`` = code); return the new count, or -1 when a new code finds no free index."""
    mask = slots.shape[0] - 1
    shift = 64 - _log2(slots.shape[0])
    last_code, last_index = np.int64(-1), np.int64(0)
    for i in range(code.shape[0]):
        c = np.int64(code[i])
        if c == last_code:  # neighbouring pixels mostly share a code
            out[i] = last_index
            continue
        s = _slot(c, shift)
        while slots[s] != EMPTY and slots[s] != c:
            s = (s + 1) & mask
        if slots[s] == EMPTY:
            if count >= values.shape[0]:
                return -1
            slots[s] = c
            index_of_slot[s] = count
            values[count] = c
            count += 1
        last_code, last_index = c, np.int64(index_of_slot[s])
        out[i] = last_index
    return count


@numba.njit(nogil=True, cache=True, inline="always")
def _slot(key: Any, shift: Any) -> Any:
    # Fibonacci hashing: multiply and keep the TOP bits, which mix every bit of the key (zone too).
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(shift))


@numba.njit(nogil=True, cache=True, inline="always")
def _log2(capacity: Any) -> Any:
    bits = 0
    while (1 << bits) < capacity:
        bits += 1
    return bits


@numba.njit(nogil=True, cache=True, inline="always")
def _flush(sums, s, r0, r1, r2, r3, r4, r5, r6, r7, r8):  # pragma: no cover - compiled
    sums[s, 0] += r0
    sums[s, 1] += r1
    sums[s, 2] += r2
    sums[s, 3] += r3
    sums[s, 4] += r4
    sums[s, 5] += r5
    sums[s, 6] += r6
    sums[s, 7] += r7
    sums[s, 8] += r8


@numba.njit(nogil=True, cache=True)
def _accumulate(
    keys,
    sums,
    count,
    start,
    zone,
    zone_none,
    weight,
    index,
    lc1,
    lc2,
    code,
    dist,
    live,
    dead,
    soil,
    tc1,
    tc2,
    nodata,
    tc_lo,
    tc_hi,
):  # pragma: no cover - compiled
    """Add pixels ``start..`` to the table; stop early (returning the position) when it is half full.

    ``zone[i]`` (< 0 or ``zone_none`` = skip) and ``weight[i]`` (empty = 1) are per item; ``index[i]`` (empty =
    identity) maps an item to its pixel in the layer arrays, so edge cells can be gathered.
    Empty layer arrays mean "layer absent" (0 code / disturbance, NaN sums). The continuous layers
    are summed as they are stored (integer steps or floats; the caller scales the sums once):
    a value is missing when it is not finite or equals its layer's ``nodata[j]`` (NaN = none declared), and
    a canopy value also when outside ``tc_lo…tc_hi``.

    Consecutive pixels of one stratum (a *run*: neighbours mostly share one) are summed in locals and
    added to the table when the run ends; a skipped pixel ends a run too, so the runs, and so the
    floating-point sums, are the same whether a zone comes alone or in a band with its neighbours.
    """
    mask = keys.shape[0] - 1
    shift = 64 - _log2(keys.shape[0])
    limit = keys.shape[0] // 2
    has_w, has_idx = weight.shape[0] > 0, index.shape[0] > 0
    has_code, has_dist = code.shape[0] > 0, dist.shape[0] > 0
    has_c, has_tc = live.shape[0] > 0, tc1.shape[0] > 0
    nd0, nd1, nd2, nd3, nd4 = nodata[0], nodata[1], nodata[2], nodata[3], nodata[4]
    n = zone.shape[0]
    run_key, s = np.int64(EMPTY), np.int64(-1)
    r0 = r1 = r2 = r3 = r4 = r5 = r6 = r7 = r8 = 0.0
    for i in range(start, n):
        z = np.int64(zone[i])
        w = np.float64(weight[i]) if has_w else 1.0
        if z < 0 or z == zone_none or w <= 0.0:
            if s >= 0:  # a skipped pixel ends the run
                _flush(sums, s, r0, r1, r2, r3, r4, r5, r6, r7, r8)
                run_key, s = np.int64(EMPTY), np.int64(-1)
            continue
        p = index[i] if has_idx else i
        c = np.int64(code[p]) if has_code else np.int64(0)
        d = np.int64(dist[p]) if has_dist else np.int64(0)
        key = (z << 40) | (c << 24) | (np.int64(lc1[p]) << 16) | (np.int64(lc2[p]) << 8) | d
        if key != run_key:
            if s >= 0:
                _flush(sums, s, r0, r1, r2, r3, r4, r5, r6, r7, r8)
            t = _slot(key, shift)
            while True:
                k = keys[t]
                if k == key:
                    break
                if k == EMPTY:
                    if count >= limit:
                        return count, i
                    keys[t] = key
                    count += 1
                    break
                t = (t + 1) & mask
            run_key, s = key, t
            r0 = r1 = r2 = r3 = r4 = r5 = r6 = r7 = r8 = 0.0
        r0 += w
        # Selects rather than branches: whether a value is missing is data, not a pattern to predict.
        if has_c:
            a, b, e = live[p], dead[p], soil[p]
            # v - v == 0 is False only for NaN and ±inf (as np.isfinite; it folds away for integers).
            fa = a - a == 0 and a != nd0
            fb = b - b == 0 and b != nd1
            fe = e - e == 0 and e != nd2
            r1 += w * np.float64(a) if fa else 0.0
            r2 += w * np.float64(b) if fb else 0.0
            r3 += w * np.float64(e) if fe else 0.0
            r4 += 0.0 if (fa and fb and fe) else w  # a pixel with any pool missing counts as missing
        if has_tc:
            t1, t2 = np.float64(tc1[p]), np.float64(tc2[p])
            # Finite (NaN and ±inf are missing), not the declared nodata, inside the valid range.
            ok = (t1 - t1 == 0.0) & (t2 - t2 == 0.0) & (t1 != nd3) & (t2 != nd4)
            ok = ok & (t1 >= tc_lo) & (t1 <= tc_hi) & (t2 >= tc_lo) & (t2 <= tc_hi)
            wt = w if ok else 0.0
            r5 += wt * t1 if ok else 0.0
            r6 += wt * t2 if ok else 0.0
            r7 += wt * max(t1 - t2 if ok else 0.0, 0.0)
            r8 += wt
    if s >= 0:
        _flush(sums, s, r0, r1, r2, r3, r4, r5, r6, r7, r8)
    return count, n


@numba.njit(nogil=True, cache=True)
def _rehash(keys, sums, new_keys, new_sums):  # pragma: no cover
    mask = new_keys.shape[0] - 1
    shift = 64 - _log2(new_keys.shape[0])
    for s in range(keys.shape[0]):
        key = keys[s]
        if key == EMPTY:
            continue
        t = _slot(key, shift)
        while new_keys[t] != EMPTY:
            t = (t + 1) & mask
        new_keys[t] = key
        new_sums[t] = sums[s]


_NONE_U8 = np.empty(0, np.uint8)
_NONE_U16 = np.empty(0, np.uint16)
_NONE_F32 = np.empty(0, np.float32)
_NONE_I64 = np.empty(0, np.int64)


_AS_IS: Final = Stored()


def _layers(
    arrays: tuple[npt.NDArray[Any], ...] | None, n: int, stored: bool
) -> tuple[npt.NDArray[Any], ...]:
    """Continuous layers for the kernel: as stored (integer or float dtype kept), or as float32 values."""
    if arrays is None:
        return (_NONE_F32,) * n
    if stored:
        return tuple(np.ascontiguousarray(a).ravel() for a in arrays)
    return tuple(_flat(a, np.float32, _NONE_F32) for a in arrays)


def _flat(
    a: npt.NDArray[np.generic] | None, dtype: type, none: npt.NDArray[np.generic]
) -> npt.NDArray[np.generic]:
    return none if a is None else np.ascontiguousarray(a, dtype=dtype).ravel()


class StratumAccumulator:
    """A growing stratum table; feed it windows with :meth:`add`, read it with :meth:`to_frame`."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        cap = 1 << max(4, int(capacity - 1).bit_length())
        self.keys = np.full(cap, EMPTY, np.int64)
        self.sums = np.zeros((cap, NSUM), np.float64)
        self.count = 0
        self.has_carbon = False
        self.has_canopy = False
        # The code dictionary, made on the first window with a code layer; index 0 = code 0 (no code).
        self._code_slots: npt.NDArray[np.int64] | None = None
        self._code_index = np.zeros(_CODE_SLOTS, np.int32)
        self._code_values = np.zeros(MAX_DISTINCT_CODES, np.int64)
        self._code_count = 1
        # Step of each continuous layer's stored values (live, dead, soil, canopy 1, canopy 2).
        self._scales: list[float | None] = [None] * 5

    def _grow(self) -> None:
        keys = np.full(self.keys.shape[0] * 2, EMPTY, np.int64)
        sums = np.zeros((keys.shape[0], NSUM), np.float64)
        _rehash(self.keys, self.sums, keys, sums)
        self.keys, self.sums = keys, sums

    def add(
        self,
        zone: npt.NDArray[Any],
        lc1: npt.NDArray[Any],
        lc2: npt.NDArray[Any],
        *,
        weight: npt.NDArray[Any] | None = None,
        index: npt.NDArray[Any] | None = None,
        code: npt.NDArray[Any] | None = None,
        disturbance: npt.NDArray[Any] | None = None,
        carbon: tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]] | None = None,
        canopy: tuple[npt.NDArray[Any], npt.NDArray[Any]] | None = None,
        carbon_stored: tuple[Stored, Stored, Stored] | None = None,
        canopy_stored: tuple[Stored, Stored] | None = None,
        canopy_range: tuple[float, float] = (-np.inf, np.inf),
    ) -> None:
        """Accumulate one window (arrays of any shape, raveled in C order).

        ``zone``: zone index per item, int32 (-1 = none) or uint16 (:data:`NO_ZONE_U16` = none); ``weight``: coverage per item (default 1);
        ``index``: pixel of each item in the layer arrays (default: item i is pixel i).
        Layers: NLCD codes (uint8), forest code (0…2³²−1), disturbance (uint8), carbon pools
        (t C/ha, NaN = nodata), canopy (NaN = nodata, and outside ``canopy_range``).
        ``carbon_stored`` / ``canopy_stored``: the layers are given as stored (e.g. uint16 steps,
        :class:`Stored` says the step and the nodata value); they are summed as such, exactly for
        integers, and scaled once per stratum in :meth:`to_frame`. Stored canopy must have scale 1
        (its valid range is checked on the stored values).
        """
        z = np.ascontiguousarray(zone).ravel()
        if z.dtype == np.uint16:
            zone_none = NO_ZONE_U16  # a zone raster's band as stored
        else:
            z, zone_none = np.ascontiguousarray(z, dtype=np.int32), -1
            if z.size and (int(z.max()) > MAX_ZONE):
                raise ValueError(f"zone index above {MAX_ZONE}")
        c = _NONE_U16 if code is None else self._encode(code)
        nodata = np.full(5, np.nan)
        if carbon is not None:
            self._set_scales(0, carbon_stored or (_AS_IS,) * 3, nodata)
        if canopy is not None:
            stored = canopy_stored or (_AS_IS,) * 2
            if any(s.scale != 1.0 for s in stored):
                raise ValueError("stored canopy must have scale 1 (give values instead)")
            self._set_scales(3, stored, nodata)
        self.has_carbon |= carbon is not None
        self.has_canopy |= canopy is not None
        args: tuple[Any, ...] = (
            z,
            zone_none,
            _flat(weight, np.float32, _NONE_F32),
            _flat(index, np.int64, _NONE_I64),
            _flat(lc1, np.uint8, _NONE_U8),
            _flat(lc2, np.uint8, _NONE_U8),
            c,
            _flat(disturbance, np.uint8, _NONE_U8),
            *_layers(carbon, 3, carbon_stored is not None),
            *_layers(canopy, 2, canopy_stored is not None),
            nodata,
            float(canopy_range[0]),
            float(canopy_range[1]),
        )
        pos = 0
        while pos < z.shape[0]:
            self.count, pos = _accumulate(self.keys, self.sums, self.count, pos, *args)
            if pos < z.shape[0]:
                self._grow()

    def _set_scales(self, first: int, stored: tuple[Stored, ...], nodata: npt.NDArray[np.float64]) -> None:
        """Record the layers' steps (the same for every window of this table) and their nodata values."""
        for j, s in enumerate(stored, start=first):
            if self._scales[j] is None:
                self._scales[j] = s.scale
            elif self._scales[j] != s.scale:
                raise ValueError("a layer's storage scale changed between windows of one table")
            nodata[j] = np.nan if s.nodata is None else s.nodata

    def _encode(self, code: npt.NDArray[Any]) -> npt.NDArray[np.uint16]:
        """The code layer as indices into this accumulator's code dictionary (grown as needed)."""
        flat = np.ascontiguousarray(code).ravel()
        if flat.size and (int(flat.min()) < 0 or int(flat.max()) > MAX_CODE):
            raise ValueError(f"forest age-type-region codes must be 0…{MAX_CODE}")
        if self._code_slots is None:
            self._code_slots = np.full(_CODE_SLOTS, EMPTY, np.int64)
            self._code_slots[0] = 0  # code 0 hashes to slot 0 and keeps index 0
        out = np.empty(flat.shape[0], np.uint16)
        count = _encode_codes(
            flat, self._code_slots, self._code_index, self._code_values, self._code_count, out
        )
        if count < 0:
            raise ValueError(f"more than {MAX_DISTINCT_CODES - 1} distinct forest codes in one window")
        self._code_count = count
        return out

    def to_frame(self) -> pd.DataFrame:
        """The stratum table (columns: learn.raster.strata.KEY_COLUMNS + SUMS), sorted by key."""
        used = self.keys != EMPTY
        keys, sums = self.keys[used], self.sums[used]
        order = np.argsort(keys, kind="stable")
        keys, sums = keys[order], sums[order]
        frame = pd.DataFrame(
            {
                "zone": keys >> 40,
                "lc1": (keys >> 16) & 0xFF,
                "lc2": (keys >> 8) & 0xFF,
                "forest_age_type_region": self._code_values[(keys >> 24) & 0xFFFF],
                "disturbance": keys & 0xFF,
            }
        )
        # Sums of stored steps → values: one multiplication per stratum, not one per pixel.
        steps = [self._scales[k] or 1.0 for k in range(3)]
        for j, name in enumerate(SUMS):
            frame[name] = sums[:, j] * steps[j - 1] if 1 <= j <= 3 and steps[j - 1] != 1.0 else sums[:, j]
        if not self.has_carbon:
            frame[
                ["carbon_live_sum", "carbon_dead_litter_sum", "carbon_soil_sum", "carbon_missing_pixels"]
            ] = np.nan
        if not self.has_canopy:
            frame[["canopy1_sum", "canopy2_sum", "canopy_loss_sum", "canopy_pixels"]] = np.nan
        return frame
