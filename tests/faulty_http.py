"""A tiny threaded HTTP server on 127.0.0.1 that misbehaves on purpose (tests only).

Each path maps to a list of answers, served in turn (the last one again and again):

* ``bytes``: a 200 with that body (``Content-Length`` set);
* :class:`Drip`: a 200 whose body (or headers, ``headers=True``) arrives a few bytes at a time, every
  ``every_s`` seconds, for as long as the client listens.

``requests`` counts the requests per path, ``asked_at`` holds the time of the latest. Real sockets, real ``http.client`` on the other side: nothing is
mocked.
"""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Drip:
    every_s: float = 0.5
    chunk: bytes = b"0123456789abcdef"  # 16 bytes, as the audit's server
    headers: bool = False  # drip the status line and headers instead of the body
    length: int = 10_000_000  # the Content-Length announced (never reached)


Answer = bytes | Drip


@dataclass
class FaultyServer:
    url: str
    routes: dict[str, list[Answer]]
    requests: Counter[str] = field(default_factory=Counter)
    #: time.monotonic() of the latest request per path (to time a client from its request, not its start)
    asked_at: dict[str, float] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)


def _handler(srv: FaultyServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            answers = srv.routes.get(path)
            n = srv.requests[path]
            srv.requests[path] += 1
            srv.asked_at[path] = time.monotonic()
            if not answers:
                self.send_error(404)
                return
            answer = answers[min(n, len(answers) - 1)]
            if isinstance(answer, bytes):
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(answer)
                return
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {answer.length}\r\nConnection: close\r\n\r\n".encode()
            try:
                if answer.headers:
                    for i in range(0, len(head), len(answer.chunk)):
                        self._drip(head[i : i + len(answer.chunk)], answer.every_s)
                else:
                    self.wfile.write(head)
                    self.wfile.flush()
                while not srv.stop.is_set():
                    self._drip(answer.chunk, answer.every_s)
            except OSError:
                pass  # the client gave up: what a deadline is for
            self.close_connection = True

        def _drip(self, data: bytes, every_s: float) -> None:
            if srv.stop.is_set():
                raise OSError("server stopping")
            self.wfile.write(data)
            self.wfile.flush()
            time.sleep(every_s)

    return Handler


@contextmanager
def serve_faults(
    routes: dict[str, list[Answer]], tls: tuple[Path, Path] | None = None
) -> Iterator[FaultyServer]:
    """Serve ``routes`` at http://127.0.0.1:PORT in background threads (https with ``tls`` = (certificate,
    key) files); stop on exit."""
    srv = FaultyServer(url="", routes=routes)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(srv))
    httpd.daemon_threads = True
    if tls is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    srv.url = f"{'https' if tls else 'http'}://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
