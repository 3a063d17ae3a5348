"""Display names for counties fetched before ``learn fetch`` wrote them (issue 26).

A county fetched now has a ``LABEL`` column ("Hampshire County, MA") that its catalog entry names as the
``name_field``. A county fetched by an earlier version has only Census' bare ``NAME`` ("Hampshire") and a catalog
entry naming it: such a region reads with the same display names, so the map, the reports and the API name it
one way whichever version fetched it. Which boundary files are such counties, the manifest next to the file says
(its ``boundary.source`` is the Census county file); any other file keeps its own names.
"""

from __future__ import annotations

import json
from pathlib import Path

from learn.sources.census.tiger import COUNTY_SOURCE, county_labels
from learn.sources.manifest import MANIFEST


def legacy_county_names(boundary_path: Path, name_field: str) -> dict[str, str] | None:
    """The display names by GEOID for a boundary file an earlier ``learn fetch --county`` wrote, whose catalog
    entry names Census' bare ``NAME``; None for any other boundary file (its names stay as they are)."""
    if name_field != "NAME":
        return None
    try:
        doc = json.loads((boundary_path.parent / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    b = doc.get("boundary") if isinstance(doc, dict) else None
    if not isinstance(b, dict) or b.get("path") != boundary_path.name or b.get("name_field") != "NAME":
        return None
    if not str(b.get("source", "")).startswith(COUNTY_SOURCE):
        return None
    return county_labels()
