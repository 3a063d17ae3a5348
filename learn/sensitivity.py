"""The sensitivity analysis, at the path docs and notebooks import it from; it lives in
:mod:`learn.analyses.sensitivity`."""

from learn.analyses.sensitivity import (
    SENSITIVITY_COLUMNS,
    AccountingStage,
    factor_sensitivity,
    tof_place_sensitivity,
)

__all__ = ["SENSITIVITY_COLUMNS", "AccountingStage", "factor_sensitivity", "tof_place_sensitivity"]
