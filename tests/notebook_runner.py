"""Execute a notebook top to bottom in a fresh Jupyter kernel (nbclient), as a researcher would.

The kernel runs in the notebook's own folder and inherits this process's environment plus ``env``
(e.g. ``LEARN_CATALOG`` pointing at a test catalog). A failing cell raises
``nbclient.exceptions.CellExecutionError`` with the cell's traceback.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def execute_notebook(
    path: Path, *, env: Mapping[str, str] | None = None, timeout_s: int = 600
) -> nbformat.NotebookNode:
    """Run every cell of ``path``; returns the executed notebook (outputs filled in)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute(env={**os.environ, **(env or {})})
    return nb


def output_text(nb: nbformat.NotebookNode) -> str:
    """Everything the notebook printed or displayed as text (stream and text/plain outputs)."""
    parts: list[str] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif "data" in out:
                parts.append(str(out["data"].get("text/plain", "")))
    return "\n".join(parts)
