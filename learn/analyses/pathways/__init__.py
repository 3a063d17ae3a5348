"""Pathways: a boundary's forest and tree carbon projected to 2030/2050, business as usual and with measures,
on its own inventory, with the 90 % interval (docs/pathways.md)."""

from learn.analyses.pathways.model import Pathways, ScenarioResult, YearRow
from learn.analyses.pathways.run import boundary_pathways, default_baseline, pathways_from_basis
from learn.analyses.pathways.scenario import BAU_NAME, Scenario, ScenarioError, load_scenario

__all__ = [
    "BAU_NAME",
    "Pathways",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "YearRow",
    "boundary_pathways",
    "default_baseline",
    "load_scenario",
    "pathways_from_basis",
]
