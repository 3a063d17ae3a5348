"""One ``learn fetch`` per region folder at a time: an exclusive lock that the kernel releases when its holder dies.

Two fetches into one folder would write the same files and the same manifest at once. Each fetch therefore holds
``fcntl.flock`` on ``.<folder>.lock`` next to the region's folder (``data/.county_25015.lock``) while it runs, and
removes the file as it lets go. The lock belongs to the open file, not to the file's existence: a fetch that
crashes, is killed (SIGKILL too) or whose machine loses power holds nothing, so a stale file never blocks the next
run (it locks that file, then removes it in turn). A refused fetch (bad boundary, unreachable source) leaves no
lock file and no ``data`` folder it created. A second fetch of the same folder, from the CLI or from
a server's prepare job, fails at once with :class:`RegionBusy`; one of another region runs beside it.
:func:`lock_holder` says who holds a folder's lock (the API answers 409 with it before starting a job).

Temporary files (``.tmp-*``) that a killed fetch left in the folder are removed once the lock is held: nobody else
writes there then. On systems without ``fcntl`` (Windows) there is no lock.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from learn.sources.remote import FetchError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class RegionBusy(FetchError):
    """Another live process is fetching into the same region folder; ``holder`` says which ("pid 123, since …")."""

    def __init__(self, message: str, hint: str | None = None, *, holder: str = "a process") -> None:
        super().__init__(message, hint)
        self.holder = holder


def lock_path(data_dir: Path) -> Path:
    """The lock file of a region folder: ``.<name>.lock`` beside it."""
    return data_dir.parent / f".{data_dir.name}.lock"


@contextlib.contextmanager
def region_lock(data_dir: Path, region: str) -> Iterator[None]:
    """Hold the region folder's lock for the block (RegionBusy at once if a live process holds it)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = lock_path(data_dir)
    made_parent = not path.parent.is_dir()
    fd = _acquire(path, data_dir, region)
    try:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        os.pwrite(fd, f"pid {os.getpid()}, since {when}\n".encode(), 0)
        _remove_leftovers(data_dir)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # still held: nobody else can hold this file now (see _acquire)
        os.close(fd)  # releases the lock
        if made_parent:  # a refused fetch leaves nothing behind (fails while the folder holds anything)
            with contextlib.suppress(OSError):
                path.parent.rmdir()


def _acquire(path: Path, data_dir: Path, region: str) -> int:
    """The locked file's descriptor. A holder removes the file as it lets go, so the file locked must still be
    the one at ``path`` (else lock the new one); a :func:`lock_holder` probe holds it (shared) for microseconds,
    hence a few tries over 0.2 s before RegionBusy."""
    busy = 0
    for _ in range(100):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | _CLOEXEC, 0o666)
        except FileNotFoundError:  # the parent folder was removed meanwhile (a refused fetch's)
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            busy += 1
            if busy == 5:
                raise RegionBusy(
                    f"region '{region}' is already being fetched into {data_dir} by another process ({holder})",
                    hint="wait until that fetch ends, then ask again: the files it fetched are kept and not read twice",
                    holder=holder,
                ) from None
            time.sleep(0.05)
            continue
        try:
            st = os.stat(path)
            same = (st.st_dev, st.st_ino) == (os.fstat(fd).st_dev, os.fstat(fd).st_ino)
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            return fd
        os.close(fd)
    raise FetchError(f"cannot lock {path}", hint="check that the data folder is writable")


def lock_holder(data_dir: Path) -> str | None:
    """Who is fetching into the region folder now ("pid 123, since 2026-12-05 10:00:00 UTC"); None if nobody."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    try:
        fd = os.open(lock_path(data_dir), os.O_RDONLY | _CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _holder(fd)
    finally:
        os.close(fd)
    return None


def _holder(fd: int) -> str:
    return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "a process"


def _remove_leftovers(data_dir: Path) -> None:
    """Temporary files of a fetch killed mid-write (``learn.util.atomic_path`` names them ``.tmp-*``)."""
    if data_dir.is_dir():
        for tmp in data_dir.glob(".tmp-*"):
            with contextlib.suppress(OSError):
                tmp.unlink()
