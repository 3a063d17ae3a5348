"""One HTTP GET with retries for the services ``learn fetch`` calls (ArcGIS image and feature services, the FIA
DataMart, WCS): timeouts, exponential backoff on what may pass (429 and 5xx, no answer), the project's
User-Agent, and a **total deadline**.

The socket timeout (``timeout_s``) bounds each read; a server that drips a few bytes every few seconds never
trips it. So every request also has a deadline (``deadline_s``, from the catalog dataset's ``deadline_s`` or
the caller's default) that covers everything: connecting, the answer's headers, its whole body and the
retries with their waits. It is enforced on the socket itself: before each read the socket's timeout is cut to
the time left, and a read after the deadline fails, so no read can outlive it, whoever reads the response.

Each caller turns the ways a request fails into its own message: :class:`urllib.error.HTTPError` (a status
not worth retrying, or still failing after the retries; ``attempts`` says how many were made),
:class:`Unreachable` (no answer at all after the retries) and its subclass :class:`DeadlineExceeded` (the
deadline passed; its text names the deadline).
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from learn._version import __version__
from learn.errors import CatalogError

USER_AGENT = f"learn-navigator/{__version__} (learn fetch)"
#: HTTP statuses worth another try (rate limiting, a gateway or a server that may recover).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: The default total deadline of one request (retries included), seconds.
DEFAULT_DEADLINE_S = 600.0
CHUNK_BYTES = 1 << 16


@dataclass(frozen=True)
class HttpPolicy:
    """How patient to be with a service: per-read timeout, retries, the first backoff delay and the total
    deadline of a request (connect, headers, body and retries together)."""

    timeout_s: float = 60.0
    retries: int = 3
    backoff_s: float = 1.0  # doubled after each failed try
    deadline_s: float = DEFAULT_DEADLINE_S


class Unreachable(Exception):
    """No answer from the host after every try: ``reason`` (text), ``attempts``, ``timed_out``."""

    def __init__(self, reason: str, attempts: int, timed_out: bool) -> None:
        super().__init__(reason)
        self.reason, self.attempts, self.timed_out = reason, attempts, timed_out


class DeadlineExceeded(Unreachable):
    """The request's total deadline passed (``deadline_s``; ``received``: body bytes read by then)."""

    def __init__(self, url: str, deadline_s: float, attempts: int, received: int | None = None) -> None:
        got = f" ({received:,} bytes received)" if received else ""
        super().__init__(
            f"no complete answer within the {deadline_s:g} s deadline{got}", attempts, timed_out=True
        )
        self.url, self.deadline_s, self.received = url, deadline_s, received


def deadline_of(value: Any, default: float, what: str) -> float:
    """A dataset's ``deadline_s`` (None: ``default``) as seconds; a CatalogError for anything but a positive
    number."""
    if value is None:
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise CatalogError(f"{what}: deadline_s {value!r} is not a positive number of seconds",
                           hint="e.g. deadline_s: 600")  # fmt: skip
    return seconds


def policy_for(spec: Any, key: str, base: HttpPolicy = HttpPolicy()) -> HttpPolicy:
    """``base`` with the deadline of catalog dataset ``spec`` (its ``deadline_s`` key), when it gives one."""
    seconds = deadline_of((getattr(spec, "model_extra", None) or {}).get("deadline_s"), base.deadline_s,
                          f"dataset '{key}'")  # fmt: skip
    return replace(base, deadline_s=seconds)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds, self.end = seconds, time.monotonic() + seconds

    def left(self) -> float:
        return self.end - time.monotonic()


class _DeadlinePassed(TimeoutError):
    pass


class _DeadlineSocket:
    """A connected socket whose every read and write waits at most the time left before the deadline."""

    def __init__(self, sock: Any, deadline: _Deadline, timeout: float | None) -> None:
        self._sock, self._deadline, self._timeout = sock, deadline, timeout

    def _arm(self) -> None:
        left = self._deadline.left()
        if left <= 0:
            raise _DeadlinePassed(f"deadline of {self._deadline.seconds:g} s passed")
        self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        self._arm()
        return int(self._sock.recv_into(buffer, nbytes, flags))

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        self._arm()
        return bytes(self._sock.recv(bufsize, flags))

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._arm()
        self._sock.sendall(data, flags)

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> Any:
        assert "b" in mode and "w" not in mode, "http.client reads its answer as binary"
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        self._sock._io_refs += 1  # as socket.makefile does: the socket closes once its files are closed
        return io.BufferedReader(raw, buffering or io.DEFAULT_BUFFER_SIZE)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline, self.timeout)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._deadline = deadline

    def connect(self) -> None:
        super().connect()
        self.sock = _DeadlineSocket(self.sock, self._deadline, self.timeout)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(_HTTPConnection, deadline=self._deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req: urllib.request.Request) -> Any:
        conn = functools.partial(_HTTPSConnection, deadline=self._deadline)
        return self.do_open(conn, req, context=self._context)  # type: ignore[attr-defined]


def open_url(
    url: str,
    policy: HttpPolicy = HttpPolicy(),
    headers: Mapping[str, str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """The open response of GET ``url`` (close it), retried with backoff on :data:`RETRY_STATUSES` and on no
    answer, all within ``policy.deadline_s``; reading its body after the deadline raises ``TimeoutError``
    (:func:`read_body` turns that into :class:`DeadlineExceeded`)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    deadline = _Deadline(policy.deadline_s)
    opener = urllib.request.build_opener(_HTTPHandler(deadline), _HTTPSHandler(deadline))
    delay = policy.backoff_s
    for attempt in range(1, policy.retries + 2):
        last = attempt == policy.retries + 1
        left = deadline.left()
        if left <= 0:
            raise DeadlineExceeded(url, policy.deadline_s, attempt - 1)
        try:
            response = opener.open(request, timeout=min(policy.timeout_s, left))
            response.learn_deadline = deadline
            return response
        except urllib.error.HTTPError as err:
            err.attempts = attempt  # type: ignore[attr-defined]
            if err.code not in RETRY_STATUSES or last:
                raise
        except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as err:
            if deadline.left() <= 0:
                raise DeadlineExceeded(url, policy.deadline_s, attempt) from None
            if last:
                reason = getattr(err, "reason", err)
                raise Unreachable(str(reason), attempt, isinstance(reason, TimeoutError)) from None
        sleep(max(0.0, min(delay, deadline.left())))
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def deadline_passed(response: Any) -> bool:
    """The deadline of a response from :func:`open_url` has passed."""
    deadline = getattr(response, "learn_deadline", None)
    return deadline is not None and deadline.left() <= 0


def read_body(response: Any, url: str, policy: HttpPolicy, *, received: int = 0) -> bytes:
    """The whole body of ``response`` (from :func:`open_url`), read in chunks within its deadline: a
    :class:`DeadlineExceeded` when it passes, an :class:`Unreachable` when the answer breaks off."""
    parts: list[bytes] = []
    done = received
    try:
        while chunk := response.read1(CHUNK_BYTES):
            parts.append(chunk)
            done += len(chunk)
            if deadline_passed(response):
                raise _DeadlinePassed
    except (TimeoutError, OSError, http.client.HTTPException) as err:
        if deadline_passed(response):
            raise DeadlineExceeded(url, policy.deadline_s, 1, done) from None
        raise Unreachable(
            f"the answer broke off after {done:,} bytes: {err}", 1, isinstance(err, TimeoutError)
        ) from None
    return b"".join(parts)


def get_bytes(
    url: str,
    policy: HttpPolicy = HttpPolicy(),
    headers: Mapping[str, str] | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> bytes:
    """The body of GET ``url``: :func:`open_url` then :func:`read_body`, all within ``policy.deadline_s``."""
    with open_url(url, policy, headers, sleep=sleep) as response:
        return read_body(response, url, policy)
