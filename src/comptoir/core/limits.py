"""A maximum request body size, as a pure ASGI middleware.

A body larger than ``COMPTOIR_MAX_BODY_BYTES`` (1 MiB) — ``COMPTOIR_MAX_UPLOAD_BYTES`` (64 MiB) for
``multipart/form-data`` uploads (assets, catalogue and store files) — is answered 413 problem+json:
at once when ``Content-Length`` announces it, or as soon as the bytes received pass the limit when
the body is streamed without one. Nothing past the limit is read, buffered or handed to a route.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comptoir.core.errors import PROBLEM_CONTENT_TYPE, Problem


class BodyTooLarge(Problem, HTTPException):  # type: ignore[misc]  # headers: a dict either way
    """Raised from ``receive`` when a streamed body passes its limit. An ``HTTPException`` too, so the
    framework's body parsing lets it through (it turns other errors into a 400)."""

    status = 413
    slug = "request-too-large"
    title = "Request body too large"

    def __init__(self, limit: int) -> None:
        Problem.__init__(
            self,
            f"The request body is larger than {limit} bytes.",
            errors=[{"header": "Content-Length", "detail": f"at most {limit} bytes"}],
        )
        self.status_code = 413


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    def limit_for(self, scope: Scope) -> tuple[int, int | None, bool]:
        """(the limit for this request, the length its ``Content-Length`` announces, whether it comes
        in chunks: ``Transfer-Encoding``)."""
        declared: int | None = None
        chunked = False
        limit = self.max_bytes
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type" and value[:19].lower() == b"multipart/form-data":
                limit = self.max_upload_bytes
        return limit, declared, chunked

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, declared, chunked = self.limit_for(scope)
        if declared is not None and declared > limit:
            await _answer(send, BodyTooLarge(limit))
            return
        if not chunked and not declared and scope.get("http_version", "1.1") in ("1.0", "1.1"):
            # HTTP/1 with neither Content-Length nor Transfer-Encoding: no body (RFC 9112 §6.3), nothing
            # to count. (HTTP/2 may send a body without announcing its length: it is counted.)
            await self.app(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await _answer(send, exc)


async def _answer(send: Send, problem: Problem) -> None:
    body = json.dumps(problem.to_dict()).encode()
    headers = [
        (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is never read
    ]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
