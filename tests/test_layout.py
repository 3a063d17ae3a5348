"""The package layout stays true (docs/architecture.md): imports point one way, no import circle anywhere.

The stages, in the order the orchestrator calls them: ``sources`` (where data come from) → ``raster`` (one pass,
per-zone strata) → ``accounting`` (rows from strata and factors) → ``report`` (the model, and what renders it).
Below them the shared vocabulary (``base``); above them the orchestrator (``learn.pipeline``: the region, one
boundary's report, the batch, layers for maps) that nothing below imports, the analyses built on reports
(``learn.analyses``), the CLI and ``api/``. Every import counts — module level, inside a function, and under
``if TYPE_CHECKING:`` (a type-only import still ties two modules: the direction and circle checks see it).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LEARN = REPO / "learn"

#: Module → its stage. Anything under learn/ not named here is "top" (the package's public face: learn/__init__,
#: learn.mapping and the re-export modules learn.trend / learn.sensitivity).
BASE = {"learn._version", "learn.errors", "learn.util", "learn.landuse", "learn.layers", "learn.options"}
STAGE_PREFIXES = {
    "learn.raster": "raster",
    "learn.sources": "sources",
    "learn.report": "report",
    "learn.accounting": "accounting",
    "learn.demo": "demo",
    "learn.pipeline": "pipeline",
    "learn.analyses": "analyses",
    "learn.cli": "cli",
}
#: Stage → the stages its modules may import (besides their own).
ALLOWED = {
    "base": {"base"},
    "raster": {"base"},
    "sources": {"base", "raster"},
    "report": {"base"},
    "accounting": {"base"},
    "demo": {"base", "raster"},
    "pipeline": {"base", "raster", "sources", "accounting", "report"},
    "analyses": {"base", "raster", "sources", "accounting", "report", "pipeline"},
    "cli": {"base", "raster", "sources", "accounting", "report", "demo", "pipeline", "analyses", "top"},
    "top": {"base", "raster", "sources", "report", "accounting", "demo", "pipeline", "analyses", "top"},
}
#: Single modules a stage may import outside its allowed stages: the accounting stage builds the report model.
ALLOWED_MODULES = {"accounting": {"learn.report.models"}}
#: The one module of ``learn`` that may import ``api`` (``learn serve`` starts the web service).
API_IMPORTERS = {"learn.cli.serve"}
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


def imports_of(path: Path, type_only: bool = True) -> list[tuple[str, int]]:
    """(imported module, line) of every import in ``path``; ``from pkg import mod`` gives pkg.mod. With
    ``type_only=False`` the imports under ``if TYPE_CHECKING:`` (which never run) are left out."""
    tree = ast.parse(path.read_text(), str(path))
    skip = set() if type_only else _type_checking_lines(tree)
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
API_MODULES = package_modules(REPO / "api")


def internal_edges(modules: dict[str, Path] = MODULES, type_only: bool = True) -> dict[str, set[str]]:
    """Module → the modules of ``modules`` it imports (names that are not modules are dropped)."""
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges[name] = {m for m, _ in imports_of(path, type_only) if m in modules and m != name}
    return edges


def test_the_scan_sees_the_package() -> None:
    edges = internal_edges()
    assert {
        "learn.pipeline.region",
        "learn.raster.engine",
        "learn.accounting.inventory",
        "learn.report.models",
        "learn.report.model",
        "learn.sources.fia.download",
    } <= set(edges)
    assert "learn.raster.engine" in edges["learn.pipeline.region"]
    assert "learn.accounting.inventory" in edges["learn.pipeline.region"]
    assert "learn.report.model" in edges["learn.report.frames"]  # type-only imports are seen
    assert "learn.report.model" not in internal_edges(type_only=False)["learn.report.frames"]


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
    """No circle of imports that run (module level or in a function)."""
    cycle = find_cycle(internal_edges(type_only=False))
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_no_import_cycle_inside_learn_counting_type_only_imports() -> None:
    """No circle either when ``if TYPE_CHECKING:`` imports count: a helper handed a region types it with
    :class:`learn.pipeline.region_view.RegionView`, the model's shares read rows through a protocol."""
    cycle = find_cycle(internal_edges())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_no_import_cycle_inside_api() -> None:
    cycle = find_cycle(internal_edges(API_MODULES))
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_stages_form_no_circle() -> None:
    """Between stages (every import, type-only ones too) the graph has no circle: each stage sits above those
    it imports."""
    stages: dict[str, set[str]] = {}
    for name, targets in internal_edges().items():
        stages.setdefault(stage_of(name), set()).update(
            stage_of(t)
            for t in targets
            if stage_of(t) != stage_of(name) and t not in ALLOWED_MODULES.get(stage_of(name), ())
        )
    cycle = find_cycle(stages)
    assert cycle is None, "stages in a circle: " + " → ".join(cycle or [])
    assert find_cycle({s: allowed - {s} for s, allowed in ALLOWED.items()}) is None


def wrong_way(name: str, imports: list[tuple[str, int]], where: str) -> list[str]:
    """The imports of module ``name`` that point the wrong way (or use a library its stage must not)."""
    stage = stage_of(name)
    allowed = ALLOWED[stage] | {stage}
    wrong = []
    for target, line in imports:
        if target in MODULES and target != "learn":
            if stage_of(target) not in allowed and target not in ALLOWED_MODULES.get(stage, ()):
                wrong.append(f"{where}:{line} ({stage}) imports {target} ({stage_of(target)})")
        elif target == "learn" and stage not in ("top", "cli", "analyses"):
            wrong.append(f"{where}:{line} ({stage}) imports the top-level package")
        root = target.split(".")[0]
        if root in FORBIDDEN_LIBRARIES.get(stage, ()):
            wrong.append(f"{where}:{line} ({stage}) uses {root}")
        if root == "api" and name not in API_IMPORTERS:
            wrong.append(f"{where}:{line} imports the web service")
    return wrong


def test_stages_import_only_downstream() -> None:
    wrong = []
    for name, path in MODULES.items():
        wrong += wrong_way(name, imports_of(path), str(path.relative_to(REPO)))
    assert not wrong, "\n".join(wrong)


def test_the_direction_check_can_fail() -> None:
    assert stage_of("learn.raster.engine") == "raster"
    assert stage_of("learn.pipeline.region") == "pipeline"
    assert stage_of("learn.analyses.trend") == "analyses"
    assert stage_of("learn.sources.fia.download") == "sources"
    assert "accounting" not in ALLOWED["raster"] and "report" not in ALLOWED["raster"]
    assert "raster" not in ALLOWED["accounting"] and "sources" not in ALLOWED["accounting"]
    assert "accounting" not in ALLOWED["report"]
    for stage in ("base", "raster", "sources", "accounting", "report", "demo"):
        assert "pipeline" not in ALLOWED[stage] and "analyses" not in ALLOWED[stage]
    assert "analyses" not in ALLOWED["pipeline"]
    # A wrong-way import, made up: the raster stage reaching for the orchestrator, the model for a renderer.
    assert wrong_way("learn.raster.engine", [("learn.pipeline.region", 1)], "x.py")
    assert wrong_way("learn.sources.fia.download", [("learn.accounting.inventory", 1)], "x.py")
    assert wrong_way("learn.pipeline.batch", [("learn.analyses.trend", 1)], "x.py")
    assert wrong_way("learn.report.model", [("learn.pipeline.region", 1)], "x.py")
    assert not wrong_way("learn.pipeline.region", [("learn.raster.engine", 1)], "x.py")


def test_the_cycle_check_can_fail() -> None:
    """A made-up type-only import from the model back to what renders it makes a circle the check finds."""
    edges = internal_edges()
    assert find_cycle(edges) is None
    edges["learn.report.model"] = edges["learn.report.model"] | {"learn.report.frames"}
    edges["learn.report.frames"] = edges["learn.report.frames"] | {"learn.report.model"}
    assert find_cycle(edges) is not None
    api = internal_edges(API_MODULES)
    api["api.prepare"] = api["api.prepare"] | {"api.service"}
    assert find_cycle(api) is not None


def test_the_report_model_imports_nothing_that_renders_it() -> None:
    renderers = {
        m
        for m in MODULES
        if m.startswith("learn.report.") and m not in {"learn.report.model", "learn.report.shares"}
    }
    reached = internal_edges()["learn.report.model"] | internal_edges()["learn.report.shares"]
    assert not reached & renderers, sorted(reached & renderers)


def test_api_prepare_and_service_are_untied() -> None:
    edges = internal_edges(API_MODULES)
    assert "api.prepare" in edges["api.service"]
    assert "api.service" not in edges["api.prepare"]


def test_learn_root_holds_at_most_8_modules() -> None:
    """``learn/`` holds the shared vocabulary and the public face; the rest lives in the stage packages."""
    root = sorted(p.stem for p in LEARN.glob("*.py") if p.stem not in {"__init__", "_version"})
    assert len(root) <= 8, root


def test_sources_has_a_package_per_provider() -> None:
    packages = {p.parent.name for p in (LEARN / "sources").glob("*/__init__.py")}
    assert {"arcgis", "census", "fia", "nlcd"} <= packages


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("learn.trend", "learn.analyses.trend"),
        ("learn.sensitivity", "learn.analyses.sensitivity"),
    ],
)
def test_old_import_paths_still_work(old: str, new: str) -> None:
    """docs/python_api.md, README and the notebooks import from these paths: the same objects."""
    old_mod, new_mod = importlib.import_module(old), importlib.import_module(new)
    for name in old_mod.__all__:
        assert getattr(old_mod, name) is getattr(new_mod, name)


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
    assert n <= 400, f"{path.relative_to(REPO)} has {n} lines: split it by job"
