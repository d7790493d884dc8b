"""CORS with Starlette's rules and a cheaper simple request.

Starlette's ``CORSMiddleware`` parses every request's headers into a ``Headers`` object and every
response's into a ``MutableHeaders`` to add two or three of its own (a tenth of a light route's time
on the availability call). This subclass keeps its configuration and its preflight answer, and for
every other request finds ``Origin`` in one pass over the raw headers and appends the response
headers computed once per allowed origin. The headers sent are Starlette's, to the byte.

The application does not stack it as a middleware of its own: the request middleware
(:class:`comptoir.core.observability.RequestMiddleware`) calls :meth:`CORS.preflight` and
:meth:`CORS.merged` from its one pass over the request's headers and its one ``send`` wrapper.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

_VARY = b"vary"


class CORS(CORSMiddleware):
    _MAX_CACHED = 256  # origins answered with an explicit Access-Control-Allow-Origin

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._simple = [(k.lower().encode(), v.encode()) for k, v in self.simple_headers.items()]
        self._by_origin: dict[str, list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin: str | None = None
        asks_preflight = False
        for name, value in scope["headers"]:
            if name == b"origin" and origin is None:
                origin = value.decode("latin-1")
            elif name == b"access-control-request-method":
                asks_preflight = True
        if origin is not None and asks_preflight and scope["method"] == "OPTIONS":
            await self.preflight(scope)(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self.merged(message.get("headers", ()), origin)
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def preflight(self, scope: Scope) -> Response:
        """The answer to a preflight request (``OPTIONS`` with ``Origin`` and
        ``Access-Control-Request-Method``), Starlette's."""
        return self.preflight_response(request_headers=Headers(scope=scope))

    def merged(self, headers: Iterable[tuple[bytes, bytes]], origin: str | None) -> list[tuple[bytes, bytes]]:
        """A response's headers with the CORS ones for ``origin`` added and ``Vary`` merged."""
        kept, varies = [], []
        for name, value in headers:
            if name.lower() == _VARY:
                varies.append(value)
            else:
                kept.append((name, value))
        varies.append(b"Origin")
        return [*kept, *self._headers_for(origin), (_VARY, b", ".join(varies))]

    def _headers_for(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        """What ``CORSMiddleware.send`` adds for ``origin`` (``Vary`` apart)."""
        if origin is None:
            return []
        found = self._by_origin.get(origin)
        if found is not None:
            return found
        explicit = (self.allow_all_origins and self.allow_credentials) or (
            not self.allow_all_origins and self.is_allowed_origin(origin=origin)
        )
        if not explicit:
            return self._simple
        found = [
            *(h for h in self._simple if h[0] != b"access-control-allow-origin"),
            (b"access-control-allow-origin", origin.encode("latin-1")),
        ]
        if len(self._by_origin) < self._MAX_CACHED:
            self._by_origin[origin] = found
        return found
