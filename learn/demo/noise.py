"""Random fields and pixel-geometry helpers (noise, distances, windows, blobs) the generators build from.

Kept apart so that every generator draws its randomness the same way from the one shared generator.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from learn.demo.grid import F32, Bool


def _field(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> F32:
    """Smooth standard-normal noise (mean 0, sd 1) with a correlation length of ~``scale`` pixels.

    Large scales are filtered on a coarse grid and upsampled bilinearly (fast on 2000 × 2000).
    """
    h, w = shape
    f = max(1, int(scale // 4))
    coarse = rng.standard_normal((h // f + 3, w // f + 3), dtype=np.float32)
    coarse = ndimage.gaussian_filter(coarse, sigma=scale / f, mode="wrap")
    full = ndimage.zoom(coarse, f, order=1) if f > 1 else coarse
    full = np.ascontiguousarray(full[:h, :w])
    full -= full.mean()
    full /= full.std()
    return full


def _z(a: F32) -> F32:
    """Standardise an array to mean 0, sd 1 (unitless)."""
    out: F32 = ((a - a.mean()) / a.std()).astype(np.float32)
    return out


def _quantile(a: F32, q: float, step: int = 5) -> float:
    """Quantile of a large array from a regular subsample (fast, deterministic)."""
    return float(np.quantile(a[::step, ::step], q))


def _burn(mask: Bool, rows: npt.NDArray[np.float64], cols: npt.NDArray[np.float64]) -> None:
    """Set the pixels under densely sampled line points (pixel coordinates) to True, ignoring off-grid ones."""
    r = np.floor(rows).astype(np.int64)
    c = np.floor(cols).astype(np.int64)
    ok = (r >= 0) & (r < mask.shape[0]) & (c >= 0) & (c < mask.shape[1])
    mask[r[ok], c[ok]] = True


def _distance(mask: Bool) -> F32:
    """Euclidean distance (pixels) of every pixel to the nearest True pixel of ``mask``."""
    out: F32 = ndimage.distance_transform_edt(~mask).astype(np.float32)
    return out


def _window(
    centre: tuple[float, float], half: float, shape: tuple[int, int]
) -> tuple[slice, slice, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Slices of a square window around ``centre`` (pixels) and its row/col offsets from the centre."""
    r0, c0 = centre
    rs = slice(max(0, int(r0 - half)), min(shape[0], int(r0 + half) + 1))
    cs = slice(max(0, int(c0 - half)), min(shape[1], int(c0 + half) + 1))
    dr = (np.arange(rs.start, rs.stop)[:, None] + 0.5 - r0).astype(np.float64)
    dc = (np.arange(cs.start, cs.stop)[None, :] + 0.5 - c0).astype(np.float64)
    return rs, cs, dr, dc


def _blob(
    rng: np.random.Generator, dr: npt.NDArray[np.float64], dc: npt.NDArray[np.float64], radius: float
) -> Bool:
    """An irregular round patch of about ``radius`` pixels over the offsets ``dr``/``dc``."""
    noise = ndimage.gaussian_filter(
        rng.standard_normal(np.broadcast(dr, dc).shape), sigma=max(2.0, radius / 4)
    )
    noise /= noise.std() + 1e-9
    out: Bool = np.hypot(dr, dc) / radius + 0.22 * noise < 1.0
    return out


def _choose(rng: np.random.Generator, ok: Bool, n: int) -> list[tuple[float, float]]:
    """``n`` random pixel centres (row, col) where ``ok`` is True (rejection sampling, deterministic)."""
    out: list[tuple[float, float]] = []
    h, w = ok.shape
    while len(out) < n and ok.any():
        r = rng.integers(0, h, 4 * n + 16)
        c = rng.integers(0, w, 4 * n + 16)
        good = ok[r, c]
        out.extend((float(a) + 0.5, float(b) + 0.5) for a, b in zip(r[good], c[good], strict=True))
    return out[:n]
