"""LEARN-style Land Emissions and Removals Navigator.

Forest and tree-canopy greenhouse-gas inventories (t CO2e/yr) per jurisdiction, following the
ICLEI USA / WRI "LEARN" method (IPCC gain-loss approach). The Python API (``docs/python_api.md``)::

    import learn
    region = learn.open_region("demo")                   # catalog: $LEARN_CATALOG or ./data_catalog.yaml
    report = region.inventory("99001", (2011, 2019))     # learn.Report (the JSON report)
    report.totals.net_t_co2e_per_yr                      # t CO2e/yr (emissions +, removals −)
    report.inventory_frame()                             # pandas; report.change_matrix_da(): xarray (ha)
    run = region.batch([(2001, 2011), (2011, 2019)])     # every boundary: run.frame, run.geoframe (EPSG:4326)
    region.layer("forest_change", start=2011, end=2019)  # rioxarray DataArray
    learn.factor_sensitivity(region, "99001", (2011, 2019))   # net flux at ±10 % on each factor
    region.pathways("99001", to=2050, scenarios=["plan.yaml"]).frame()   # BAU and scenarios to 2050

Maps in notebooks: :mod:`learn.mapping`; sensitivity: :mod:`learn.sensitivity`. The stages behind them:
:mod:`learn.sources` (data access) → :mod:`learn.raster` (one pass over the layers) →
:mod:`learn.accounting` (LEARN's method, ``docs/method.md``) → :mod:`learn.report` (models and writers).

Names are imported on first use, so ``import learn`` (and the ``learn`` command) start fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from learn._version import __version__

if TYPE_CHECKING:
    from learn.analyses.region import Region, open_region
    from learn.analyses.sensitivity import factor_sensitivity, tof_place_sensitivity
    from learn.errors import LearnError
    from learn.options import InventoryOptions
    from learn.pipeline.batch import BatchRun
    from learn.report.models import Report

#: Public name → the module that defines it.
_EXPORTS = {
    "BatchRun": "learn.pipeline.batch",
    "InventoryOptions": "learn.options",
    "LearnError": "learn.errors",
    "Region": "learn.analyses.region",
    "Report": "learn.report.models",
    "factor_sensitivity": "learn.analyses.sensitivity",
    "open_region": "learn.analyses.region",
    "tof_place_sensitivity": "learn.analyses.sensitivity",
}

__all__ = [
    "BatchRun",
    "InventoryOptions",
    "LearnError",
    "Region",
    "Report",
    "__version__",
    "factor_sensitivity",
    "open_region",
    "tof_place_sensitivity",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'learn' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
