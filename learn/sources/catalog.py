"""The data catalog (``data_catalog.yaml``): public datasets and ready-to-compute regions.

Validated with pydantic; every problem is reported with its YAML path. Relative paths resolve
against the catalog file's folder.
"""

from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from learn.errors import CatalogError
from learn.layers import LAYER_NAMES


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetSpec(BaseModel):
    """A real public data source that ``learn fetch`` can clip."""

    model_config = ConfigDict(extra="allow", frozen=True)

    title: str
    href: str | list[str] = Field(
        description="URL or URL template; {year} / {start} / {end} are filled in; a list (ArcGIS image "
        "services only): the same service on other hosts, tried in turn when one refuses"
    )
    kind: Literal["categorical", "continuous", "vector", "table"]
    license: str
    citation: str
    years: list[int] | None = None
    periods: list[tuple[int, int]] | None = None
    crs: str | None = None
    resolution: float | None = Field(default=None, description="pixel size, metres")
    format: str | None = None
    units: str | None = None


class NotEstimated(_Model):
    """A disturbance type a region's disturbance layer cannot say for one period (its pixels hold 0 for
    it, which must not be read as "none"): the report gives that row no number and says why."""

    period: tuple[int, int]
    term: Literal["fire", "insect"]
    reason: str


class LayerSpec(_Model):
    """One raster layer of a region, on the region's grid."""

    path: str
    years: list[int] | None = None
    periods: list[tuple[int, int]] | None = None
    units: Literal["percent", "fraction", "t C/ha", "class"] | None = None
    source: str | None = Field(default=None, description="dataset key or free text saying where it came from")
    version: str | None = None
    not_estimated: list[NotEstimated] | None = Field(
        default=None,
        description="disturbance layer only: the periods' disturbance types the sources could not say "
        "(written by learn fetch); their report rows are not estimated, with the reason",
    )
    codes: Literal["state_type_age"] | None = Field(
        default=None,
        description="forest_age_type_region only: 'state_type_age' declares the forest code contract (state "
        "FIPS x 100000 + TYPGRPCD x 10 + age class 1-3, docs/method.md 1.6; written by learn fetch); the "
        "layer's values are checked against it before an inventory reads them",
    )

    @field_validator("years")
    @classmethod
    def _sorted_unique(cls, v: list[int] | None) -> list[int] | None:
        if v is not None:
            if len(set(v)) != len(v):
                raise ValueError("years are repeated")
            return sorted(v)
        return v

    @field_validator("periods")
    @classmethod
    def _periods_ordered(cls, v: list[tuple[int, int]] | None) -> list[tuple[int, int]] | None:
        if v is not None:
            for start, end in v:
                if start >= end:
                    raise ValueError(f"period [{start}, {end}] must have start < end")
        return v


class BoundarySpec(_Model):
    path: str
    id_field: str
    name_field: str = Field(description="column with the boundary's name (default: the id field)")
    layer: str | None = None
    state_field: str | None = Field(
        default=None, description="column with the state postal code (TOF factors)"
    )
    kind_field: str | None = Field(default=None, description="column saying county / place / ...")

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_id(cls, data: Any) -> Any:
        # A boundary file without a name column is still usable: the id doubles as the name.
        if isinstance(data, dict) and data.get("name_field") is None and "id_field" in data:
            return {**data, "name_field": data["id_field"]}
        return data


class FactorSpec(_Model):
    forest: str | None = None
    trees_outside_forest: str | None = None


#: The ``{placeholders}`` each layer's path may use (filled in per year or disturbance period).
PATH_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "land_cover": frozenset({"year"}),
    "tree_canopy": frozenset({"year"}),
    "disturbance": frozenset({"start", "end"}),
}


def _placeholder_fault(layer: str, path: str) -> str | None:
    """Why ``path`` cannot be filled in for ``layer`` (an unknown or malformed ``{...}``), or None."""
    allowed = PATH_PLACEHOLDERS.get(layer, frozenset())
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(path) if name is not None]
    except ValueError as err:  # e.g. a lone "{" or "}"
        return f"layer '{layer}': path '{path}' is not a valid template ({err}); write a literal brace as {{{{ or }}}}"
    unknown = sorted({n for n in names if n not in allowed})
    if not unknown:
        return None
    use = ", ".join(f"{{{a}}}" for a in sorted(allowed)) if allowed else "none"
    shown = ", ".join(f"{{{n}}}" for n in unknown)
    return f"layer '{layer}': path '{path}' uses unknown placeholder(s) {shown}; this layer may use: {use}"


class RegionSpec(_Model):
    description: str = ""
    synthetic: bool = False
    state: str | None = Field(default=None, description="state postal code used when boundaries carry none")
    default_period: tuple[int, int] | None = None
    layers: dict[str, LayerSpec]
    boundaries: BoundarySpec
    factors: FactorSpec = FactorSpec()

    @field_validator("layers", mode="before")
    @classmethod
    def _known_layers(cls, v: Any) -> Any:
        if isinstance(v, dict):
            unknown = sorted(set(v) - set(LAYER_NAMES))
            if unknown:
                raise ValueError(f"unknown layer(s) {unknown}; allowed: {list(LAYER_NAMES)}")
            if "land_cover" not in v:
                raise ValueError("a region needs a 'land_cover' layer")
        return v

    @model_validator(mode="after")
    def _check_layers(self) -> RegionSpec:
        for name, layer in self.layers.items():
            fault = _placeholder_fault(name, layer.path)
            if fault:
                raise ValueError(fault)
        for name in ("land_cover", "tree_canopy"):
            spec = self.layers.get(name)
            if spec is not None and (not spec.years or "{year}" not in spec.path):
                raise ValueError(f"layer '{name}' needs 'years' and a path containing '{{year}}'")
        dist = self.layers.get("disturbance")
        if dist is not None and (not dist.periods or "{start}" not in dist.path or "{end}" not in dist.path):
            raise ValueError(
                "layer 'disturbance' needs 'periods' and a path containing '{start}' and '{end}'"
            )
        coded = [n for n, spec in self.layers.items() if spec.codes and n != "forest_age_type_region"]
        if coded:
            raise ValueError(f"'codes' is for layer 'forest_age_type_region' only, not {coded}")
        canopy = self.layers.get("tree_canopy")
        if canopy is not None and canopy.units not in ("percent", "fraction"):
            raise ValueError("layer 'tree_canopy' needs units: percent or fraction")
        if self.default_period is not None:
            y1, y2 = self.default_period
            years = self.layers["land_cover"].years or []
            if y1 >= y2 or y1 not in years or y2 not in years:
                raise ValueError(
                    f"default_period {list(self.default_period)} must be two land-cover years {years}"
                )
        return self


class Catalog(_Model):
    datasets: dict[str, DatasetSpec] = {}
    regions: dict[str, RegionSpec] = {}
    #: Folder that relative paths resolve against (set by ``load_catalog``).
    base_dir: Path = Path(".")
    path: Path | None = None

    def resolve(self, relative: str) -> Path:
        p = Path(os.path.expanduser(relative))
        return p if p.is_absolute() else (self.base_dir / p)

    def region(self, name: str) -> RegionSpec:
        from learn.util import close_matches

        if name not in self.regions:
            raise CatalogError(
                f"unknown region '{name}' in catalog {self.path}",
                hint=close_matches(name, list(self.regions), what="regions"),
            )
        return self.regions[name]


def _format_validation_error(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def default_catalog_path() -> Path:
    """``$LEARN_CATALOG``, else ``./data_catalog.yaml``, else the one at the project root."""
    env = os.environ.get("LEARN_CATALOG")
    if env:
        return Path(env)
    here = Path.cwd() / "data_catalog.yaml"
    if here.exists():
        return here
    return Path(__file__).resolve().parents[2] / "data_catalog.yaml"


def parse_catalog(data: Any, *, base_dir: Path, path: Path | None = None) -> Catalog:
    """Validate an already-parsed YAML document."""
    if not isinstance(data, dict):
        raise CatalogError(f"catalog {path}: the top level must be a mapping with 'datasets' and 'regions'")
    try:
        return Catalog.model_validate({**data, "base_dir": base_dir, "path": path})
    except ValidationError as err:
        raise CatalogError(
            f"catalog {path} is not valid:\n{_format_validation_error(err)}",
            hint="fix the entries named above (see the layout in README.md, 'Data catalog')",
        ) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *anchor" merges keys by design
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                earlier = first_line.get(key)
            except TypeError:
                continue  # an unhashable key: the base class reports it
            if earlier is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{key}' is given twice in the same mapping (lines {earlier} and {line})",
                    key_node.start_mark,
                )
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, name: str | os.PathLike[str] | None = None) -> Any:
    """A YAML document as plain data; a key repeated in one mapping is an error (``yaml.YAMLError``).

    ``name`` (the file) is what error messages call the document.
    """
    loader = _UniqueKeyLoader(text)
    if name is not None:
        loader.name = str(name)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_catalog_text(p: Path) -> str:
    """The text of a catalog file; a missing, unreadable or non-UTF-8 file is a :class:`CatalogError`."""
    if not p.exists():
        raise CatalogError(f"catalog file not found: {p}", hint="pass --catalog PATH or set LEARN_CATALOG")
    if p.is_dir():
        raise CatalogError(
            f"catalog {p} is a folder, not a file",
            hint=f"pass the catalog's YAML file, e.g. --catalog {p / 'data_catalog.yaml'}",
        )
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise CatalogError(
            f"catalog {p} is not UTF-8 text (byte {err.start}: {err.reason})",
            hint="save the catalog as UTF-8 (most editors offer it under 'Save with encoding')",
        ) from None
    except OSError as err:
        raise CatalogError(f"cannot read catalog {p}: {err.strerror or err}") from None


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Read and validate a catalog file (default: :func:`default_catalog_path`)."""
    p = Path(path) if path is not None else default_catalog_path()
    text = read_catalog_text(p)
    try:
        data = parse_yaml(text, p)
    except yaml.YAMLError as err:
        raise CatalogError(f"catalog {p} is not valid YAML: {err}", hint="fix the line named above") from None
    return parse_catalog(data, base_dir=p.resolve().parent, path=p.resolve())
