"""Download a state's FIA tables from the FIA DataMart into a local cache (resumable, atomic).

The DataMart serves one zip per state and table, ``<base>/<ST>_<TABLE>.zip`` holding
``<ST>_<TABLE>.csv`` (base ``https://apps.fs.usda.gov/fia/datamart/CSV/``; the same URLs pyfia's
``DataMartClient`` builds, ``pyfia/downloader/client.py``). pyfia's client has its base URL as a
module constant, so this module downloads with the project's own HTTP rules (User-Agent, timeout,
retries with backoff for 429/5xx and dropped connections, as :mod:`learn.sources.arcgis.feature`)
and hands pyfia the files in the layout its DuckDB converter reads (:mod:`learn.sources.fia.database`).

A partial download is kept as ``<file>.part`` and resumed with an HTTP ``Range`` request; a file is
renamed into place only once complete and readable as a zip, so the cache never holds half a table.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from learn.sources.http import HttpPolicy, Unreachable, deadline_of, deadline_passed, open_url
from learn.sources.locking import exclusive
from learn.sources.remote import FetchError
from learn.sources.zip_check import ZipLimits, zip_fault
from learn.util import cache_root, output_error

#: The FIA DataMart's CSV folder (pyfia 1.7 ``DATAMART_CSV_BASE``).
DATAMART_CSV_URL = "https://apps.fs.usda.gov/fia/datamart/CSV/"
#: The tables pyfia's area and growth estimators read (growth–removal–mortality and population tables).
FIA_TABLES: tuple[str, ...] = (
    "PLOT",
    "COND",
    "TREE",
    "TREE_GRM_COMPONENT",
    "TREE_GRM_MIDPT",
    "TREE_GRM_BEGIN",
    "POP_EVAL",
    "POP_EVAL_TYP",
    "POP_EVAL_GRP",
    "POP_ESTN_UNIT",
    "POP_STRATUM",
    "POP_PLOT_STRATUM_ASSGN",
)
CHUNK_BYTES = 1 << 20
#: HTTP rules of the DataMart: 120 s per read, and each table's download done within 30 min (a file that
#: takes longer resumes where it stopped on the next run); the catalog's ``fia_datamart`` ``deadline_s`` or
#: ``--deadline-s`` change the deadline.
DEFAULT_DEADLINE_S = 1800.0
DATAMART_POLICY = HttpPolicy(timeout_s=120.0, deadline_s=DEFAULT_DEADLINE_S)
#: How long a second process waits for another one downloading the same state's tables.
LOCK_WAIT_S = 3600.0

#: Progress callback: (table, bytes done, total bytes or None).
OnProgress = Callable[[str, int, int | None], None]


class FiaDownloadError(FetchError):
    """An FIA table cannot be downloaded (unknown state, server unreachable, table not published)."""


def state_codes() -> dict[str, int]:
    """Postal code → state FIPS of the states and territories the DataMart publishes (pyfia's table)."""
    from pyfia.downloader.tables import STATE_FIPS_CODES

    return {str(k).upper(): int(v) for k, v in STATE_FIPS_CODES.items()}


def state_fips(state: str, states: dict[str, int] | None = None) -> tuple[str, int]:
    """``("MA", 25)`` for ``"ma"``; a FiaDownloadError naming the known codes for anything else."""
    known = states if states is not None else state_codes()
    code = state.strip().upper()
    if code not in known:
        raise FiaDownloadError(
            f"unknown state {state!r}: FIA DataMart tables are published per state postal code",
            hint=f"use one of: {', '.join(sorted(known))}",
        )
    return code, known[code]


def datamart_url_of(catalog_path: Path | None) -> str:
    """The ``href`` of the catalog's ``fia_datamart`` dataset (the default catalog when None), else the
    DataMart's own URL: a mirror is a catalog change, as for every other source."""
    from learn.sources.catalog import default_catalog_path, load_catalog

    path = catalog_path or default_catalog_path()
    if catalog_path is None and not path.exists():
        return DATAMART_CSV_URL
    spec = load_catalog(path).datasets.get("fia_datamart")
    return str(spec.href) if spec is not None and isinstance(spec.href, str) else DATAMART_CSV_URL


def datamart_policy_of(catalog_path: Path | None, deadline_s: float | None = None) -> HttpPolicy:
    """The DataMart's HTTP policy: ``deadline_s`` if given, else the catalog's ``fia_datamart``
    ``deadline_s``, else :data:`DEFAULT_DEADLINE_S`."""
    if deadline_s is not None:
        return replace(
            DATAMART_POLICY, deadline_s=deadline_of(deadline_s, DEFAULT_DEADLINE_S, "--deadline-s")
        )
    from learn.sources.catalog import default_catalog_path, load_catalog
    from learn.sources.http import policy_for

    path = catalog_path or default_catalog_path()
    if catalog_path is None and not path.exists():
        return DATAMART_POLICY
    spec = load_catalog(path).datasets.get("fia_datamart")
    return policy_for(spec, "fia_datamart", DATAMART_POLICY) if spec is not None else DATAMART_POLICY


@dataclass(frozen=True)
class StateTables:
    """A state's downloaded tables: the zip of each table in the cache, and where they came from."""

    state: str
    statecd: int
    folder: Path
    zips: dict[str, Path]
    base_url: str
    downloaded: tuple[str, ...]  # tables fetched now (the others were already cached)


def table_url(base_url: str, state: str, table: str) -> str:
    return f"{base_url.rstrip('/')}/{state}_{table}.zip"


def _open(url: str, offset: int, policy: HttpPolicy, sleep: Callable[[float], None]) -> Any:
    """The HTTP response for ``url`` from byte ``offset`` (retrying what may pass); None when the partial
    file is already the whole file (416 to its Range)."""
    try:
        return open_url(url, policy, {"Range": f"bytes={offset}-"} if offset else None, sleep=sleep)
    except urllib.error.HTTPError as err:
        if err.code == 416 and offset:  # the .part is already the whole file (or longer): start over
            return None
        if err.code == 404:
            raise FiaDownloadError(
                f"the FIA DataMart has no file {url} (HTTP 404)",
                hint="the table is not published for this state, or --datamart-url is not the DataMart's "
                "CSV folder",
            ) from None
        raise FiaDownloadError(
            f"the FIA DataMart refused {url}: HTTP {err.code} {err.reason}",
            hint="403: the host blocks this network; 429/5xx: the server is busy, try again later",
        ) from None
    except Unreachable as err:
        raise FiaDownloadError(
            f"cannot reach the FIA DataMart at {url}: {err.reason} (after {err.attempts} tries)",
            hint="check the network connection (or --datamart-url); a partial download is kept and resumed",
        ) from None


def download_file(
    url: str,
    target: Path,
    *,
    policy: HttpPolicy = DATAMART_POLICY,
    on_progress: OnProgress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    limits: ZipLimits = ZipLimits(),
) -> None:
    """Download ``url`` to ``target`` via ``target.part`` (resumed from its size), check the zip (every
    member's CRC, :class:`ZipLimits`), then rename it. A damaged zip is removed and fetched once more; a
    second damaged one, or one over the limits, is a :class:`FiaDownloadError`."""
    for attempt in (1, 2):
        part = _download_part(url, target, policy, on_progress, sleep)
        fault = zip_fault(part, limits)
        if fault is None:
            os.replace(part, target)
            return
        part.unlink()
        if fault.too_big:
            raise FiaDownloadError(
                f"{url} ({target.stem}) is refused: {fault.reason}",
                hint="FIA tables are plain CSV; if this one is genuine, raise the cap with --max-member-mb MB "
                "(or $LEARN_FIA_MAX_MEMBER_MB)",
            )
        if attempt == 2:
            raise FiaDownloadError(
                f"{url} ({target.stem}) is damaged twice in a row: {fault.reason}",
                hint="the server sends a broken file: try again later, or point --datamart-url (the "
                "catalog's fia_datamart href) at another copy of the DataMart",
            )
    raise AssertionError("unreachable")  # pragma: no cover


def _download_part(
    url: str,
    target: Path,
    policy: HttpPolicy,
    on_progress: OnProgress | None,
    sleep: Callable[[float], None],
) -> Path:
    """``target.part``, complete (resumed from its size), within the policy's deadline."""
    part = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    offset = part.stat().st_size if part.exists() else 0
    response = _open(url, offset, policy, sleep)
    if response is None:
        part.unlink()
        offset = 0
        response = _open(url, 0, policy, sleep)
    with response:
        resumed = offset > 0 and response.status == 206
        if not resumed:
            offset = 0  # the server sent the whole file: overwrite the partial one
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length is not None else None
        done = offset
        try:
            f = open(part, "ab" if resumed else "wb")  # noqa: SIM115 (closed by the with below)
        except OSError as err:
            raise output_error(part, err, needed=total) from None

        def progress(n: int) -> None:
            if on_progress:
                on_progress(target.stem, n, total)

        try:
            with f:
                done = _copy_body(response, f, url, policy, done, progress)
        except (
            OSError
        ) as err:  # a write or the last flush: a full disk keeps no half table, and gets its space back
            part.unlink(missing_ok=True)
            raise output_error(part, err, needed=(total - offset) if total is not None else None) from None
    if total is not None and done != total:
        raise FiaDownloadError(
            f"the download of {url} ended after {done:,} of {total:,} bytes",
            hint="run the command again: the download resumes where it stopped",
        )
    if not zipfile.is_zipfile(part):
        part.unlink()
        raise FiaDownloadError(
            f"{url} is not a zip file (the server answered something else, e.g. an error page)",
            hint="check --datamart-url: it must be the DataMart's CSV folder",
        )
    return part


def _copy_body(
    response: Any, f: Any, url: str, policy: HttpPolicy, done: int, progress: Callable[[int], None]
) -> int:
    """Append the body of ``response`` to ``f``; the bytes done in all (``done`` before). Read faults are
    FiaDownloadErrors (a deadline named as such); write faults stay OSErrors."""
    while True:
        try:
            chunk = response.read1(CHUNK_BYTES)
        except (TimeoutError, OSError, http.client.HTTPException) as err:
            if deadline_passed(response):
                raise FiaDownloadError(
                    f"the download of {url} did not finish within its {policy.deadline_s:g} s deadline "
                    f"({done:,} bytes received)",
                    hint="the server is too slow or stalled: run again later (the download resumes), or "
                    "raise the deadline with --deadline-s (the catalog's fia_datamart deadline_s)",
                ) from None
            raise FiaDownloadError(
                f"the download of {url} broke off after {done:,} bytes: {err}",
                hint="run the command again: the download resumes where it stopped",
            ) from None
        if not chunk:
            return done
        f.write(chunk)
        done += len(chunk)
        progress(done)


def _checked(target: Path, *, mark: bool = False) -> bool:
    """Whether ``target`` was checked whole as it is now (``<zip>.checked`` holds its size and mtime), so a
    cached table is inflated once, not on every run; ``mark``: record that it was."""
    marker, st = target.with_name(target.name + ".checked"), target.stat()
    stamp = f"{st.st_size} {st.st_mtime_ns}\n"
    if mark:
        with contextlib.suppress(OSError):  # only a saving: without it the zip is checked again next time
            marker.write_text(stamp)
        return True
    try:
        return marker.read_text() == stamp
    except OSError:
        return False


def download_state_tables(
    state: str,
    cache_dir: Path | None = None,
    *,
    base_url: str = DATAMART_CSV_URL,
    tables: tuple[str, ...] = FIA_TABLES,
    states: dict[str, int] | None = None,
    on_progress: OnProgress | None = None,
    policy: HttpPolicy = DATAMART_POLICY,
    limits: ZipLimits = ZipLimits(),
) -> StateTables:
    """Every table of ``tables`` for ``state`` in ``<cache>/fia/<ST>/`` (cached files are not fetched again).

    Every zip, cached or new, is checked (:func:`~learn.sources.zip_check.zip_fault`): a damaged cached one
    is removed and downloaded again. The folder is locked meanwhile (another process downloading the same
    state waits)."""
    code, statecd = state_fips(state, states)
    folder = (cache_dir or cache_root()) / "fia" / code
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise output_error(folder, err) from None
    zips: dict[str, Path] = {}
    fetched: list[str] = []
    with exclusive(folder, what=f"the FIA cache {folder}", wait_s=LOCK_WAIT_S, lock_file=folder / ".lock"):
        for table in tables:
            target = folder / f"{code}_{table}.zip"
            if target.exists() and not _checked(target) and zip_fault(target, limits) is not None:
                target.unlink()  # damaged in the cache (e.g. cached by an older version): fetch it again
            if not target.exists():
                url = table_url(base_url, code, table)
                download_file(url, target, policy=policy, on_progress=on_progress, limits=limits)
                fetched.append(table)
            _checked(target, mark=True)
            zips[table] = target
    return StateTables(code, statecd, folder, zips, base_url, tuple(fetched))
