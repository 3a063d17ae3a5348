"""Read deadlines for slow clients: a request's headers and its body must arrive in time, or the connection closes.

uvicorn has no such deadline. ``timeout_keep_alive`` closes a connection idle *between* requests, and any byte
received cancels it; ``h11_max_incomplete_event_size`` bounds the size of the headers, not their time;
``limit_concurrency`` answers 503 to every client once slow sockets fill it. So a client sending one header line,
or one body byte, every few seconds held its connection (and, in the body case, a request) forever: 100 such
sockets, 40 s, none closed (R9 of the 2026-12-05 reliability audit).

:class:`GuardedH11Protocol` is uvicorn's h11 protocol with two deadlines, as Apache's ``mod_reqtimeout``
(``header=20 body=20 MinRate=500``) sets them:

- **headers**: the request line and headers within ``header_timeout`` seconds of the connection opening (or of
  the previous response, on a kept-alive connection);
- **body**: the request body within ``body_timeout`` seconds of its headers;

each extended by one second per ``min_rate`` bytes received, so a large upload over a slow but steady link is
never cut off, while a trickle is. A client that misses a deadline after sending part of a request gets
``408 Request Timeout`` (``Connection: close``) and the connection is closed; one that sent nothing is closed
silently (an idle pre-connected socket). The application sees a client disconnect. Time the server itself
makes the client wait (reading paused while the application has not taken the body yet, an ``Expect:
100-continue`` not answered yet) does not count. A deadline of 0 turns it off.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("api")

_MESSAGE = b"request not received in time; closing\n"
#: What a client that sent part of a request too slowly gets before the connection closes.
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_MESSAGE), _MESSAGE)
)


@dataclass(frozen=True)
class ReadDeadlines:
    """Seconds for a request's headers and for its body (0: no deadline), and the rate (bytes/s) at which bytes
    received extend them (0: no extension)."""

    header_timeout: float = 20.0
    body_timeout: float = 20.0
    min_rate: float = 500.0

    def __post_init__(self) -> None:
        if min(self.header_timeout, self.body_timeout, self.min_rate) < 0:
            raise ValueError(f"read deadlines must not be negative: {self}")

    def protocol(self) -> type[H11Protocol]:
        """uvicorn's ``http`` protocol class enforcing these deadlines (``uvicorn.run(app, http=...)``)."""
        return type("GuardedH11Protocol", (GuardedH11Protocol,), {"deadlines": self})


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header and a body read deadline (see the module's description)."""

    deadlines: ClassVar[ReadDeadlines] = ReadDeadlines()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._phase: tuple[str, int] | None = None  # ("headers" | "body", responses sent before it)
        self._started = 0.0
        self._received = 0
        self._responses = 0
        self._timer: asyncio.TimerHandle | None = None
        self._upgraded = False

    # uvicorn's events, each followed by a look at where the client's request stands
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        if self._phase is not None:
            self._received += len(data)
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        self._responses += 1
        super().on_response_complete()
        self._watch()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._upgraded = True  # the connection is another protocol's from now on
        self._cancel()
        super().handle_websocket_upgrade(event)

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    # the deadlines
    def _watch(self) -> None:
        """Start a phase's clock when the request enters it (headers or body); stop it when it leaves."""
        if self._upgraded or self.transport is None or self.transport.is_closing():
            self._cancel()
            return
        state, d = self.conn.their_state, self.deadlines
        kind = None
        if state is h11.IDLE and d.header_timeout:
            kind = "headers"
        elif state is h11.SEND_BODY and d.body_timeout:
            kind = "body"
        phase = (kind, self._responses) if kind else None
        if phase == self._phase:
            return
        self._cancel()
        self._phase, self._started, self._received = phase, self.loop.time(), 0
        if phase is not None:
            self._timer = self.loop.call_at(self._deadline(), self._expire)

    def _deadline(self) -> float:
        kind = self._phase[0] if self._phase else ""
        d = self.deadlines
        credit = self._received / d.min_rate if d.min_rate else 0.0
        return self._started + (d.header_timeout if kind == "headers" else d.body_timeout) + credit

    def _waiting_on_us(self) -> bool:
        """The server, not the client, holds the request up: reading paused, or a 100 Continue not sent yet."""
        return bool(self.flow and self.flow.read_paused) or bool(
            self.cycle and self.cycle.waiting_for_100_continue and not self.cycle.response_started
        )

    def _expire(self) -> None:
        self._timer = None
        if self._phase is None or self.transport.is_closing():
            return
        now = self.loop.time()
        if self._waiting_on_us():
            self._started, self._received = now, 0  # the clock runs only while the client is the one awaited
        if now < (deadline := self._deadline()):
            self._timer = self.loop.call_at(deadline, self._expire)
            return
        kind = self._phase[0]
        started = self._received > 0 or kind == "body"
        log.info(
            "closing %s:%s: request %s not received in time (%.0f s, %d bytes)",
            *(self.client or ("?", "?")),
            kind,
            now - self._started,
            self._received,
        )
        if started and not (kind == "body" and self.cycle and self.cycle.response_started):
            self.transport.write(REQUEST_TIMEOUT)
        self._phase = None
        self.transport.close()

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
