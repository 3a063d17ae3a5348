"""Small helpers shared by several modules: atomic writes, output faults, hashing, close matches."""

from __future__ import annotations

import contextlib
import difflib
import errno
import gc
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from learn.errors import OutputError


def close_matches(word: str, choices: Sequence[str], *, what: str, n: int = 5) -> str:
    """A hint naming the closest choices (or all of them when few)."""
    near = difflib.get_close_matches(word, list(choices), n=n, cutoff=0.5)
    if not near:
        near = [c for c in choices if word.lower() in c.lower()][:n]
    if near:
        return f"did you mean: {', '.join(near)}?"
    listed = ", ".join(list(choices)[:20]) + (" …" if len(choices) > 20 else "")
    return f"available {what}: {listed}"


def ascii_name(name: str | None) -> str:
    """A name as it goes in a file name: ASCII letters, digits, '.' and '-', other runs as '_', ≤ 60 characters
    (as ``downloadBase`` in webmap/names.js; the API's download names and ``learn batch --per-boundary``)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", name or "").strip("_.")[:60]


def cache_root() -> Path:
    """learn's one cache folder: ``$LEARN_CACHE_DIR``, else ``$XDG_CACHE_HOME/learn-navigator``, else
    ``~/.cache/learn-navigator`` (rasterized zones in ``zones/``, FIA downloads in ``fia/``, fetch locks in
    ``locks/``)."""
    if os.environ.get("LEARN_CACHE_DIR"):
        return Path(os.environ["LEARN_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "learn-navigator"


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: os.umask can only be read by setting it, which is not thread-safe later.
_UMASK = _read_umask()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a block that builds many small acyclic objects (a batch's
    reports, rows and cells): each full collection would walk every object of the process (pandas, numba,
    GDAL bindings …), and at 1,000 boundaries those walks cost more than the accounting itself. Objects are
    still freed by reference counting; cycles made meanwhile are collected once it is back on. Left off
    if it was off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it onto ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same folder (so the rename is atomic) and same extension (GDAL picks drivers by it).
    fd, tmp = tempfile.mkstemp(prefix=f".tmp-{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():  # mkstemp makes 0600; outputs get the usual permissions (0644 under umask 022)
            tmp_path.chmod(0o666 & ~_UMASK)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(target: str | os.PathLike[str], text: str) -> None:
    """``text`` (UTF-8) to ``target`` through a temporary file next to it and a rename, as
    :func:`atomic_path`, in four system calls (a batch writes two files per boundary)."""
    target = Path(target)
    data = text.encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = target.parent / f".tmp-{target.stem}-{secrets.token_hex(6)}{target.suffix}"
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies: the usual permissions, as atomic_path gives
        except FileExistsError:
            continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            continue
        break
    try:
        with open(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def human_bytes(n: float) -> str:
    """``n`` bytes as text: "512 bytes", "84.8 KB", "1.5 MB", "2.3 GB" (powers of 1024)."""
    if n < 1024:
        return f"{n:,.0f} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            break
    return f"{n:,.1f} {unit}"


def _free_bytes(target: Path) -> int | None:
    """Free bytes on the disk of ``target`` (its nearest existing folder), None when unknown."""
    for folder in (target, *target.parents):
        if folder.exists():
            try:
                return shutil.disk_usage(folder).free
            except OSError:
                return None
    return None


def disk_full(err: BaseException) -> bool:
    """A full disk or quota, as an OSError's errno or in a library's message (GDAL's, DuckDB's, pyogrio's)."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(err).lower()
    return "no space left" in text or "disk full" in text


def output_error(
    target: str | os.PathLike[str], err: BaseException, *, needed: int | None = None
) -> OutputError:
    """The user-facing error for a failure to write ``target`` (an ``OSError`` or a GDAL write error);
    ``needed``: the bytes the write needs, named (with the free space) when the disk is full."""
    reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    code = err.errno if isinstance(err, OSError) else None
    if code in (errno.ENOSPC, errno.EDQUOT):
        free = _free_bytes(Path(target))
        if needed is not None:
            reason += f" (needs {human_bytes(needed)}"
            reason += f", {human_bytes(free)} free there)" if free is not None else ")"
        hint = "free space on that disk (or choose another output folder) and run again"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM):
        hint = "choose an output folder you can write to"
    elif code in (errno.ENOTDIR, errno.EEXIST):
        hint = "a part of the path is a file, not a folder: choose another output folder"
    else:
        hint = "check the output folder and the free space on its disk, then run again"
    return OutputError(f"cannot write {target}: {reason}", hint=hint)


def check_writable_folder(folder: str | os.PathLike[str]) -> None:
    """Create ``folder`` if needed and write and remove a probe file in it, so a read-only or missing
    folder fails before any long computation, not after it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".tmp-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise output_error(folder, e) from None
