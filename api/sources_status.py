"""The server's last ``learn sources check`` (library :mod:`learn.sources.check`), run on demand in the
background and cached: ``GET /api/sources/status`` starts one when there is none or it is older than
:data:`MAX_AGE_S` (or on ``?refresh=true``) and answers at once with what is known; the map's prepare box
shows it ("public data reachable" / "not reachable (checked HH:MM)").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from learn.errors import LearnError
from learn.sources.catalog import load_catalog
from learn.sources.check import SourcesCheck, check_sources

#: A check older than this (seconds) is run again when the status is asked for.
MAX_AGE_S = 3600.0


class SourcesMonitor:
    """The last check of the catalog's sources and whether one is running (thread-safe)."""

    def __init__(
        self,
        catalog_path: Path,
        run: Callable[[Path], SourcesCheck] | None = None,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.catalog_path, self.max_age_s = catalog_path, max_age_s
        self._run = run or (lambda p: check_sources(load_catalog(p)))
        self._lock = threading.Lock()
        self.last: SourcesCheck | None = None
        self.error: str | None = None
        self._at = 0.0
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def ensure(self, refresh: bool = False) -> None:
        """Start a check in the background unless one runs or the last is recent (and no refresh is asked)."""
        with self._lock:
            if self.running:
                return
            fresh = self.last is not None and time.monotonic() - self._at < self.max_age_s
            if fresh and not refresh:
                return
            self._thread = threading.Thread(target=self._work, name="learn-sources-check", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        try:
            result, error = self._run(self.catalog_path), None
        except LearnError as err:
            result, error = None, err.message
        with self._lock:
            if result is not None:
                self.last = result
            self.error, self._at = error, time.monotonic()

    def wait(self, timeout_s: float = 60.0) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
