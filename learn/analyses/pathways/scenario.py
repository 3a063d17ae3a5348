"""Scenarios: a name and a list of measures, from a YAML file or a request (docs/pathways.md "Measures").

```yaml
name: Protect and plant
measures:
  - avoid_forest_conversion: {share: 0.5, from: 2025}
  - reforest: {ha_per_yr: 10, from: 2025, to: 2034}
  - canopy_goal: {percent: 40, by: 2040}
  - protect_canopy: {share: 0.5, from: 2025}
```
A measure acts in the years ``from``…``to`` (both included; ``from`` defaults to the first projected year,
``to`` to the last). A bad file is refused naming the measure and the field (:class:`ScenarioError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from learn.errors import LearnError

BAU_NAME: Final = "Business as usual"
#: Canopy of one medium tree, m² (600 ft², American Forests' Tree Equity Score "trees needed") **[assumption]**.
CROWN_AREA_M2: Final = 55.74


class ScenarioError(LearnError):
    """A scenario file or request cannot be used."""


class _Measure(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_year: int | None = Field(
        default=None, alias="from", description="first year it acts (default: first projected year)"
    )
    to_year: int | None = Field(
        default=None, alias="to", description="last year it acts, included (default: the end)"
    )

    def active(self, year: int) -> bool:
        return (self.from_year is None or year >= self.from_year) and (
            self.to_year is None or year <= self.to_year
        )


class AvoidForestConversion(_Measure):
    """This share of business-as-usual forest → non-forest conversion does not happen."""

    kind: Literal["avoid_forest_conversion"] = Field(default="avoid_forest_conversion", exclude=True)
    share: float = Field(ge=0, le=1)


class Reforest(_Measure):
    """Non-forest → forest on top of business as usual, hectares per year."""

    kind: Literal["reforest"] = Field(default="reforest", exclude=True)
    ha_per_yr: float = Field(ge=0)


class CanopyGoal(_Measure):
    """Tree canopy on non-forest land reaches ``percent`` by the year ``by``, linearly from ``from``."""

    kind: Literal["canopy_goal"] = Field(default="canopy_goal", exclude=True)
    percent: float = Field(ge=0, le=100)
    by: int
    crown_area_m2: float = Field(
        default=CROWN_AREA_M2,
        gt=0,
        description="canopy of one planted tree when grown, m² (the trees-to-plant count)",
    )


class ProtectCanopy(_Measure):
    """This share of business-as-usual tree canopy loss on non-forest land does not happen."""

    kind: Literal["protect_canopy"] = Field(default="protect_canopy", exclude=True)
    share: float = Field(ge=0, le=1)


Measure = AvoidForestConversion | Reforest | CanopyGoal | ProtectCanopy
MEASURES: Final[dict[str, type[_Measure]]] = {
    "avoid_forest_conversion": AvoidForestConversion,
    "reforest": Reforest,
    "canopy_goal": CanopyGoal,
    "protect_canopy": ProtectCanopy,
}


def measure_of(entry: Any, where: str) -> Measure:
    """One measure from ``{kind: {field: value}}`` (or ``{"kind": kind, field: value}``)."""
    if isinstance(entry, BaseModel):
        entry = entry_of(entry)  # type: ignore[arg-type]
    if isinstance(entry, dict) and "kind" in entry:
        entry = {entry["kind"]: {k: v for k, v in entry.items() if k != "kind"}}
    if not isinstance(entry, dict) or len(entry) != 1:
        raise ScenarioError(
            f"{where}: a measure is one of {', '.join(MEASURES)} with its fields, e.g. "
            "`- reforest: {ha_per_yr: 10, from: 2025, to: 2034}`",
            hint='see docs/pathways.md "Measures"',
        )
    ((kind, fields),) = entry.items()
    cls = MEASURES.get(str(kind))
    if cls is None:
        raise ScenarioError(f"{where}: unknown measure '{kind}'", hint=f"measures: {', '.join(MEASURES)}")
    try:
        m = cls.model_validate(fields or {})
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or kind}: {err['msg']}" for err in e.errors()
        )
        raise ScenarioError(f"{where}: {kind}: {problems}", hint='see docs/pathways.md "Measures"') from None
    if m.from_year is not None and m.to_year is not None and m.to_year < m.from_year:
        raise ScenarioError(f"{where}: {kind}: 'to' ({m.to_year}) is before 'from' ({m.from_year})")
    return m  # type: ignore[return-value]


def entry_of(m: Measure) -> dict[str, dict[str, Any]]:
    """The measure as it is written: ``{kind: {fields}}``."""
    return {m.kind: m.model_dump(by_alias=True, exclude_none=True)}


class Scenario(BaseModel):
    """A named list of measures (no measures: business as usual)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    name: str = Field(min_length=1, max_length=120)
    measures: list[Any] = Field(default_factory=list)

    @model_validator(mode="after")
    def _typed(self) -> Scenario:
        self.measures = [
            measure_of(m, f"scenario '{self.name}' measure {i + 1}") for i, m in enumerate(self.measures)
        ]
        return self

    def typed(self) -> list[Measure]:
        return list(self.measures)

    def entries(self) -> list[dict[str, dict[str, Any]]]:
        return [entry_of(m) for m in self.measures]


def scenario_of(data: Any, where: str) -> Scenario:
    """A scenario from parsed YAML/JSON, refused with a :class:`ScenarioError` naming ``where``."""
    if isinstance(data, Scenario):
        return data
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: a scenario is a mapping with 'name' and 'measures'")
    try:
        return Scenario.model_validate(data)
    except ScenarioError:
        raise
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors())
        raise ScenarioError(f"{where}: {problems}", hint="a scenario has 'name' and 'measures'") from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario YAML file."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(
            f"scenario file not found: {p}", hint="pass an existing YAML file to --scenario"
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ScenarioError(f"scenario file {p} cannot be read as YAML: {e}") from None
    return scenario_of(data, f"scenario file {p}")
