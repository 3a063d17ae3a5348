"""A real HTTP file server on 127.0.0.1 for tests: uvicorn + Starlette ``StaticFiles``.

``StaticFiles`` answers ``Range`` requests with 206 Partial Content (``python -m http.server`` does
not), which is what GDAL's ``/vsicurl/`` needs to read a Cloud-Optimized GeoTIFF piece by piece.
A small ASGI middleware counts the body bytes sent per path, so tests can assert transfer volume.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass
class Traffic:
    """Body bytes and requests sent per URL path (thread-safe counters)."""

    bytes_sent: Counter[str] = field(default_factory=Counter)
    requests: Counter[str] = field(default_factory=Counter)
    #: Request headers (lower-case names) of the latest request per path.
    last_headers: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(self.bytes_sent)

    def since(self, before: dict[str, int]) -> dict[str, int]:
        """Bytes sent per path since ``before`` (a :meth:`snapshot`); paths without new bytes left out."""
        now = self.snapshot()
        return {p: n - before.get(p, 0) for p, n in now.items() if n - before.get(p, 0) > 0}


class CountBytes:
    """ASGI middleware: add every response body chunk's length to ``traffic`` under the request path."""

    def __init__(self, app: ASGIApp, traffic: Traffic) -> None:
        self.app = app
        self.traffic = traffic

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        with self.traffic.lock:
            self.traffic.requests[path] += 1
            self.traffic.last_headers[path] = headers

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                with self.traffic.lock:
                    self.traffic.bytes_sent[path] += len(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, counting_send)


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RangeServer:
    url: str  # http://127.0.0.1:PORT (no trailing slash)
    root: Path
    traffic: Traffic


@contextmanager
def serve_app(app: ASGIApp, root: Path) -> Iterator[RangeServer]:
    """Serve an ASGI ``app`` at http://127.0.0.1:PORT/ in a background thread (bytes counted); stop on exit."""
    traffic = Traffic()
    counted: Any = CountBytes(app, traffic)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(counted, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, name=f"test-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"test HTTP server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield RangeServer(url=f"http://127.0.0.1:{port}", root=root, traffic=traffic)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_directory(root: Path) -> Iterator[RangeServer]:
    """Serve ``root`` at http://127.0.0.1:PORT/ in a background thread; stop it on exit."""
    with serve_app(Starlette(routes=[Mount("/", StaticFiles(directory=root))]), root) as srv:
        yield srv
