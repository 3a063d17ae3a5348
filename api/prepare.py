"""Any US county or place on request: ``learn fetch`` and its inventory as a background job of the API.

A client names a county (its 5-digit Census GEOID) or a place (city, town, CDP: 7 digits) and two years, never a
URL or a path. The server fetches the public layers through the catalog's own sources (:mod:`learn.sources.fetch`),
adds the region ``county_<GEOID>`` or ``place_<GEOID>`` to its catalog, computes the summary the map shows, and reports each step while it runs
("land_cover 2011: 40 %"). A place must be in its state's TIGER place list (:mod:`learn.sources.census.places`,
read online once, then from the cache folder), which also gives its name. One fetch runs at a time (a fetch saturates the network and the disk); at most
``max_pending`` wait (more → 503 with Retry-After). A county or place already prepared for those years is answered
at once: the next visitor gets it from the catalog and the summary cache.

The fetch runs in a child process that never outlives the server (:mod:`api.fetch_process`; :meth:`CountyPreparer.close`
at shutdown). A region is fetched by one process at a time (``learn fetch`` holds its data folder's lock,
:func:`learn.sources.locking.fetch_lock_path`): a county that another process — a second server on this catalog, a
``learn fetch`` — is fetching is answered 409 naming that process.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from api.cache import SingleFlight
from api.errors import NotFound, detail_of
from api.fetch_process import FetchProcesses, busy_elsewhere, fetch_in_child
from api.tasks import Job, JobManager, Progress
from learn.errors import LearnError, PeriodError
from learn.sources.census.places import StatePlaces, UnknownState, places_of_state
from learn.sources.census.tiger import conus_counties
from learn.sources.fetch import FetchRequest
from learn.sources.fetch_plan import plan_layers
from learn.sources.listing import gpkg_labels
from learn.sources.locking import fetch_lock_path, held_by
from learn.sources.remote import FetchError, dataset_for_layer, published_years
from learn.util import cache_root

if TYPE_CHECKING:
    from api.prepare_host import PrepareHost as Service  # what it needs of api.service.Service

log = logging.getLogger("api")


def county_region_name(geoid: str) -> str:
    """The catalog region of a county prepared on request."""
    return f"county_{geoid}"


def place_region_name(geoid: str) -> str:
    """The catalog region of a place prepared on request."""
    return f"place_{geoid}"


def region_name(geoid: str) -> str:
    """The region of a county (5 digits) or place (7 digits) prepared on request."""
    return place_region_name(geoid) if len(geoid) == 7 else county_region_name(geoid)


@dataclass(frozen=True)
class Prepared:
    """A prepared region: its name in the catalog and the years asked."""

    region: str
    start: int
    end: int


class CountyPreparer:
    """Background ``learn fetch`` + summary of counties and places, one at a time, ``max_pending`` at most queued."""

    def __init__(self, service: Service, max_pending: int = 4, retry_after_s: int = 60) -> None:
        self.service = service
        self.jobs: JobManager[Prepared] = JobManager(
            workers=1,
            max_jobs=256,
            max_pending=max_pending,
            retry_after_s=retry_after_s,
            busy_text="counties or places are already being prepared, the most this server queues",
            busy_hint="pick a county or place that is already on the map",
            missing_hint="jobs live in server memory; POST /api/prepare again (a prepared region answers at once)",
            nice=10,  # a fetch takes minutes: the map's tiles and reports go first
        )
        self.fetches = FetchProcesses()  # ended with the server (close), even mid-read
        self._fetching: str | None = None  # the region this server's fetch process is fetching
        self._names = {g: (n, st) for g, n, st in conus_counties()}  # counties, then each place checked
        self._lock = threading.Lock()
        self._place_lists: SingleFlight[str, StatePlaces] = SingleFlight()  # one read per state at a time

    def close(self) -> None:
        """End the running fetch (its process terminated and reaped) and drop the queued jobs."""
        self.fetches.stop()
        self.jobs.close()

    def label(self, geoid: str) -> str:
        name, state = self._names[geoid]
        return f"{name}, {state}"

    def title(self, region: str) -> str | None:
        """What a picker shows for a region prepared on request ("Hampshire County, MA", "Northampton city, MA"):
        from the county list or the places checked since the server started, else the place's boundary name
        ("Northampton, MA"); None for any other region."""
        kind, _, geoid = region.partition("_")
        if kind in ("county", "place") and geoid in self._names:  # counties; places checked since start
            return self.label(geoid)
        spec = self.service.catalog.regions.get(region)
        if kind != "place" or spec is None:
            return None
        b = spec.boundaries
        labels = gpkg_labels(self.service.catalog.resolve(b.path), b.id_field, b.name_field, b.layer)
        if not labels or len(labels) != 1:
            return None
        name = labels[0][1]  # "Northampton city, MA" (fetched now) or Census' bare "Northampton" (before)
        return f"{name}, {spec.state}" if spec.state and not name.endswith(f", {spec.state}") else name

    def places(self, state: str) -> StatePlaces:
        """A state's places (FIPS or postal code) from the TIGER source, cached in the server's cache folder
        (UnknownState, SourceUnreachable or FetchError when they cannot be listed)."""
        cache = self.service.settings.cache_dir / "places"
        return self._place_lists.run(
            state.strip().upper(), lambda: places_of_state(state, self.service.catalog, cache)
        )

    def places_enabled(self) -> bool:
        """Whether the catalog has a place source (``fetch_layer: place_boundaries``) to list and fetch from."""
        try:
            dataset_for_layer(self.service.catalog, "place_boundaries")
        except FetchError:
            return False
        return True

    def _check_place(self, geoid: str) -> None:
        """A place GEOID must name a place of its state's TIGER file (read online once, then from the cache)."""
        if not self.places_enabled():
            raise NotFound(
                "this server's catalog has no place source (TIGER places) to fetch from",
                hint="pick a county instead (5-digit GEOID)",
            )
        try:
            listed = self.places(geoid[:2])
        except UnknownState as err:
            raise NotFound(
                f"'{geoid}' is not a place of the conterminous US: {err.message}", err.hint
            ) from None
        hit = next((p for p in listed.places if p.geoid == geoid), None)
        if hit is None:
            raise NotFound(
                f"'{geoid}' is not a place of {listed.state} in the TIGER/Line {listed.year} places",
                hint=f"pick a place from GET /api/places?state={listed.state} (7-digit GEOID, e.g. 2546330 for "
                "Northampton city, MA)",
            )
        with self._lock:
            self._names[geoid] = (hit.name, hit.state)

    def check(self, geoid: str, start: int, end: int) -> None:
        """Refuse an unknown county or place (404), a place list that cannot be read (502) or years the
        land-cover source does not publish (422)."""
        if self.jobs.max_pending == 0:
            raise NotFound(
                "this server does not prepare counties or places on request", hint="pick a region on the map"
            )
        if len(geoid) == 7:
            self._check_place(geoid)
        elif geoid not in self._names:
            raise NotFound(
                f"'{geoid}' is not a county of the conterminous US",
                hint="pick a county from the list (5-digit Census GEOID, e.g. 25015 for Hampshire County, MA)",
            )
        if not start < end:
            raise PeriodError(
                f"the start year {start} must be before the end year {end}", hint="e.g. 2011 and 2019"
            )
        try:
            key, spec = dataset_for_layer(self.service.catalog, "land_cover")
        except FetchError:
            raise NotFound(
                "this server's catalog has no land-cover source to fetch from",
                hint="pick a region on the map",
            ) from None
        published = published_years(key, spec)
        missing = [y for y in (start, end) if y not in published]
        if missing:
            raise PeriodError(
                f"no land cover for {', '.join(map(str, missing))}",
                hint=f"years with land cover: {published[0]}–{published[-1]}",
            )

    def years(self) -> list[int]:
        """The years a county can be prepared for: the land-cover dataset's inventory years it publishes
        (every published year when it lists none); [] when the catalog has no land-cover source."""
        try:
            key, spec = dataset_for_layer(self.service.catalog, "land_cover")
        except FetchError:
            return []
        published = published_years(key, spec)
        listed = (spec.model_extra or {}).get("inventory_years")
        return [y for y in published if listed is None or y in listed]

    def ready(self, geoid: str, start: int, end: int) -> bool:
        """Whether the catalog already holds the county or place with land cover for both years."""
        name = region_name(geoid)
        if name not in self.service.catalog.regions:
            return False
        years = self.service.region(name).land_cover_years
        return start in years and end in years

    def check_not_elsewhere(self, geoid: str) -> None:
        """PreparedElsewhere (409) when another process (a second server on this catalog, a ``learn fetch``, a fetch a
        killed server left behind) is fetching the region now; a fetch of this server's own is waited for."""
        name = region_name(geoid)
        if self._fetching == name:
            return
        pid = held_by(fetch_lock_path(self.data_dir(name), cache_root()))
        if pid is not None:
            raise busy_elsewhere(name, pid)

    def data_dir(self, name: str) -> Path:
        """Where ``learn fetch`` writes a region prepared here (its default folder)."""
        return (self.service.catalog.base_dir / "data" / name).resolve()

    def submit(self, geoid: str, start: int, end: int) -> Job[Prepared]:
        self.check(geoid, start, end)
        self.check_not_elsewhere(geoid)
        return self.jobs.submit(
            f"{geoid} {start} {end}", lambda progress: self._prepare(geoid, start, end, progress)
        )

    def _prepare(self, geoid: str, start: int, end: int, progress: Progress) -> Prepared:
        name = region_name(geoid)
        service = self.service
        if not self.ready(geoid, start, end):
            req = FetchRequest(
                catalog_path=service.settings.catalog_path,
                region=name,
                years=(start, end),
                county=geoid if len(geoid) == 5 else None,
                place=geoid if len(geoid) == 7 else None,
            )
            plan, _ = plan_layers(service.catalog, req)
            steps = len(plan) + 2  # the clips, the derived layers, the inventory
            seen: list[str] = []

            def on_rows(label: str, done: int, total: int) -> None:
                if label not in seen:
                    seen.append(label)
                pct = 100 * done // total if total else 100
                progress(len(seen) - 1, steps, f"{label.strip()}: {pct} %")

            progress(0, steps, "starting")
            self.check_not_elsewhere(geoid)  # again: another process may have started since the POST
            self._fetching = name
            try:
                fetch_in_child(
                    req, on_rows, self.fetches
                )  # own process: the server's GIL stays with requests
            except (
                LearnError
            ) as err:  # the technical detail to the server log; the map shows it in plain words
                log.warning("preparing %s %d-%d failed: %s", name, start, end, detail_of(err))
                raise
            finally:
                self._fetching = None
            progress(steps - 1, steps, "inventory")
            service.reload_catalog()
        region = service.region(name)
        service.summary(region, start, end)  # computed once, then cached for every visitor
        return Prepared(region=name, start=start, end=end)
