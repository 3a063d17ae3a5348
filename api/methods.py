"""HTTP methods on the API's paths, answered the same way on every route (RFC 9110).

FastAPI routes answer only the methods they declare, and Starlette answers a method mismatch with the
``Allow`` of the *first* route on the path (``OPTIONS /api/regions/{r}/inventory`` said ``GET`` although
``POST`` is served too); a ``HEAD`` fell through to the web map's static files and got 404. This
middleware, for paths of API routes only (the static files handle their own): ``HEAD`` runs the ``GET``
route and sends its headers without the body; ``OPTIONS`` answers 204 with ``Allow`` listing every method
of the path; any other method the path does not serve answers 405 JSON with that ``Allow``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


class MethodsMiddleware:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app, self.routes = app, routes

    def allowed(self, scope: Scope) -> set[str]:
        """Methods served on the scope's path by the API's routes (HEAD with GET, OPTIONS always); empty if none.

        Asks each route whether it fully matches the path with each method: routers included in the app
        are nested route objects, so their paths cannot be read off a flat list."""
        methods = {
            m
            for m in SERVED_METHODS
            for route in self.routes
            if route.matches({**scope, "method": m})[0] == Match.FULL
        }
        if "GET" in methods:
            methods.add("HEAD")
        return methods | {"OPTIONS"} if methods else methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        allowed = self.allowed(scope)
        if not allowed or (method in allowed and method not in ("HEAD", "OPTIONS")):
            await self.app(scope, receive, send)
            return
        allow = ", ".join(sorted(allowed))
        if method == "OPTIONS":
            await _answer(send, 204, b"", [(b"allow", allow.encode())])
        elif method == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        else:
            detail = {"detail": f"method {method} is not served on {scope['path']} (use {allow})"}
            body = json.dumps(detail).encode()
            headers = [(b"allow", allow.encode()), (b"content-type", b"application/json")]
            await _answer(send, 405, body, headers)


def _without_body(send: Send) -> Send:
    async def send_headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return send_headers_only


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
