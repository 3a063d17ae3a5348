"""Per-boundary deliverables of a batch (``learn batch --per-boundary csv,xlsx,pdf``): each boundary's report
written by the single-boundary writers of ``learn inventory`` (:func:`learn.report.export.write_report`: LEARN's
4-table CSV, the workbook, the printable PDF with its locator map, …) into ``DIR/per_boundary/``.

File names are readable: ``<id>_<name>_<start>_<end>.<ext>`` (:func:`file_stems`; ASCII letters, digits, ``.``,
``-`` and ``_`` only). Two boundaries whose names would be equal — ids that differ only in punctuation or
case, for a case-insensitive disk — both get a short hash of their exact id appended, so every boundary keeps
its own file on any file system.

Resumable as the reports are: beside each file, ``per_boundary/.keys/<file>.json`` records the inputs key of
the report it was written from (:mod:`learn.pipeline.batch_reuse`), the format, the paper and the sha256 of the file.
A rerun rewrites only files whose key differs (inputs changed, another paper) or that are missing or altered.
Files of the run's periods that were not asked for this time (another format, a boundary no longer in the
set) are removed with their keys, so the folder agrees with the reports; files of other periods are kept.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from learn.errors import LearnError
from learn.pipeline.batch_tables import writing
from learn.report.models import Report
from learn.util import ascii_name, write_text_atomic

if TYPE_CHECKING:
    from learn.pipeline.region_view import RegionView as Region
    from learn.sources.boundaries import BoundarySet

#: The folder (inside the batch's output folder) of the per-boundary files, and of their keys inside it.
FOLDER = "per_boundary"
KEYS = ".keys"
#: ``--per-boundary`` name → file extension; every name is a format of ``learn inventory --format``.
PER_BOUNDARY_EXT: dict[str, str] = {
    "csv": ".csv",
    "xlsx": ".xlsx",
    "pdf": ".pdf",
    "html": ".html",
    "tidy-csv": ".tidy.csv",
    "json": ".json",
}
PER_BOUNDARY_FORMATS: tuple[str, ...] = tuple(PER_BOUNDARY_EXT)

Progress = Callable[[str, int, int], None]


def check_per_boundary(formats: Iterable[str] | str | None) -> tuple[str, ...]:
    """The per-boundary formats asked for, in :data:`PER_BOUNDARY_FORMATS` order (None: none); a
    comma-separated string is split. An unknown name is a :class:`LearnError` naming it and the choices."""
    if formats is None:
        return ()
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    asked = {n.strip().lower() for n in names if n.strip()}
    unknown = sorted(asked - set(PER_BOUNDARY_FORMATS))
    if unknown:
        raise LearnError(
            f"unknown per-boundary format{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}",
            hint=f"--per-boundary takes a comma-separated list of {', '.join(PER_BOUNDARY_FORMATS)}",
        )
    return tuple(f for f in PER_BOUNDARY_FORMATS if f in asked)


def _ascii(text: str) -> str:
    """``text`` with accents dropped (``Ñandú`` → ``Nandu``), then :func:`learn.util.ascii_name`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return ascii_name(plain)


def file_stems(boundaries: Sequence[tuple[str, str | None]], start: int, end: int) -> dict[str, str]:
    """Boundary id → ``<id>_<name>_<start>_<end>`` for ``(id, name)`` pairs: readable, safe on any file
    system, unique ignoring case (colliding stems get ``-<hash of the exact id>``)."""
    stems: dict[str, str] = {}
    for bid, name in boundaries:
        parts = [_ascii(bid)[:40] or "id", _ascii(name or "")[:60], str(start), str(end)]
        stems[bid] = "_".join(p for p in parts if p)
    seen: dict[str, int] = {}
    for stem in stems.values():
        seen[stem.lower()] = seen.get(stem.lower(), 0) + 1
    for bid, stem in stems.items():
        if seen[stem.lower()] > 1:
            digest = hashlib.sha256(bid.encode("utf-8")).hexdigest()[:8]
            stems[bid] = f"{stem}-{digest}"
    return stems


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _key(bid: str, period: tuple[int, int], fmt: str, paper: str | None, inputs_key: str) -> dict[str, Any]:
    return {
        "boundary_id": bid,
        "period": list(period),
        "format": fmt,
        "paper": paper,
        "inputs_key": inputs_key,
    }


def _is_current(target: Path, key_path: Path, want: dict[str, Any]) -> bool:
    """Whether ``target`` was written from the same inputs (its key matches) and is unaltered."""
    try:
        stored = json.loads(key_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stored, dict) or {k: stored.get(k) for k in want} != want:
        return False
    return stored.get("file_sha256") is not None and stored.get("file_sha256") == _sha256(target)


def write_per_boundary(
    region: Region,
    bset: BoundarySet,
    reports: dict[str, Report],
    inputs_keys: dict[str, str],
    period: tuple[int, int],
    out: Path,
    formats: Sequence[str],
    *,
    paper: str = "letter",
    progress: Progress | None = None,
) -> tuple[dict[str, dict[str, str]], int]:
    """Write (or keep) the files of ``formats`` for every report of one period. Returns boundary id →
    format → path relative to ``out`` (what the manifest lists) and the number of files written."""
    from learn.report.export import write_report

    if not formats:
        return {}, 0
    folder = out / FOLDER
    ids = [bid for bid in bset.ids() if bid in reports]
    stems = file_stems([(bid, reports[bid].boundary.name) for bid in ids], *period)
    shapes = dict(zip(ids, bset.get_many(ids), strict=True)) if "pdf" in formats else {}  # the PDFs' maps
    listed: dict[str, dict[str, str]] = {}
    written, total, done = 0, len(ids) * len(formats), 0
    for bid in ids:
        listed[bid] = {}
        for fmt in formats:
            name = stems[bid] + PER_BOUNDARY_EXT[fmt]
            target, key_path = folder / name, folder / KEYS / f"{name}.json"
            want = _key(bid, period, fmt, paper if fmt == "pdf" else None, inputs_keys[bid])
            if not _is_current(target, key_path, want):
                locator = None
                if fmt == "pdf":  # page 1's map: the boundary over the period's forest change
                    from learn.pipeline.region_map import locator_map

                    locator = locator_map(region, shapes[bid], *period)
                with writing(target):
                    write_report(reports[bid], target, fmt, paper=paper, locator=locator)
                # The file first, then the key vouching for it: a kill in between leaves a file without a
                # key, which the next run writes again.
                with writing(key_path):
                    write_text_atomic(
                        key_path, json.dumps({**want, "file_sha256": _sha256(target)}, indent=2)
                    )
                written += 1
            listed[bid][fmt] = f"{FOLDER}/{name}"
            done += 1
            if progress:
                progress(f"{period[0]}–{period[1]} per-boundary files", done, total)
    return listed, written


def remove_stale(out: Path, periods: Iterable[tuple[int, int]], kept: set[str]) -> None:
    """Remove the per-boundary files (and keys) of ``periods`` that are not in ``kept`` (paths relative to
    ``out``): left by an earlier run with other formats or boundaries. Files of other periods stay."""
    keys = out / FOLDER / KEYS
    if not keys.is_dir():
        return
    wanted = [list(p) for p in periods]
    for key_path in sorted(keys.glob("*.json")):
        name = key_path.name.removesuffix(".json")
        try:
            stored = json.loads(key_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = None
        if not isinstance(stored, dict) or stored.get("period") not in wanted or f"{FOLDER}/{name}" in kept:
            continue
        for path in (out / FOLDER / name, key_path):
            with writing(path):
                path.unlink(missing_ok=True)
