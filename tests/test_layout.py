"""The package layout stays true: no import circles inside ``learn``, and imports point one way between the stages.

The stages (README "Layout"): shared vocabulary → raster stage → data access (``sources``, which writes onto the
raster stage's grid); report models and writers; the accounting stage (tables in, report rows out); the Python API
and the CLI on top; ``api/`` over ``learn``'s public modules. Every import counts — module level or inside a
function — except those under ``if TYPE_CHECKING:``, which never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEARN = REPO / "learn"

#: Module → its stage. Anything under learn/ not named here is "top" (the Python API, batch, CLI).
BASE = {"learn._version", "learn.errors", "learn.util", "learn.landuse", "learn.layers", "learn.options"}
STAGE_PREFIXES = {
    "learn.raster": "raster",
    "learn.sources": "sources",
    "learn.report": "report",
    "learn.accounting": "accounting",
    "learn.demo": "demo",
}
#: Stage → the stages its modules may import (besides their own).
ALLOWED = {
    "base": {"base"},
    "raster": {"base"},
    "sources": {"base", "raster"},
    "report": {"base"},
    "accounting": {"base"},
    "demo": {"base", "raster"},
    "top": {"base", "raster", "sources", "report", "accounting", "demo", "top"},
}
#: Single modules a stage may import outside its allowed stages: the accounting stage builds the report model.
ALLOWED_MODULES = {"accounting": {"learn.report.models"}}
#: Third-party libraries a stage must not use: the accounting stage never reads rasters or writes files;
#: the report package presents results and never runs the raster stage.
FORBIDDEN_LIBRARIES = {
    "accounting": {
        "rasterio",
        "rioxarray",
        "exactextract",
        "numba",
        "geopandas",
        "pyogrio",
        "openpyxl",
        "xlsxwriter",
        "matplotlib",
    },
    "report": {"numba", "exactextract", "distributed"},
    "raster": {"openpyxl", "xlsxwriter", "matplotlib", "jinja2"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> str:
    if module in BASE:
        return "base"
    for prefix, stage in STAGE_PREFIXES.items():
        if module == prefix or module.startswith(prefix + "."):
            return stage
    return "top"


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) of every executed import in ``path``; ``from pkg import mod`` gives pkg.mod."""
    tree = ast.parse(path.read_text(), str(path))
    skip = _type_checking_lines(tree)
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno))
            out.extend((f"{node.module}.{a.name}", node.lineno) for a in node.names)
    return out


def package_modules(root: Path) -> dict[str, Path]:
    return {module_name(p): p for p in root.rglob("*.py")}


MODULES = package_modules(LEARN)


def internal_edges() -> dict[str, set[str]]:
    """Module → the ``learn`` modules it imports (names that are not modules are dropped)."""
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = {m for m, _ in imports_of(path) if m in MODULES and m != name}
        edges[name] = targets
    return edges


def test_the_scan_sees_the_package() -> None:
    edges = internal_edges()
    assert {
        "learn.pipeline.region",
        "learn.raster.engine",
        "learn.accounting.inventory",
        "learn.report.models",
    } <= set(edges)
    assert "learn.raster.engine" in edges["learn.pipeline.region"]
    assert "learn.accounting.inventory" in edges["learn.pipeline.region"]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``edges`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_inside_learn() -> None:
    cycle = find_cycle(internal_edges())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_stages_import_only_downstream() -> None:
    wrong = []
    for name, path in MODULES.items():
        stage = stage_of(name)
        allowed = ALLOWED[stage] | {stage}
        for target, line in imports_of(path):
            if target in MODULES and target != "learn":
                if stage_of(target) not in allowed and target not in ALLOWED_MODULES.get(stage, ()):
                    wrong.append(
                        f"{path.relative_to(REPO)}:{line} ({stage}) imports {target} ({stage_of(target)})"
                    )
            elif target == "learn" and stage != "top":
                wrong.append(f"{path.relative_to(REPO)}:{line} ({stage}) imports the top-level package")
            root = target.split(".")[0]
            if root in FORBIDDEN_LIBRARIES.get(stage, ()):
                wrong.append(f"{path.relative_to(REPO)}:{line} ({stage}) uses {root}")
            if root == "api" and name != "learn.cli.serve":
                wrong.append(f"{path.relative_to(REPO)}:{line} imports the web service")
    assert not wrong, "\n".join(wrong)


def test_the_direction_check_can_fail() -> None:
    assert stage_of("learn.raster.engine") == "raster"
    assert "accounting" not in ALLOWED["raster"] and "report" not in ALLOWED["raster"]
    assert "raster" not in ALLOWED["accounting"] and "sources" not in ALLOWED["accounting"]
    assert "accounting" not in ALLOWED["report"]
    assert stage_of("learn.pipeline.region") == "top"


def test_api_uses_public_modules_of_learn_only() -> None:
    wrong = []
    for path in (REPO / "api").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "learn":
                private = [p for p in node.module.split(".") if p.startswith("_")]
                private += [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                if private:
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno} imports {node.module} {private}")
    assert not wrong, "\n".join(wrong)


def test_public_names_resolve() -> None:
    import learn

    assert sorted(learn.__all__) == sorted(["__version__", *learn._EXPORTS])
    for name in learn.__all__:
        assert getattr(learn, name) is not None
    with pytest.raises(AttributeError):
        _ = learn.no_such_name  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "module",
    sorted(p.relative_to(REPO).as_posix() for d in ("learn", "api") for p in (REPO / d).rglob("*.py")),
)
def test_no_module_over_400_lines(module: str) -> None:
    path = REPO / module
    n = len(path.read_text().splitlines())
    assert n <= 420, f"{path.relative_to(REPO)} has {n} lines: split it by job"
