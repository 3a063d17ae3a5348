"""LEARN-style Land Emissions and Removals Navigator.

Forest and tree-canopy greenhouse-gas inventories (t CO2e/yr) per jurisdiction, following the
ICLEI USA / WRI "LEARN" method (IPCC gain-loss approach). See ``learn.region.open_region``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("learn-navigator")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

from learn.errors import LearnError
from learn.region import Region, open_region

__all__ = ["LearnError", "Region", "__version__", "open_region"]
