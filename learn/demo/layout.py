"""The map's geometry: river, towns and villages, major and minor roads, the county line.

Positions are given as fractions of the grid (u = column / width, v = row / height) and resolved to
pixel coordinates; everything else in the landscape is laid out relative to these.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from learn.demo.grid import Bool
from learn.demo.noise import _burn


@dataclass(frozen=True)
class _Place:
    """A town or village: name, position (fractions; ``v=None`` = on the river) and sizes in pixels."""

    name: str
    u: float
    v: float | None
    weight: float  # peak of its urban potential (unitless)
    reach_px: float  # e-folding distance of its urban potential (pixels)
    radius_px: float  # radius of its census-place polygon (pixels)
    village: bool = False


PLACES = (
    _Place("Oxbow Falls", 0.36, None, 1.00, 55, 110),
    _Place("Millbrook", 0.22, 0.24, 0.90, 48, 95),
    _Place("Cedar Crossing", 0.74, 0.26, 0.85, 45, 90),
    _Place("Larkvale", 0.66, 0.80, 0.80, 42, 85),
    _Place("Fernhollow", 0.10, 0.10, 0.45, 14, 34, True),
    _Place("Tamarack Corners", 0.50, 0.10, 0.45, 14, 40, True),  # the county line runs through it
    _Place("Pinegate", 0.88, 0.12, 0.45, 14, 32, True),
    _Place("Willowmere", 0.12, 0.80, 0.45, 14, 36, True),
    _Place("Hartsford Mills", 0.92, 0.48, 0.45, 14, 38, True),
    _Place("Birchwick", 0.40, 0.93, 0.45, 14, 33, True),
)
STRADDLING_VILLAGE = "Tamarack Corners"

# Major roads as control points: a place name or (u, v); they meet at the four towns.
MAJOR_ROADS: tuple[tuple[str | tuple[float, float], ...], ...] = (
    ((-0.05, 0.30), "Millbrook", (0.48, 0.20), "Cedar Crossing", (1.05, 0.33)),
    ((0.18, -0.05), "Millbrook", "Oxbow Falls", "Larkvale", (0.80, 1.05)),
    ((-0.05, 0.62), "Oxbow Falls", (0.56, 0.47), "Cedar Crossing", (0.86, -0.05)),
    ((-0.05, 0.88), (0.30, 0.84), "Larkvale", (1.05, 0.70)),
)
MINOR_SPACING = 0.075  # minor road grid spacing, fraction of the grid


@dataclass
class _Layout:
    """Resolved geometry in pixel coordinates (row, col; pixel i covers [i, i+1))."""

    river: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
    centres: dict[str, tuple[float, float]]
    county_line: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
    major: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]]
    minor_mask: Bool


def _river_line(
    rng: np.random.Generator, shape: tuple[int, int]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centreline (rows, cols; pixels, 0.5 px steps) of a river meandering west → east.

    Columns increase monotonically (the line is a graph over x), so it splits the grid into north/south.
    """
    h, w = shape
    t = np.arange(-0.1 * w, 1.1 * w, 0.5)
    ph = rng.uniform(0, 2 * np.pi, 3)
    cols = t + 0.02 * w * np.sin(2 * np.pi * t / (0.165 * w) + ph[2])
    rows = (
        h * (0.56 - 0.07 * t / w)
        + 0.055 * h * np.sin(2 * np.pi * t / (0.4 * w) + ph[0])
        + 0.0225 * h * np.sin(2 * np.pi * t / (0.165 * w) + ph[1])
    )
    return rows, cols


def _polyline(
    rng: np.random.Generator, pts: list[tuple[float, float]], wiggle: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Densify a polyline of (row, col) control points to 0.5 px steps with a sideways bow per segment.

    ``wiggle`` is the maximum bow (pixels); the line still passes through every control point.
    """
    rows: list[npt.NDArray[np.float64]] = []
    cols: list[npt.NDArray[np.float64]] = []
    for (r0, c0), (r1, c1) in itertools.pairwise(pts):
        length = math.hypot(r1 - r0, c1 - c0)
        t = np.arange(0.0, 1.0, 0.5 / length)
        bow = rng.uniform(-wiggle, wiggle) * np.sin(np.pi * t) + 0.3 * wiggle * np.sin(
            3 * np.pi * t + rng.uniform(0, 0.5)
        ) * np.sin(np.pi * t)
        nr, nc = (c1 - c0) / length, -(r1 - r0) / length  # unit normal
        rows.append(r0 + t * (r1 - r0) + bow * nr)
        cols.append(c0 + t * (c1 - c0) + bow * nc)
    return np.concatenate(rows), np.concatenate(cols)


def _minor_roads(
    rng: np.random.Generator, shape: tuple[int, int], force: list[tuple[int, int]]
) -> tuple[Bool, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """A wobbly grid of local roads with ~35 % of the segments missing.

    Returns the road mask and the grid line positions (pixels) of vertical (cols) and horizontal (rows)
    roads; segments touching the intersections in ``force`` (line indices i, j) are always kept.
    """
    h, w = shape
    sp = MINOR_SPACING * w
    n = int(w / sp)
    xs = sp * (np.arange(n) + 0.5) + rng.uniform(-0.15, 0.15, n) * sp
    ys = sp * (np.arange(n) + 0.5) + rng.uniform(-0.15, 0.15, n) * sp
    keep_v = rng.random((n, n + 1)) < 0.65  # vertical line i, segment between horizontal lines j-1, j
    keep_h = rng.random((n, n + 1)) < 0.65
    for i, j in force:
        keep_v[i, j : j + 2] = True
        keep_h[j, i : i + 2] = True
    mask = np.zeros(shape, dtype=bool)
    t = np.arange(0, max(h, w), 0.5)
    for i in range(n):
        ph = rng.uniform(0, 2 * np.pi, 2)
        off = 6 * np.sin(2 * np.pi * t / 420 + ph[0]) + 3 * np.sin(2 * np.pi * t / 150 + ph[1])
        seg_v = np.searchsorted(ys, t)
        sel = keep_v[i, seg_v]
        _burn(mask, t[sel], xs[i] + off[sel])
        seg_h = np.searchsorted(xs, t)
        sel = keep_h[i, seg_h]
        _burn(mask, ys[i] + off[sel], t[sel])
    return mask, xs, ys


def _layout(rng: np.random.Generator, shape: tuple[int, int]) -> _Layout:
    """Place the river, towns, villages (snapped to minor-road junctions), roads and the county line."""
    h, w = shape
    river = _river_line(rng, shape)
    sp = MINOR_SPACING * w
    n = int(w / sp)
    # Villages sit on minor-road junctions: snap to the nominal grid, then to the jittered one below.
    junctions = {
        p.name: (round(p.u * w / sp - 0.5), round((p.v or 0) * h / sp - 0.5)) for p in PLACES if p.village
    }
    minor_mask, xs, ys = _minor_roads(
        rng, shape, [(min(i, n - 1), min(j, n - 1)) for i, j in junctions.values()]
    )
    centres: dict[str, tuple[float, float]] = {}
    for p in PLACES:
        if p.village:
            i, j = junctions[p.name]
            centres[p.name] = (float(ys[min(j, n - 1)]), float(xs[min(i, n - 1)]))
        elif p.v is None:
            col = p.u * w
            centres[p.name] = (float(np.interp(col, river[1], river[0])), col)
        else:
            centres[p.name] = (p.v * h, p.u * w)
    major = []
    for road in MAJOR_ROADS:
        pts = [centres[c] if isinstance(c, str) else (c[1] * h, c[0] * w) for c in road]
        major.append(_polyline(rng, pts, wiggle=0.02 * w))
    # County line west | east north of the river, through the straddling village; rows increase monotonically.
    r = np.arange(-0.1 * h, 1.1 * h, 5.0)
    ph = rng.uniform(0, 2 * np.pi, 2)
    rv, cv = centres[STRADDLING_VILLAGE]

    def wig(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return 45 * np.sin(2 * np.pi * x / 600 + ph[0]) + 15 * np.sin(2 * np.pi * x / 200 + ph[1])

    county_cols = cv + 12 + wig(r) - wig(np.array([rv]))
    return _Layout(river, centres, (r, county_cols), major, minor_mask)
