"""Tiny HTTP requests for ``learn sources check``: one try each, a short deadline, and a host that did not
answer once is not asked again (an offline user learns "unreachable" in seconds, not minutes).

:class:`Probe` answers with an :class:`Answer` for every HTTP status (a 404 is a finding, not a fault) and
raises :class:`Down` when the host gives no answer at all (DNS, refused, timed out). :class:`RangeFile` is a
seekable file over HTTP range requests, so :mod:`zipfile` lists a multi-GB bundle from its central
directory with a few small reads.
"""

from __future__ import annotations

import io
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from learn.sources.nlcd.wcs import USER_AGENT

#: Default deadline of one request (connect, and each read), seconds.
TIMEOUT_S = 8.0
#: At most this much of a body is read (a check never needs more).
BODY_LIMIT = 4 << 20


class Down(Exception):
    """The host gave no answer (DNS failure, connection refused, timeout)."""


@dataclass(frozen=True)
class Answer:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Probe:
    """HTTP for the checks: one try per request, ``timeout_s`` each, hosts that stayed silent remembered."""

    timeout_s: float = TIMEOUT_S
    down: dict[str, str] = field(default_factory=dict)  # host → why it gave no answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(
        self, url: str, *, method: str = "GET", headers: dict[str, str] | None = None, limit: int = BODY_LIMIT
    ) -> Answer:
        host = urllib.parse.urlsplit(url).netloc
        with self.lock:
            if host in self.down:
                raise Down(f"{host}: no answer (as before: {self.down[host]})")
        req = urllib.request.Request(
            url, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as response:
                body = response.read(limit) if method != "HEAD" else b""
                return Answer(url, response.status, _lower(response.headers), body)
        except urllib.error.HTTPError as err:
            body = (err.read(limit) or b"") if err.fp is not None else b""
            return Answer(url, err.code, _lower(err.headers), body)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as err:
            reason = str(getattr(err, "reason", err)) or type(err).__name__
            if isinstance(getattr(err, "reason", err), TimeoutError):
                reason = f"no answer within {self.timeout_s:g} s"
            with self.lock:
                self.down.setdefault(host, reason)
            raise Down(f"{host}: {reason}") from None

    def get(self, url: str, **kw: Any) -> Answer:
        return self.request(url, **kw)

    def head(self, url: str) -> Answer:
        """HEAD, or, from a server that refuses HEAD (405/501), a one-byte range GET standing for it."""
        a = self.request(url, method="HEAD")
        if a.status not in (405, 501):
            return a
        b = self.request(url, headers={"Range": "bytes=0-0"}, limit=1)
        total = b.headers.get("content-range", "").rpartition("/")[2]
        headers = {**b.headers, "content-length": total} if total.isdigit() else b.headers
        return Answer(url, 200 if b.status == 206 else b.status, headers, b"")


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (headers.items() if headers is not None else [])}


class NoRanges(Exception):
    """The server answered a range request with the whole file (or not at all)."""


class RangeFile(io.RawIOBase):
    """A read-only, seekable file over HTTP ``Range`` requests (what :class:`zipfile.ZipFile` needs)."""

    def __init__(self, probe: Probe, url: str, size: int) -> None:
        super().__init__()
        self.probe, self.url, self.size, self.pos, self.requests = probe, url, size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self.size - self.pos)
        if n <= 0:
            return 0
        answer = self.probe.get(self.url, headers={"Range": f"bytes={self.pos}-{self.pos + n - 1}"}, limit=n)
        self.requests += 1
        if answer.status != 206:
            raise NoRanges(f"HTTP {answer.status} to a range request")
        data = answer.body[:n]
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)
