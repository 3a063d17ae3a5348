"""What a county preparer (:mod:`api.prepare`) needs of the service that owns it.

:class:`api.service.Service` is one; :mod:`api.prepare` types its ``service`` with this protocol instead, so
``api.service`` imports ``api.prepare`` and never the reverse (no import circle, ``docs/architecture.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from learn.pipeline.region import Region
    from learn.sources.catalog import Catalog


class HostSettings(Protocol):
    """The settings a preparer reads: where the catalog file is, and the cache folder (places lists)."""

    @property
    def catalog_path(self) -> Path: ...

    @property
    def cache_dir(self) -> Path: ...


class PrepareHost(Protocol):
    """The service as a preparer sees it: its catalog and settings, a region by name, the catalog read again
    after a fetch added a region, and the summary computed once for the map."""

    @property
    def catalog(self) -> Catalog: ...

    @property
    def settings(self) -> HostSettings: ...

    def region(self, name: str) -> Region: ...

    def reload_catalog(self) -> None: ...

    def summary(self, region: Region, start: int, end: int) -> object: ...
