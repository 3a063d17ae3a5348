"""Which reports of an earlier ``learn batch`` run into the same folder can be reused, and under which name.

A report's file is named after its exact boundary id: a readable slug plus a short hash of the id
(``A_1-5d41402abc4b.json``), so ids that differ only in punctuation (``A 1``, ``A_1``, ``A/1``) never share a
file. The period's ``keys.jsonl`` holds, one line per report, the *inputs key* it was computed from and the sha256
of the report file (an append-only log: a line is added after its report is written, so a run killed half-way
leaves at worst a report without a line, recomputed next time, or a partial last line, ignored; the last line of a
boundary counts; at the end of the period the log is rewritten with one line per boundary). The key is a digest of everything that determines the report's numbers and labels: the software
version, the catalog file and the region's entry, the period, the options, each layer file of the period
(resolved path, size and modification time), the factor tables (sha256) and the boundary (id, name, state,
repair flag and geometry). A report is reused only when its key equals the key of the current inputs and the
report file is the one the key was written for; anything else is recomputed.

Layer files are identified by size and modification time (nanoseconds), not by a digest of their bytes:
layers are multi-gigabyte COGs and hashing them on every run would read them in full, as much work as the
raster pass the reuse saves. Rewriting or replacing a file changes its modification time; ``touch FILE``
forces a recomputation. Factor tables and boundaries are small and are keyed on their content.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import shapely
from pydantic import ValidationError

from learn._version import __version__
from learn.report.models import Report

if TYPE_CHECKING:
    from learn.options import InventoryOptions
    from learn.pipeline.region_view import PeriodLayers
    from learn.pipeline.region_view import RegionView as Region
    from learn.sources.boundaries import BoundarySet

#: The log (inside each ``START_END`` folder) of the reports' inputs keys, one JSON line per report written.
KEYS_LOG = "keys.jsonl"
#: Bumped whenever the report gains or changes content within one software version (2: harvest_by_severity),
#: so a rerun never reuses a report written in an older layout.
REPORT_LAYOUT = 2

ReuseStatus = Literal["reused", "inputs_changed", "missing"]


def safe_name(boundary_id: str) -> str:
    """``boundary_id`` with every character but letters, digits, ``-``, ``_`` and ``.`` replaced by ``_``
    (readable, not unique: see :func:`report_file_name`)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in boundary_id)


def report_file_name(boundary_id: str) -> str:
    """The report file of a boundary: readable slug + hash of the exact id (unique per id, any file system)."""
    digest = hashlib.sha256(boundary_id.encode("utf-8")).hexdigest()[:12]
    return f"{safe_name(boundary_id)[:80]}-{digest}.json"  # 80: far below the 255-byte file-name limit


def file_identity(path: Path) -> dict[str, Any]:
    """What identifies a layer file without reading it: resolved path, size, modification time (ns)."""
    try:
        st = os.stat(path)
    except OSError:
        return {"path": str(path), "exists": False}  # the raster pass reports the fault, if it needs the file
    return {"path": str(Path(path).resolve()), "bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def _identified(value: Any) -> Any:
    """A period's layers as plain data, every file replaced by its :func:`file_identity`."""
    if isinstance(value, Path):
        return file_identity(value)
    if isinstance(value, list | tuple):
        return [_identified(v) for v in value]
    if isinstance(value, dict):
        return {k: _identified(v) for k, v in value.items()}
    return value


def period_inputs(region: Region, layers: PeriodLayers, options: InventoryOptions) -> dict[str, Any]:
    """Everything but the boundary that a report of ``region`` for one period depends on (plain JSON data)."""
    tables = {
        "forest": region.forest_factors.sha256 if region.forest_factors else None,
        "trees_outside_forest": region.tof_factors.sha256 if region.tof_factors else None,
    }
    return {
        "software_version": __version__,
        "report_layout": REPORT_LAYOUT,
        "catalog": str(region.catalog.path),
        "region": region.name,
        # The description never reaches a report; every other field of the entry may.
        "region_entry": region.spec.model_dump(mode="json", exclude={"description"}),
        "period": [layers.start, layers.end],
        "options": options.as_dict(),
        "layers": {f.name: _identified(getattr(layers, f.name)) for f in dataclasses.fields(layers)},
        "factor_tables": tables,
    }


def inputs_keys(inputs: dict[str, Any], bset: BoundarySet) -> dict[str, str]:
    """Boundary id → the inputs key of its report: ``inputs`` (:func:`period_inputs`) and the boundary."""
    frame = bset.frame
    period = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    states = frame["state"].tolist() if "state" in frame else [None] * len(frame)
    repaired = frame["_repaired"].tolist() if "_repaired" in frame else [False] * len(frame)
    wkb = shapely.to_wkb(np.asarray(frame.geometry.to_numpy()), byte_order=1, include_srid=False)
    keys = {}
    for bid, name, state, rep, geom in zip(frame["id"], frame["name"], states, repaired, wkb, strict=True):
        h = hashlib.sha256(period.encode())
        h.update(json.dumps([bid, name, state, bool(rep)]).encode())
        h.update(geom)
        keys[bid] = h.hexdigest()
    return keys


@dataclass(frozen=True)
class ReportFiles:
    """Where one period's reports and their inputs keys are (``DIR/START_END``)."""

    folder: Path

    def report(self, boundary_id: str) -> Path:
        return self.folder / report_file_name(boundary_id)

    @property
    def keys_log(self) -> Path:
        return self.folder / KEYS_LOG

    def key_line(self, boundary_id: str, inputs_key: str, report_text: str) -> str:
        """The log line of a report just computed: its boundary, its inputs key, the sha256 of its file."""
        digest = hashlib.sha256(report_text.encode("utf-8")).hexdigest()
        line = {"boundary_id": boundary_id, "inputs_key": inputs_key, "report_sha256": digest}
        return json.dumps(line, separators=(",", ":")) + "\n"

    def stored_keys(self) -> dict[str, dict[str, Any]]:
        """Boundary id → its last whole line in the log (none when there is no log)."""
        try:
            text = self.keys_log.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return {}
        out: dict[str, dict[str, Any]] = {}
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill
            if isinstance(entry, dict) and isinstance(entry.get("boundary_id"), str):
                out[entry["boundary_id"]] = entry
        return out

    def reusable(
        self, boundary_id: str, inputs_key: str, stored: dict[str, dict[str, Any]]
    ) -> tuple[ReuseStatus, Report | None]:
        """The stored report of ``boundary_id`` when it was computed from ``inputs_key`` (``stored``:
        :meth:`stored_keys`).

        ``missing``: no usable report (none, unreadable, or no key saying what computed it);
        ``inputs_changed``: a report computed from other inputs; ``reused``: the report.
        """
        try:
            key = stored.get(boundary_id)
            if key is None:
                return "missing", None  # no line saying what computed it
            data = self.report(boundary_id).read_bytes()
            report = Report.model_validate_json(data)
        except (OSError, ValueError, ValidationError):
            return "missing", None  # absent, killed half-way or unreadable leftovers: recomputed
        if key.get("report_sha256") != hashlib.sha256(data).hexdigest():
            return "missing", None  # the key was written for another version of this file
        if (
            key.get("inputs_key") != inputs_key
            or key.get("boundary_id") != boundary_id
            or report.boundary.id != boundary_id
        ):
            return "inputs_changed", None
        return "reused", report
