"""The record a fetch leaves in its data folder: ``manifest.json`` and the boundary GeoPackage it describes.

Kept apart from :mod:`learn.sources.fetch` (which plans and reads the layers) so that what is on disk —
sources, versions, sizes, sha256, grid, boundary, time — and how a re-run recognises a current file are
defined in one place.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pyogrio

from learn._version import __version__
from learn.raster.grid import Grid
from learn.sources.catalog import Catalog
from learn.sources.census.tiger import CensusBoundary
from learn.sources.nlcd.clip import TARGET_CRS
from learn.util import atomic_path, output_error, sha256_file, write_text_atomic

MANIFEST = "manifest.json"
BOUNDARY_FILE = "boundary.gpkg"
#: What a failed fetch's manifest says about the files it lists (``manifest["state"]["note"]``).
RESUMABLE_NOTE = (
    "a fetch that did not finish: the files listed are intact (sha256 above) but the region is not in the "
    "catalog; the same `learn fetch` command reuses them and fetches the rest"
)


def read_manifest(data_dir: Path) -> dict[str, Any]:
    """The manifest of an earlier fetch into ``data_dir`` ({} when there is none or it is unreadable)."""
    try:
        doc = json.loads((data_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _grid_doc(grid: Grid, origin: tuple[float, float], key: dict[str, Any]) -> dict[str, Any]:
    return {
        "crs": grid.crs.to_string(),
        "transform": list(grid.transform)[:6],
        "width": grid.width,
        "height": grid.height,
        "pixel_size_m": grid.transform.a,
        "snapped_to_origin": list(origin),
        "key": key,
    }


def _grid_from_doc(doc: dict[str, Any]) -> Grid:
    from affine import Affine

    return Grid(crs=TARGET_CRS, transform=Affine(*doc["transform"]), width=doc["width"], height=doc["height"])


def _is_current(data_dir: Path, name: str, entry: dict[str, Any] | None, url: str) -> bool:
    """The file exists, its sha256 matches the manifest and it came from the same URL."""
    p = data_dir / name
    if not entry or entry.get("url") != url or not p.exists():
        return False
    return sha256_file(p) == entry.get("sha256")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _new_manifest(
    old: dict[str, Any],
    region: str,
    years: tuple[int, int],
    catalog: Catalog,
    census: CensusBoundary,
    id_field: str,
    name_field: str,
    state: str | None,
    grid: Grid,
    origin: tuple[float, float],
    grid_key: dict[str, Any],
) -> dict[str, Any]:
    return {
        "tool": "learn fetch",
        "software_version": __version__,
        "created": old.get("created", _now()),
        "updated": _now(),
        "region": region,
        "catalog": str(catalog.path),
        "years": list(years),
        "boundary": {
            "source": census.source,
            "path": BOUNDARY_FILE,
            "id_field": id_field,
            "name_field": name_field,
            "state": state,
            **(
                {k: v for k, v in old.get("boundary", {}).items() if k in ("sha256", "bytes", "input_sha256")}
            ),
        },
        "grid": _grid_doc(grid, origin, grid_key),
        # Until the fetch finishes (mark_complete): a killed run leaves a labelled, resumable folder.
        "state": {"status": "incomplete", "at": _now(), "note": RESUMABLE_NOTE},
        "files": {},
    }


def _write_manifest(data_dir: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, indent=2) + "\n"
    try:
        write_text_atomic(data_dir / MANIFEST, text)
    except OSError as err:  # a full disk: the earlier manifest stays as it was
        raise output_error(data_dir / MANIFEST, err, needed=len(text.encode())) from None


def _write_boundary(
    data_dir: Path, frame: gpd.GeoDataFrame, manifest: dict[str, Any]
) -> tuple[Literal["written", "skipped"], int]:
    """The boundary as a GeoPackage (skipped when the same features were written before): status, bytes."""
    target = data_dir / BOUNDARY_FILE
    fingerprint = hashlib.sha256(frame.to_json(sort_keys=True).encode()).hexdigest()
    b = manifest["boundary"]
    if target.exists() and b.get("input_sha256") == fingerprint and sha256_file(target) == b.get("sha256"):
        return "skipped", int(b["bytes"])
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00.000Z"})  # reproducible bytes
    try:
        with atomic_path(target) as tmp:
            tmp.unlink()  # the GPKG driver wants to create the file itself
            frame.to_file(tmp, layer="boundaries", driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    b.update(sha256=sha256_file(target), bytes=target.stat().st_size, input_sha256=fingerprint)
    return "written", int(b["bytes"])


def mark_complete(manifest: dict[str, Any]) -> None:
    """Label the manifest of a fetch that finished (every layer written, the region about to be catalogued)."""
    manifest["state"] = {"status": "complete", "at": _now()}


def record_failure(data_dir: Path, manifest: dict[str, Any], err: BaseException) -> None:
    """After a fetch failed: label what it left (a resumable cache) or leave nothing (no file was written).

    Files are written atomically, each with its manifest entry, so the folder never holds a half-written file;
    the manifest then says ``state.status: incomplete`` with the error, and a re-run skips the files it lists.
    A folder left empty is removed.
    """
    if not manifest.get("files"):  # nothing of this run on disk (an earlier run's manifest stays as it was)
        if data_dir.is_dir() and not any(data_dir.iterdir()):
            data_dir.rmdir()
        return
    manifest["state"] = {
        "status": "incomplete",
        "at": _now(),
        "error": " ".join(str(err).split())[:2000] or type(err).__name__,
        "note": RESUMABLE_NOTE,
    }
    _write_manifest(data_dir, manifest)
