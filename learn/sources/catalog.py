"""The data catalog (``data_catalog.yaml``): public datasets and ready-to-compute regions.

Validated with pydantic; every problem is reported with its YAML path. Relative paths resolve
against the catalog file's folder.
"""

from __future__ import annotations

import os
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
    href: str = Field(description="URL or URL template; {year} / {start} / {end} are filled in")
    kind: Literal["categorical", "continuous", "vector", "table"]
    license: str
    citation: str
    years: list[int] | None = None
    periods: list[tuple[int, int]] | None = None
    crs: str | None = None
    resolution: float | None = Field(default=None, description="pixel size, metres")
    format: str | None = None
    units: str | None = None


class LayerSpec(_Model):
    """One raster layer of a region, on the region's grid."""

    path: str
    years: list[int] | None = None
    periods: list[tuple[int, int]] | None = None
    units: Literal["percent", "fraction", "t C/ha", "class"] | None = None
    source: str | None = Field(default=None, description="dataset key or free text saying where it came from")
    version: str | None = None

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
    name_field: str
    layer: str | None = None
    state_field: str | None = Field(
        default=None, description="column with the state postal code (TOF factors)"
    )
    kind_field: str | None = Field(default=None, description="column saying county / place / ...")


class FactorSpec(_Model):
    forest: str | None = None
    trees_outside_forest: str | None = None


class RegionSpec(_Model):
    description: str
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
        for name in ("land_cover", "tree_canopy"):
            spec = self.layers.get(name)
            if spec is not None and (not spec.years or "{year}" not in spec.path):
                raise ValueError(f"layer '{name}' needs 'years' and a path containing '{{year}}'")
        dist = self.layers.get("disturbance")
        if dist is not None and (not dist.periods or "{start}" not in dist.path or "{end}" not in dist.path):
            raise ValueError(
                "layer 'disturbance' needs 'periods' and a path containing '{start}' and '{end}'"
            )
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


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Read and validate a catalog file (default: :func:`default_catalog_path`)."""
    p = Path(path) if path is not None else default_catalog_path()
    if not p.exists():
        raise CatalogError(f"catalog file not found: {p}", hint="pass --catalog PATH or set LEARN_CATALOG")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CatalogError(f"catalog {p} is not valid YAML: {err}") from None
    return parse_catalog(data, base_dir=p.resolve().parent, path=p.resolve())
