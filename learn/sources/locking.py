"""Exclusive file locks between processes, for files that are read, changed and written back.

A lock is ``fcntl.flock`` on a sidecar file next to the locked one (``.<name>.lock``), never on the file
itself: the file is replaced by a rename, and a lock on the old inode would not stop a writer that opens the
new one. The kernel releases a lock when its holder dies (even by SIGKILL), so a crashed process never
leaves a file locked. The holder's pid is written into the sidecar, for messages only.

:func:`exclusive` waits for the lock (up to ``wait_s``, then a :class:`Busy` error naming the holder);
with ``wait_s=0`` it fails at once, for work that must not run twice at the same time. :func:`held_by` says
whether a lock is held and by whom, without waiting (the API answers 409 for a county another process fetches).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from learn.errors import LearnError

#: How long a writer waits for another one by default (catalog edits take well under a second).
DEFAULT_WAIT_S = 60.0
_POLL_S = 0.02
#: How long a lock is tried even with ``wait_s=0``: a :func:`held_by` probe holds it (shared) for microseconds.
_PROBE_GRACE_S = 0.1


class Busy(LearnError):
    """Another process holds the lock (``path``: the lock file; ``holder``: its pid when known)."""

    def __init__(self, message: str, hint: str | None, path: Path, holder: int | None) -> None:
        super().__init__(message, hint=hint)
        self.path, self.holder = path, holder


def lock_path(target: str | os.PathLike[str]) -> Path:
    """The sidecar lock file of ``target`` (symlinks resolved: every writer locks the same file)."""
    p = Path(target).resolve()
    return p.with_name(f".{p.name}.lock")


def _holder(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode().strip() or "x")
    return None


@contextlib.contextmanager
def exclusive(
    target: str | os.PathLike[str],
    *,
    what: str,
    wait_s: float = DEFAULT_WAIT_S,
    lock_file: Path | None = None,
) -> Iterator[Path]:
    """Hold the exclusive lock of ``target`` for the block (yields the lock file's path).

    ``what`` names the locked thing in the :class:`Busy` error, e.g. "the catalog /x/data_catalog.yaml".
    """
    path = lock_file or lock_path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as err:
        from learn.util import output_error

        raise output_error(path, err) from None
    try:
        give_up = time.monotonic() + max(wait_s, _PROBE_GRACE_S)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= give_up:
                holder = _holder(fd)
                by = f"process {holder}" if holder else "another process"
                raise Busy(
                    f"{what} is in use by {by} (lock {path})"
                    + (f"; waited {wait_s:g} s" if wait_s > 0 else ""),
                    hint="wait for that process to finish and run again (a lock is released when its "
                    "process ends, even if it is killed)",
                    path=path,
                    holder=holder,
                )
            time.sleep(_POLL_S)
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the lock


def held_by(lock_file: Path) -> int | None:
    """Who holds the lock ``lock_file`` now: its pid (0 when not known), None when nobody does. Takes the lock
    shared for an instant (hence :data:`_PROBE_GRACE_S`), so a holder that died holds nothing."""
    try:
        fd = os.open(lock_file, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        return _holder(fd) or 0
    finally:
        os.close(fd)
    return None


def fetch_lock_path(data_dir: Path, cache_dir: Path) -> Path:
    """The lock a fetch into ``data_dir`` holds: in the cache (``$LEARN_CACHE_DIR``), so that a fetch that
    fails leaves nothing in the project."""
    tag = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    folder = cache_dir / "locks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a read-only home: the system's temporary folder, per user
        folder = Path(tempfile.gettempdir()) / f"learn-locks-{os.getuid()}"
    return folder / f"fetch-{tag}.lock"
