"""Boundary ids and names without reading geometries: what ``learn catalog`` lists, in milliseconds.

A GeoPackage is an SQLite database (OGC 12-128r18), so its attribute columns are read with the standard
library's ``sqlite3`` — no geopandas, which takes seconds to import. Any other format, or anything this
reader does not find as expected (no such layer or field, repeated ids), returns None and the caller reads
the file the full way (:func:`learn.sources.boundaries.load_boundary_set`), which also reports the fault.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def gpkg_labels(
    path: Path, id_field: str, name_field: str, layer: str | None = None
) -> list[tuple[str, str]] | None:
    """(id, name) of every feature of a GeoPackage layer, in file order, as text; None when it cannot tell."""
    if path.suffix.lower() != ".gpkg" or not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as db:
            tables = [
                r[0]
                for r in db.execute(
                    "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid"
                )
            ]
            table = layer if layer is not None else (tables[0] if tables else None)
            if table is None or table not in tables:
                return None
            rows = db.execute(
                f"SELECT {_quoted(id_field)}, {_quoted(name_field)} FROM {_quoted(table)} ORDER BY rowid"
            ).fetchall()
    except sqlite3.Error:
        return None
    labels = [(str(i), str(n)) for i, n in rows]
    if not labels or len({i for i, _ in labels}) != len(labels) or any(i is None for i, _ in rows):
        return None
    return labels
