"""``learn fetch``: clip real public layers for a boundary into a ready region of the catalog.

Pipeline (each step in its own module):

1. the boundary: a file, a Census county (offline) or place (TIGER, online) — :mod:`learn.sources.census.tiger`;
2. the plan (:mod:`learn.sources.fetch_plan`) of the catalog ``datasets`` marked ``fetch_layer`` —
   :mod:`learn.sources.remote`: land cover (every inventory year from start to end), tree canopy (each
   period's canopy years) and, when the catalog has sources for them, the forest layers and the inputs
   they are derived from (BIGMAP type group and age, MTBS burn severity per year);
3. one EPSG:5070 30 m grid (boundary box + margin, snapped to the land-cover source's pixels), each
   layer read onto it with HTTP range requests and written as a local COG — :mod:`learn.sources.nlcd.clip`;
4. ``manifest.json`` (sources, versions, sizes, sha256, grid, boundary, time) and the boundary GeoPackage next
   to the files — :mod:`learn.sources.manifest`;
5. the region entry (:mod:`learn.sources.region_entry`) in the catalog, comments kept —
   :mod:`learn.sources.catalog_edit`.

Everything is written atomically; a re-run skips files whose sha256 matches the manifest.
"""

from __future__ import annotations

import contextlib
import errno
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import shapely

from learn.errors import LearnError
from learn.layers import CARBON_LAYERS
from learn.raster.cog import CARBON_STORAGE_SCALE, write_cog
from learn.sources.arcgis import carbon_pools as pools_sum
from learn.sources.arcgis.image import open_image_service
from learn.sources.boundaries import prepare, read_vector
from learn.sources.catalog import Catalog, load_catalog
from learn.sources.catalog_edit import upsert_region
from learn.sources.census.tiger import (
    NON_CONUS_FIPS,
    CensusBoundary,
    check_conus,
    county,
    place,
    states_overlapping,
)
from learn.sources.domains import domain_fault
from learn.sources.fetch_factors import derive_region_factors
from learn.sources.fetch_plan import FetchRequest as FetchRequest  # the public request type lives here
from learn.sources.fetch_plan import plan_layers
from learn.sources.forest_layers import derive_forest_layers
from learn.sources.locking import exclusive, fetch_lock_path
from learn.sources.manifest import (
    BOUNDARY_FILE,
    MANIFEST,
    _grid_from_doc,
    _is_current,
    _new_manifest,
    _now,
    _write_boundary,
    _write_manifest,
    mark_complete,
    read_manifest,
    record_failure,
)
from learn.sources.nlcd.clip import (
    TARGET_CRS,
    fill_value,
    grid_origin,
    read_onto_grid,
    snapped_grid,
    source_bounds,
    unscaled,
)
from learn.sources.nlcd.wcs import coverage_url, open_wcs, wcs_grid_origin
from learn.sources.region_entry import _region_entry, forest_code_contract, pick_fields
from learn.sources.remote import FetchError, SourceFile, gdal_http_env, open_source
from learn.util import cache_root, disk_full, output_error, sha256_file

#: (label, rows done, rows total) for each layer being read.
Progress = Callable[[str, int, int], None]
_REGION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
#: Sources that answer for the grid's box (the request is made once the grid is known).
_SERVICES = ("wcs", "arcgis_image")


@dataclass(frozen=True)
class FileResult:
    name: str
    layer: str
    when: str  # "2011", "2011-2013" (a disturbance period) or "" (all years)
    status: Literal["written", "skipped"]
    bytes: int
    how: str  # "window" (same grid) or "warp:<resampling>"; "" for the boundary


@dataclass(frozen=True)
class FetchResult:
    region: str
    catalog_path: Path
    data_dir: Path
    manifest_path: Path
    files: list[FileResult] = field(default_factory=list)
    catalog_changed: bool = False
    next_command: str = ""
    state: str | None = None


# ---- boundary ---------------------------------------------------------------------------------------------
def _boundary(req: FetchRequest, catalog: Catalog) -> CensusBoundary:
    given = [x for x in (req.boundary_file, req.county, req.place) if x is not None]
    if len(given) != 1:
        raise FetchError(
            "give exactly one of --boundary-file FILE, --county GEOID or --place GEOID",
            hint="e.g. --county 25015 (Hampshire County, MA) or --boundary-file my_town.gpkg",
        )
    if req.county is not None:
        return county(req.county)
    if req.place is not None:
        return place(req.place, catalog, req.place_year)
    assert req.boundary_file is not None
    p = Path(req.boundary_file)
    frame = read_vector(p)
    return CensusBoundary(frame=frame, source=f"file {p.resolve()} (sha256 {sha256_file(p)})", state=None)


# ---- the pipeline -----------------------------------------------------------------------------------------
def fetch(req: FetchRequest, progress: Progress | None = None) -> FetchResult:
    """Fetch the layers of ``req`` into its data folder and add the region to the catalog.

    A fetch that fails leaves a labelled, resumable folder (``manifest.json`` ``state``), never a half region:
    :func:`learn.sources.manifest.record_failure`."""
    if not _REGION_NAME.fullmatch(req.region):
        raise FetchError(
            f"region name '{req.region}' may only hold letters, digits, '_' and '-'",
            hint="e.g. --region-name mytown",
        )
    if not 0 <= req.margin_m <= 100_000:
        raise FetchError(
            f"--margin-m {req.margin_m} is out of range", hint="give 0 to 100000 metres, e.g. 1000"
        )
    catalog = load_catalog(req.catalog_path)
    assert catalog.path is not None
    data_dir = (req.data_dir or catalog.base_dir / "data" / req.region).resolve()
    # One fetch at a time per data folder (its manifest is read, extended and written back).
    try:
        with exclusive(data_dir, what=f"the data folder {data_dir} (another learn fetch)", wait_s=0,
                       lock_file=fetch_lock_path(data_dir, cache_root())):  # fmt: skip
            run: dict[str, Any] = {}  # the data folder and manifest once they exist
            try:
                return _fetch(req, catalog, data_dir, progress, run)
            except BaseException as err:  # labelled while the folder is still ours
                if "manifest" in run:
                    record_failure(run["data_dir"], run["manifest"], err)
                raise
    except Exception as err:  # a full disk in a write without its own message (GDAL's, pyogrio's): exit 2
        if not isinstance(err, LearnError) and disk_full(err):
            os_err = err if isinstance(err, OSError) else OSError(errno.ENOSPC, str(err))
            raise output_error(getattr(err, "filename", None) or data_dir, os_err) from None
        raise


def _fetch(
    req: FetchRequest, catalog: Catalog, data_dir: Path, progress: Progress | None, run: dict[str, Any]
) -> FetchResult:
    assert catalog.path is not None
    plan, sources = plan_layers(catalog, req)  # no network, no file yet: bad years fail here
    contract = forest_code_contract(catalog, sources, req.forest_factors is not None)  # ready codes checked

    census = _boundary(req, catalog)
    label = req.county or req.place or str(req.boundary_file)
    frame = prepare(census.frame, census.frame.crs, Path(label).name)
    frame, id_field, name_field = pick_fields(
        frame.drop(columns="_repaired"), req.id_field, req.name_field or census.name_field
    )
    union = shapely.unary_union(frame.geometry.to_numpy())
    state = census.state or check_conus(union, frame.crs, label)
    if census.state is not None:
        check_conus(union, frame.crs, label)
    bx0, by0, bx1, by1 = (float(v) for v in frame.to_crs(TARGET_CRS).total_bounds)
    bounds = (bx0, by0, bx1, by1)

    old = read_manifest(data_dir)
    grid_key = {
        "boundary_bounds_5070": [round(v, 3) for v in bounds],
        "margin_m": req.margin_m,
        "aligned_to": plan[0].source.url,
    }
    old_grid = old.get("grid") if isinstance(old.get("grid"), dict) else None
    old_files: dict[str, Any] = old.get("files", {}) if old_grid and old_grid.get("key") == grid_key else {}
    todo = [p for p in plan if not _is_current(data_dir, p.name, old_files.get(p.name), p.source.url)]

    results: list[FileResult] = []
    # The sources' own GDAL options (e.g. AWS_REQUEST_PAYER for a requester-pays bucket) for opens and reads.
    source_options = dict(o for p in plan for o in p.source.gdal_options)
    with gdal_http_env(**source_options), contextlib.ExitStack() as stack:
        # Open every needed source first: unreachable URLs and boundaries outside the data fail before
        # anything is written.
        opened = {
            (p.name, i): stack.enter_context(open_source(s))
            for p in todo
            for i, s in enumerate(p.reads)
            if s.protocol not in _SERVICES
        }
        if old_files and old_grid is not None:
            ox, oy = old_grid["snapped_to_origin"]
            grid, origin = _grid_from_doc(old_grid), (float(ox), float(oy))
        elif plan[0].source.protocol == "wcs":
            origin = wcs_grid_origin(plan[0].source)
            grid = snapped_grid(bounds, req.margin_m, origin)
        else:
            first = opened.get((plan[0].name, 0)) or stack.enter_context(open_source(plan[0].source))
            origin = grid_origin(first)
            grid = snapped_grid(bounds, req.margin_m, origin)
        asked: dict[tuple[str, int], list[str]] = {}  # the exportImage requests per source (manifest)
        for p in todo:
            for i, s in enumerate(p.reads):
                tag = f"{p.layer} {s.when} ({s.dataset})".replace("  ", " ")
                if s.protocol == "wcs":  # a coverage service answers for the grid's box: ask it now
                    opened[p.name, i] = stack.enter_context(
                        open_wcs(s, grid, progress=_rows_progress(progress, tag))
                    )
                elif s.protocol == "arcgis_image":
                    asked[p.name, i] = []
                    opened[p.name, i] = stack.enter_context(
                        open_image_service(
                            s, grid, requests=asked[p.name, i], progress=_rows_progress(progress, tag)
                        )
                    )
                else:
                    _check_extent(opened[p.name, i], bounds, s, label)

        manifest = _new_manifest(
            old, req.region, req.years, catalog, census, id_field, name_field, state, grid, origin, grid_key
        )
        run.update(data_dir=data_dir, manifest=manifest)
        # Keep earlier files on this grid (other years too) that are still intact; planned ones are redone if not.
        manifest["files"] = {
            k: v for k, v in old_files.items() if _is_current(data_dir, k, v, str(v.get("url")))
        }
        data_dir.mkdir(parents=True, exist_ok=True)
        for p in plan:
            if p not in todo:
                entry = manifest["files"][p.name]
                results.append(
                    FileResult(p.name, p.layer, p.source.when, "skipped", entry["bytes"], entry["how"])
                )
                continue
            categorical = p.source.kind == "categorical"
            read = []
            for i, s in enumerate(p.reads):
                ds = opened[p.name, i]
                fill = fill_value(ds, categorical)
                tag = f"{p.layer} {s.when}".strip()
                array, how = read_onto_grid(
                    ds, grid, categorical=categorical, fill=fill, progress=_rows_progress(progress, tag)
                )
                if s.protocol in _SERVICES:
                    how = s.protocol  # the service's answer was already on the grid
                if not categorical and (ds.scales[0] != 1.0 or ds.offsets[0] != 0.0):
                    array, fill = unscaled(array, fill, ds.scales[0], ds.offsets[0])  # values, not steps
                if p.layer != "forest_age_type_region" or contract:
                    _check_domain(
                        "carbon_pool" if p.parts else p.layer, s, array, fill, asked.get((p.name, i))
                    )
                read.append((array, fill))
            if p.parts:  # a carbon layer: the sum of its pools
                array, fill = pools_sum.sum_pools(read), pools_sum.CARBON_NODATA
                how = f"sum of {len(p.parts)}: {how}"
            cmap = _colormap(ds) if categorical else None
            tags = {
                "SOURCE_URL": p.source.url,
                "DATASET": p.source.dataset,
                "VERSION": p.source.version or "",
            }
            scale = CARBON_STORAGE_SCALE if p.layer in CARBON_LAYERS else None  # decodes ~10x faster
            write_cog(data_dir / p.name, array, grid, nodata=fill, categorical=categorical, tags=tags,
                      colormap=cmap, storage_scale=scale)  # fmt: skip
            size = (data_dir / p.name).stat().st_size
            manifest["files"][p.name] = {
                "layer": p.layer,
                **(
                    p.source.as_manifest()
                    if not p.parts
                    else pools_sum.sum_manifest(
                        p.source, p.parts, [asked.get((p.name, i), []) for i in range(len(p.parts))]
                    )
                ),
                # The zip member actually found (when the catalog's was elsewhere) or the service's requests.
                "read_as": coverage_url(p.source, grid.bounds, grid.transform.a, grid.crs.to_string())
                if p.source.protocol == "wcs"
                else asked.get((p.name, 0), ds.name)
                if not p.parts
                else [],
                "how": how,
                "bytes": size,
                "sha256": sha256_file(data_dir / p.name),
                "written": _now(),
            }
            _write_manifest(data_dir, manifest)  # after each file: a killed run keeps what it finished
            results.append(FileResult(p.name, p.layer, p.source.when, "written", size, how))

    # The layers derived from the clips (forest code, disturbance periods): learn.sources.forest_layers.
    derived = derive_forest_layers(catalog, req.years, set(sources), data_dir, grid, manifest, _now)
    sources |= derived.sources
    results += [FileResult(n, layer, when, status, manifest["files"][n]["bytes"], "derived")  # type: ignore[arg-type]
                for n, (layer, when, status) in derived.files.items()]  # fmt: skip
    forest_factors, notes = req.forest_factors, derived.notes
    if forest_factors is None:  # a forest factor table derived from FIA for the boundary's states
        fia = derive_region_factors(catalog, _fia_states(census, union, frame.crs, state), data_dir, manifest,
                                    _now, progress)  # fmt: skip
        notes = [*notes, *fia.notes]
        if fia.path is not None:
            forest_factors = fia.path
            results.append(FileResult(fia.path.name, "forest_factors", "", fia.status,  # type: ignore[arg-type]
                                      fia.path.stat().st_size, "derived"))  # fmt: skip
    status, size = _write_boundary(data_dir, frame, manifest)
    results.append(FileResult(BOUNDARY_FILE, "boundaries", "", status, size, ""))
    _write_manifest(data_dir, manifest)
    entry = _region_entry(req.years, forest_factors, catalog, manifest, sources, data_dir, id_field,
                          name_field, state, census, notes, codes_contract=contract)  # fmt: skip
    changed = upsert_region(catalog.path, req.region, entry)
    mark_complete(manifest)  # the region is in the catalog: the folder is no longer a resumable cache
    _write_manifest(data_dir, manifest)
    default_catalog = catalog.path == (Path.cwd() / "data_catalog.yaml").resolve()
    start, end = req.years
    nxt = f"learn batch --region {req.region} --years {start} {end} --out outputs/{req.region}"
    if not default_catalog:
        nxt += f" --catalog {catalog.path}"
    return FetchResult(
        region=req.region,
        catalog_path=catalog.path,
        data_dir=data_dir,
        manifest_path=data_dir / MANIFEST,
        files=results,
        catalog_changed=changed,
        next_command=nxt,
        state=state,
    )


def _fia_states(census: CensusBoundary, union: Any, crs: Any, state: str | None) -> list[str]:
    """The states whose FIA plots give the region's factors: a county's or place's own, else every CONUS
    state holding at least 1 % of the boundary (a shared edge is no overlap)."""
    if census.state is not None:
        return [census.state]
    over = [(fp, st, km2) for fp, st, km2 in states_overlapping(union, crs) if fp not in NON_CONUS_FIPS]
    total = sum(km2 for *_, km2 in over)
    picked = [st for _, st, km2 in over if total and km2 >= 0.01 * total]
    return picked or ([state] if state else [])


def _check_domain(
    layer: str, src: SourceFile, array: Any, nodata: float | None, asked: list[str] | None
) -> None:
    """Refuse a read whose values break the layer's domain (:mod:`learn.sources.domains`): nothing is written."""
    fault = domain_fault(layer, array, nodata)
    if fault is not None:
        where = next((u for u in reversed(asked or []) if "/exportImage?" in u), src.url)
        raise FetchError(
            f"{layer} {src.when} from {src.dataset} {fault} (nodata {nodata}); refused, not stored — {where}".replace(
                "  ", " "
            ),
            hint="the source holds values this layer cannot have: check the dataset's scale, pixel_type and "
            'no_data in the catalog (docs/fetch.md "Domains"), or the service itself',
        )


def _rows_progress(progress: Progress | None, label: str) -> Callable[[int, int], None] | None:
    """Bind a layer's label to the (label, done, total) progress callback."""
    if progress is None:
        return None
    return lambda done, total: progress(label, done, total)


def _check_extent(ds: Any, bounds: tuple[float, ...], src: SourceFile, label: str) -> None:
    sx0, sy0, sx1, sy1 = source_bounds(ds)
    x0, y0, x1, y1 = bounds
    if x0 < sx0 or y0 < sy0 or x1 > sx1 or y1 > sy1:
        inside = not (x1 < sx0 or x0 > sx1 or y1 < sy0 or y0 > sy1)
        raise FetchError(
            f"boundary {label} {'extends beyond' if inside else 'lies outside'} the extent of {src.dataset} "
            f"{src.year} ({src.url}): boundary box {[round(v) for v in bounds]} vs data "
            f"{[round(v) for v in (sx0, sy0, sx1, sy1)]} (EPSG:5070, m)",
            hint="the NLCD CONUS products cover the lower 48 states; check the boundary's CRS and location "
            "and the dataset's extent",
        )


def _colormap(ds: Any) -> dict[int, tuple[int, ...]] | None:
    try:
        return dict(ds.colormap(1))
    except ValueError:  # the source has no colour table
        return None
