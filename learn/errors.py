"""User-facing errors: each says what is wrong and how to fix it."""

from __future__ import annotations


class LearnError(Exception):
    """An error caused by user input or data, reported without a traceback.

    ``hint`` tells the user how to fix it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class CatalogError(LearnError):
    """The catalog file is missing or malformed."""


class FactorTableError(LearnError):
    """A factor table is missing, malformed or inconsistent."""


class BoundaryError(LearnError):
    """A boundary id, file or geometry cannot be used."""


class RasterError(LearnError):
    """A raster is unreadable, missing or not on the region's grid."""


class PeriodError(LearnError):
    """The requested inventory years are not usable."""


class OutputError(LearnError):
    """An output file or folder cannot be written (read-only, full disk, not a folder, no permission)."""
