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

Maps in notebooks: :mod:`learn.mapping`; sensitivity: :mod:`learn.sensitivity`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("learn-navigator")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

from learn.batch import BatchRun
from learn.errors import LearnError
from learn.region import InventoryOptions, Region, open_region
from learn.report.models import Report
from learn.sensitivity import factor_sensitivity, tof_place_sensitivity

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
