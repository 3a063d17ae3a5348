"""A minimal encoder for 8-bit palette PNGs (colour type 3 with a tRNS alpha table).

Map tiles are class or ramp indices, so a palette PNG is both the smallest and the fastest way to
write them (about 1 ms for 256×256, against 5–15 ms for an RGBA PNG through GDAL).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import numpy.typing as npt

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def palette_png(index: npt.NDArray[np.uint8], palette: npt.NDArray[np.uint8], level: int = 1) -> bytes:
    """PNG of ``index`` (H×W palette indices) with ``palette`` (N×4 RGBA rows, N ≤ 256)."""
    if index.dtype != np.uint8 or index.ndim != 2:
        raise ValueError("index must be a 2-D uint8 array")
    height, width = index.shape
    used = int(index.max()) + 1 if index.size else 1
    pal = np.ascontiguousarray(palette[:used], dtype=np.uint8)
    rows = np.zeros((height, width + 1), np.uint8)  # filter byte 0 (None) before every row
    rows[:, 1:] = index
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    return b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"PLTE", pal[:, :3].tobytes()),
            _chunk(b"tRNS", pal[:, 3].tobytes()),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        )
    )
