"""Checks of a downloaded zip before it is cached or extracted: every member whole, none too big.

``zipfile.is_zipfile`` reads only the end-of-archive record: a zip whose deflate stream is damaged but whose
central directory is intact passes it, and fails only when a member is read (``zlib.error``, "Bad CRC-32").
:func:`zip_fault` reads every member through (CRC-32 checked by :mod:`zipfile` at each member's end) without
writing anything, after refusing members that would be too big once extracted (:class:`ZipLimits`): a
"zip bomb" (e.g. 1.5 MB holding a 1.5 GB member) is refused from its central directory, before a byte is
inflated. :func:`extract_members` copies members to a folder under the same limits, checking the free space
first.
"""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from learn.errors import LearnError
from learn.util import output_error

#: Default cap on one member's extracted size, MB (``--max-member-mb``, ``$LEARN_FIA_MAX_MEMBER_MB``).
DEFAULT_MAX_MEMBER_MB = 16_384
#: Default cap on a member's compression ratio (``$LEARN_ZIP_MAX_RATIO``), applied above RATIO_FLOOR_BYTES:
#: CSV tables compress 5-30 times; deflate's ceiling is ~1,030 (a bomb).
DEFAULT_MAX_RATIO = 200.0
RATIO_FLOOR_BYTES = 64 << 20
CHUNK = 1 << 20
#: Kept free on a disk after an extraction (other programs, DuckDB's own files).
SPARE_BYTES = 64 << 20


@dataclass(frozen=True)
class ZipLimits:
    """How big a member may be once extracted: ``max_member_bytes``, and ``max_ratio`` (extracted /
    compressed) for members over :data:`RATIO_FLOOR_BYTES`."""

    max_member_bytes: int = DEFAULT_MAX_MEMBER_MB << 20
    max_ratio: float = DEFAULT_MAX_RATIO

    @classmethod
    def from_env(cls, max_member_mb: float | None = None) -> ZipLimits:
        """``max_member_mb`` if given, else ``$LEARN_FIA_MAX_MEMBER_MB``, else the default; the ratio from
        ``$LEARN_ZIP_MAX_RATIO``."""
        mb = max_member_mb if max_member_mb is not None else _env_number("LEARN_FIA_MAX_MEMBER_MB")
        ratio = _env_number("LEARN_ZIP_MAX_RATIO")
        return cls(
            max_member_bytes=int(mb * 2**20) if mb is not None else DEFAULT_MAX_MEMBER_MB << 20,
            max_ratio=ratio if ratio is not None else DEFAULT_MAX_RATIO,
        )


def _env_number(name: str) -> float | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise LearnError(f"${name}={raw!r} is not a positive number", hint=f"unset {name} or give e.g. 2048")
    return value


@dataclass(frozen=True)
class ZipFault:
    """Why a zip cannot be used; ``too_big``: a limit refused it (fetching it again will not help)."""

    reason: str
    too_big: bool = False


def _size(n: float) -> str:
    return f"{n:,.0f} bytes" if n < 2**20 else f"{n / 2**20:,.0f} MB"


def _size_fault(info: zipfile.ZipInfo, limits: ZipLimits) -> ZipFault | None:
    mb = info.file_size / 2**20
    if info.file_size > limits.max_member_bytes:
        return ZipFault(
            f"member {info.filename} would extract to {_size(info.file_size)}, over the "
            f"{_size(limits.max_member_bytes)} cap",
            True,
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_ratio:
        return ZipFault(
            f"member {info.filename} would extract to {mb:,.0f} MB from {info.compress_size / 2**20:,.1f} MB "
            f"(ratio {ratio:,.0f}, over {limits.max_ratio:g}: a zip bomb, not a table)",
            True,
        )
    return None


def zip_fault(path: Path, limits: ZipLimits = ZipLimits()) -> ZipFault | None:
    """None when ``path`` is a zip whose every member reads back whole (CRC-32) within ``limits``."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            for info in infos:
                if (fault := _size_fault(info, limits)) is not None:
                    return fault
            for info in infos:
                with zf.open(info) as f:
                    while f.read(CHUNK):
                        pass
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as err:
        return ZipFault(f"damaged or not a zip ({type(err).__name__}: {err})")
    return None


class ZipDamaged(LearnError):
    """A member cannot be extracted (damaged after it was checked, or over the limits)."""


def extract_members(
    zips: Iterable[Path], folder: Path, suffix: str = ".csv", limits: ZipLimits = ZipLimits()
) -> list[Path]:
    """Every member ending in ``suffix`` of ``zips`` into ``folder`` (flat), within ``limits``; the free
    space is checked first (an :class:`~learn.errors.OutputError` naming the space needed), and a full disk
    meanwhile is the same error (the caller's temporary folder holds the partial files)."""
    plan: list[tuple[Path, zipfile.ZipInfo]] = []
    for path in zips:
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.filename.lower().endswith(suffix):
                        if (fault := _size_fault(info, limits)) is not None:
                            raise ZipDamaged(f"{path} is refused: {fault.reason}", hint=_CAP_HINT)
                        plan.append((path, info))
        except zipfile.BadZipFile as err:
            raise ZipDamaged(f"{path} is not a readable zip: {err}", hint=_DAMAGED_HINT) from None
    needed = sum(info.file_size for _, info in plan)
    free = shutil.disk_usage(folder).free
    if needed + SPARE_BYTES > free:
        raise output_error(folder, OSError(28, "not enough free space"), needed=needed + SPARE_BYTES)
    written: list[Path] = []
    for path, info in plan:
        target = folder / Path(info.filename).name
        try:
            with zipfile.ZipFile(path) as zf, zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
        except (zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise ZipDamaged(
                f"{path}: member {info.filename} is damaged ({err})", hint=_DAMAGED_HINT
            ) from None
        except OSError as err:
            raise output_error(target, err, needed=needed) from None
        written.append(target)
    return written


_CAP_HINT = "if the file is genuine, raise the cap: --max-member-mb MB or $LEARN_FIA_MAX_MEMBER_MB"
_DAMAGED_HINT = "delete that file and run again: it is downloaded once more"
