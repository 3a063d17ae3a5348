"""Drawn and uploaded areas kept on the server, so a link can open the same area in any browser.

Each polygon posted to ``POST /api/regions/{region}/inventory`` is stored as one JSON file
``<cache_dir>/areas/<id>.json``: its EPSG:4326 GeoJSON Feature (what ``GET …/areas/{id}`` sends), its name and
label, and its geometry in the region's grid CRS as WKB (the exact geometry the POST's report was computed
on, so a stored area's report is the same report, and the same cache entry).

The id is a keyed hash (HMAC-SHA256, 128 bits, URL-safe base64) of the region, the label, the name and the
normalised grid geometry, under a random key the server makes once (``areas/key``): the same shape posted
twice gets the same link and takes no more room, while nobody without the key can derive or guess an id.
Ids are checked against :data:`AREA_ID` before any file is touched, so no path can be built from a request.
The store is bounded: at most ``max_areas`` files and ``max_bytes`` in all; beyond that the areas used least
recently are deleted first. A file's mtime is its last use: posting the area again or reading it (its link opened:
its shape, report or downloads) makes it recent, so a link in daily use outlives any number of new areas.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
import shapely.geometry
from pyproj import CRS

from api.cache import LruCache
from api.errors import BadAreaId, NotFound
from learn.sources.boundaries import Boundary
from learn.util import write_text_atomic

log = logging.getLogger("api")

#: 22 URL-safe base64 characters: 128 bits of a keyed hash.
AREA_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
KEY_BYTES = 32


@dataclass(frozen=True)
class StoredArea:
    """One stored area: ``label`` is the report's ``boundary.id`` ("drawn" or "upload")."""

    id: str
    region: str
    label: str
    name: str
    repaired: bool
    feature: dict[str, Any]  # GeoJSON Feature, EPSG:4326
    grid_crs: str  # WKT of the CRS of ``grid_wkb``
    grid_wkb: bytes

    def boundary(self, grid_crs: CRS) -> Boundary:
        """The area as the boundary its report is computed on (in ``grid_crs``, the region's grid)."""
        if CRS.from_wkt(self.grid_crs) == grid_crs:
            geometry = shapely.from_wkb(self.grid_wkb)
        else:  # the region's grid changed since: reproject the stored lon/lat shape
            shape = shapely.geometry.shape(self.feature["geometry"])
            geometry = gpd.GeoSeries([shape], crs=4326).to_crs(grid_crs).iloc[0]
        return Boundary(
            id=self.label, name=self.name, geometry=geometry, crs=grid_crs, repaired=self.repaired
        )


def check_area_id(area_id: str) -> None:
    if not AREA_ID.fullmatch(area_id):
        raise BadAreaId(
            f"'{area_id[:40]}' is not an area id",
            hint="an area id is the 22 letters, digits, '-' or '_' that a posted polygon's link carries",
        )


class AreaStore:
    """Areas by id in one folder (created on first use), at most ``max_areas`` files and ``max_bytes``."""

    def __init__(
        self, folder: Path, max_areas: int = 5000, max_bytes: int = 1024**3, recent: int = 32
    ) -> None:
        self.folder, self.max_areas, self.max_bytes = folder, max_areas, max_bytes
        self._key: bytes | None = None
        # the areas read last, parsed (a 100,000-vertex area is ~6 MB of JSON to read again)
        self._recent: LruCache[str, StoredArea] = LruCache(recent)
        self._lock = threading.Lock()

    def _secret(self) -> bytes:
        """The server's hashing key: made once, atomically (hard link of a complete file), then reused."""
        if self._key is None:
            path = self.folder / "key"
            if not path.is_file():
                self.folder.mkdir(parents=True, exist_ok=True)
                tmp = self.folder / f".key-{secrets.token_hex(8)}"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # never readable by others
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(KEY_BYTES))
                try:
                    os.link(tmp, path)  # fails if another process made it first: then use theirs
                except FileExistsError:
                    pass
                finally:
                    tmp.unlink()
            key = path.read_bytes()
            if len(key) != KEY_BYTES:
                raise OSError(f"{path} is not a {KEY_BYTES}-byte key; delete it to make a new one")
            self._key = key
        return self._key

    def area_id(self, region: str, b: Boundary) -> str:
        wkb = shapely.to_wkb(shapely.normalize(b.geometry))
        label = json.dumps([region, b.id, b.name, b.crs.to_wkt()]).encode()
        mac = hmac.new(self._secret(), label + b"\0" + wkb, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")

    def put(self, region: str, b: Boundary) -> str:
        """Store ``b`` (a posted polygon in the grid CRS) for ``region``; its id."""
        area_id = self.area_id(region, b)
        path = self.folder / f"{area_id}.json"
        with self._lock:
            try:
                os.utime(path)  # posted again: recent again
                return area_id
            except FileNotFoundError:
                pass
            geometry = gpd.GeoSeries([b.geometry], crs=b.crs).to_crs(4326).iloc[0]
            record = {
                "id": area_id,
                "region": region,
                "label": b.id,
                "name": b.name,
                "repaired": b.repaired,
                "feature": {
                    "type": "Feature",
                    "id": area_id,
                    "properties": {"id": area_id, "name": b.name, "region": region},
                    "geometry": shapely.geometry.mapping(geometry),
                },
                "grid_crs": b.crs.to_wkt(),
                "grid_wkb": base64.b64encode(shapely.to_wkb(b.geometry)).decode(),
            }
            write_text_atomic(path, json.dumps(record, separators=(",", ":")))
            self._evict(keep=path)
        return area_id

    def get(self, region: str, area_id: str) -> StoredArea:
        """The area ``area_id`` of ``region`` (BadAreaId → 422 for a malformed id, NotFound → 404); reading it
        makes it recent (its file's mtime), as posting it again does."""
        check_area_id(area_id)
        path = self.folder / f"{area_id}.json"
        hit = self._recent.get(area_id)
        if hit is not None and hit.region == region and self._touch(path):  # not evicted meanwhile
            return hit
        try:
            record = json.loads(path.read_bytes())
        except FileNotFoundError:
            record = None
        except (OSError, ValueError) as err:
            log.warning("stored area %s cannot be read: %s", path, err)
            record = None
        if not isinstance(record, dict) or record.get("region") != region:
            raise NotFound(
                f"unknown area '{area_id}' in region '{region}'",
                hint=f"the server keeps the {self.max_areas:,} areas used most recently; draw or upload it again",
            )
        area = StoredArea(
            id=area_id,
            region=region,
            label=str(record["label"]),
            name=str(record["name"]),
            repaired=bool(record.get("repaired", False)),
            feature=record["feature"],
            grid_crs=str(record["grid_crs"]),
            grid_wkb=base64.b64decode(record["grid_wkb"]),
        )
        self._recent.put(area_id, area)
        self._touch(path)
        return area

    @staticmethod
    def _touch(path: Path) -> bool:
        """Mark ``path`` used now (its mtime orders eviction); False when it is gone (evicted)."""
        try:
            os.utime(path)
        except FileNotFoundError:
            return False
        except OSError as err:  # a read-only store still serves its areas, in their old order
            log.debug("stored area %s cannot be marked as used: %s", path, err)
        return True

    def _evict(self, keep: Path) -> None:
        """Delete the least recently used areas beyond ``max_areas`` files or ``max_bytes`` (never ``keep``)."""
        files = []
        for p in self.folder.glob("*.json"):
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            files.append((st.st_mtime_ns, st.st_size, p))
        files.sort()
        count, total = len(files), sum(size for _, size, _ in files)
        for _, size, p in files:
            if count <= self.max_areas and total <= self.max_bytes:
                break
            if p == keep:
                continue
            p.unlink(missing_ok=True)
            count, total = count - 1, total - size
