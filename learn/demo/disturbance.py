"""Each period's disturbances: one large fire, harvest blocks and insect/disease patches.

They write the disturbance raster and the canopy damage, and record clearcuts and burns in the history.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from learn.demo.grid import F32, FIRE_PERIOD, PERIODS, U8, UPLAND_LUT, Bool
from learn.demo.land_cover import _State
from learn.demo.landscape import _Landscape
from learn.demo.noise import _blob, _choose, _window

CANOPY_RECOVERY = 0.06  # fraction of lost canopy regained per year after a disturbance


def _fire(
    rng: np.random.Generator, lc0: U8, dev1: U8, ls: _Landscape, st: _State, dist: U8, loss: F32
) -> None:
    """One large fire (~2,300 ha) in the most forested remote spot; writes code 10 and canopy loss.

    The inner, severe part of burned forest turns to grassland (71) / shrub (52); the rest stays forest.
    """
    shape = lc0.shape
    h, w = shape
    forest0 = UPLAND_LUT[lc0]
    frac = ndimage.uniform_filter(forest0.astype(np.float32), size=121)
    rr = np.arange(h)[:, None]
    cc = np.arange(w)[None, :]
    edge = np.minimum(np.minimum(rr, h - rr), np.minimum(cc, w - cc))
    frac[(ls.d_town < 300) | (edge < 220) | (ls.d_river < 80)] = -1.0
    r0, c0 = np.unravel_index(int(np.argmax(frac)), shape)
    theta = rng.uniform(0, np.pi)
    rs, cs, dr, dc = _window((r0 + 0.5, c0 + 0.5), 260, shape)
    u = dr * np.cos(theta) + dc * np.sin(theta)
    v = -dr * np.sin(theta) + dc * np.cos(theta)
    noise = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=9)
    noise /= noise.std()
    ed = np.hypot(u / 125.0, v / 80.0) + 0.25 * noise
    burnable = np.isin(lc0[rs, cs], (41, 42, 43, 90, 52, 71, 81)) & (dev1[rs, cs] == 0)
    candidates = ed[burnable]
    target = min(int(2300 / 0.09), candidates.size - 1)  # pixels in ~2,300 ha
    t = float(np.partition(candidates, target)[target])
    burn = (ed < t) & burnable
    labels, _ = ndimage.label(burn, structure=np.ones((3, 3)))
    burn = labels == labels[r0 - rs.start, c0 - cs.start] if labels[r0 - rs.start, c0 - cs.start] else burn
    severe = burn & (ed < 0.55 * t) & forest0[rs, cs]
    grass = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=5) > 0
    late = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=5) > 0.3
    dist[rs, cs][burn] = 10
    frac_lost = np.clip(0.25 + 0.45 * (1 - ed / t) + 0.05 * noise, 0.2, 0.8)
    frac_lost[severe] = np.clip(0.9 + 0.05 * noise[severe], 0.8, 1.0)
    loss[rs, cs][burn] = frac_lost[burn]
    st.fire_cls[rs, cs][severe] = np.where(grass[severe], 71, 52)
    st.fire_cls_late[rs, cs][severe] = np.where(grass[severe] & ~late[severe], 71, 52)
    st.burned[rs, cs] |= burn
    st.young[rs, cs] |= severe


def _harvest(rng: np.random.Generator, p: int, ok: Bool, st: _State, dist: U8, loss: F32, years: int) -> None:
    """Rotated, ragged rectangular harvest blocks (~5–60 ha) in forest ``ok``; codes 1–4 by canopy loss.

    Severity-4 blocks (and 40 % of severity-3 ones) are clearcuts: shrub/grass for one or two epochs.
    """
    shape = ok.shape
    for centre in _choose(rng, ok, round(28 * years)):
        a, b, theta = rng.uniform(4, 12), rng.uniform(4, 14), rng.uniform(0, np.pi)
        rs, cs, dr, dc = _window(centre, 1.6 * max(a, b) + 3, shape)
        u = dr * np.cos(theta) + dc * np.sin(theta)
        v = -dr * np.sin(theta) + dc * np.cos(theta)
        noise = ndimage.gaussian_filter(rng.standard_normal(u.shape), sigma=2)
        noise /= noise.std() + 1e-9
        m = (
            ((np.abs(u) / a) ** 4 + (np.abs(v) / b) ** 4 + 0.25 * noise < 1)
            & ok[rs, cs]
            & (dist[rs, cs] == 0)
        )
        sev = int(rng.choice(4, p=[0.34, 0.26, 0.18, 0.22])) + 1
        lo, hi = (sev - 1) * 0.25 + 0.01, sev * 0.25
        frac = np.clip(rng.uniform(lo + 0.03, hi - 0.03) + 0.02 * noise, lo, hi)
        dist[rs, cs][m] = sev
        loss[rs, cs][m] = frac[m]
        st.last_harvest[rs, cs][m] = p
        if sev == 4 or (sev == 3 and rng.random() < 0.4):
            st.cc_start[rs, cs][m] = p + 1
            st.cc_len[rs, cs][m] = 2 if sev == 4 else 1
            st.cc_cls[rs, cs][m] = 71 if rng.random() < 0.25 else 52
            st.young[rs, cs][m] = True


def _insects(rng: np.random.Generator, ok: Bool, dist: U8, loss: F32, years: int) -> None:
    """Scattered insect/disease patches (radius 6–18 px) in forest ``ok``: code 5, 8–35 % canopy loss."""
    shape = ok.shape
    for centre in _choose(rng, ok, round(6 * years)):
        radius = float(rng.uniform(6, 18))
        rs, cs, dr, dc = _window(centre, 1.5 * radius + 4, shape)
        m = _blob(rng, dr, dc, radius) & ok[rs, cs] & (dist[rs, cs] == 0)
        dist[rs, cs][m] = 5
        loss[rs, cs][m] = rng.uniform(0.08, 0.35)


def _disturb(rng: np.random.Generator, p: int, lc0: U8, dev1: U8, ls: _Landscape, st: _State) -> U8:
    """Disturbance raster of period ``p`` (fire, harvest, insects) and the canopy damage it leaves."""
    years = PERIODS[p][1] - PERIODS[p][0]
    dist = np.zeros(lc0.shape, dtype=np.uint8)
    loss = np.zeros(lc0.shape, dtype=np.float32)
    forest0 = UPLAND_LUT[lc0]
    if p == FIRE_PERIOD:
        _fire(rng, lc0, dev1, ls, st, dist, loss)
    ok = forest0 & (dev1 == 0) & (st.last_harvest < p - 3) & ~st.burned & (ls.d_town > 60)
    _harvest(rng, p, ok, st, dist, loss, years)
    _insects(rng, forest0 & ~st.burned, dist, loss, years)
    st.damage = np.maximum(np.maximum(st.damage - CANOPY_RECOVERY * years, 0), loss)
    return dist
