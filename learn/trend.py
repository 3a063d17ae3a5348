"""The trend analysis, at the path docs and notebooks import it from; it lives in :mod:`learn.analyses.trend`."""

from learn.analyses.trend import boundary_trend, trend_periods

__all__ = ["boundary_trend", "trend_periods"]
