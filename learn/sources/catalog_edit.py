"""Add or replace a region in a catalog file, keeping its comments, order and style (ruamel.yaml).

The new document is validated with :func:`learn.sources.catalog.parse_catalog` before it replaces the file
(atomically), so a failed update leaves the catalog as it was. The read, the edit and the replacement run under
the catalog's exclusive lock (:mod:`learn.sources.locking`), and the file is read inside it: writers in several
processes (two ``learn fetch`` runs, prepare jobs) each add their region, none is lost.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from learn.errors import CatalogError
from learn.sources.catalog import parse_catalog, parse_yaml, read_catalog_text
from learn.sources.locking import exclusive
from learn.util import atomic_path, output_error


def _round_trip() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096  # never re-wrap long strings (descriptions, citations)
    return y


def _styled(value: Any) -> Any:
    """Plain data → ruamel nodes; lists of scalars in flow style (``[2011, 2019]``) as the catalog writes them."""
    if isinstance(value, dict):
        m = CommentedMap()
        for k, v in value.items():
            m[k] = _styled(v)
        return m
    if isinstance(value, list | tuple):
        s = CommentedSeq([_styled(v) for v in value])
        if all(not isinstance(v, dict | list | tuple) for v in value):
            s.fa.set_flow_style()
        return s
    return value


def relative_to_catalog(path: Path, catalog_path: Path) -> str:
    """``path`` relative to the catalog's folder when it lies below it, else absolute (POSIX slashes)."""
    base = catalog_path.resolve().parent
    p = path.resolve()
    try:
        return p.relative_to(base).as_posix()
    except ValueError:
        return p.as_posix()


def upsert_region(catalog_path: Path, name: str, entry: dict[str, Any]) -> bool:
    """Set ``regions.<name>`` to ``entry``; returns True when the file changed."""
    with exclusive(catalog_path, what=f"the catalog {catalog_path}"):
        return _upsert_locked(catalog_path, name, entry)


def _upsert_locked(catalog_path: Path, name: str, entry: dict[str, Any]) -> bool:
    y = _round_trip()
    text = read_catalog_text(catalog_path)
    try:
        doc = y.load(text)  # ruamel refuses repeated keys too (DuplicateKeyError)
    except YAMLError as err:
        raise CatalogError(
            f"catalog {catalog_path} is not valid YAML: {err}", hint="fix the line named above"
        ) from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise CatalogError(f"catalog {catalog_path}: the top level must be a mapping")
    regions = doc.get("regions")
    if regions is None:
        regions = doc["regions"] = CommentedMap()
    regions[name] = _styled(entry)
    buf = io.StringIO()
    y.dump(doc, buf)
    new_text = buf.getvalue()
    # Validate exactly what will be written (same loader as learn.sources.catalog.load_catalog).
    parse_catalog(
        parse_yaml(new_text, catalog_path),
        base_dir=catalog_path.resolve().parent,
        path=catalog_path.resolve(),
    )
    if new_text == text:
        return False
    mode = catalog_path.stat().st_mode & 0o777
    try:
        with atomic_path(catalog_path) as tmp:
            tmp.write_text(new_text, encoding="utf-8")
            os.chmod(tmp, mode)  # keep the catalog's permissions (the temp file is created 0600)
    except OSError as err:  # e.g. a full disk: the catalog stays as it was
        raise output_error(catalog_path, err, needed=len(new_text.encode())) from None
    return True
