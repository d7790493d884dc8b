"""``Idempotency-Key`` for POST requests.

The first request with a key claims it (a unique row per API key and key), runs, and stores its
response; a replay gets that response back with ``Idempotent-Replayed: true``. The same key with a
different request is refused (422). A racing duplicate waits for the first to finish and gets its
response, so two identical requests create one resource. A 5xx answer releases the key so the
client may retry. Only an authenticated request claims a key: the API key is verified first, so a
missing, malformed, unknown or revoked key stores nothing (the route answers its 401).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import anyio
from sqlalchemy import delete, select, update
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from comptoir.core import clock
from comptoir.core.auth import hash_token, parse_token
from comptoir.core.db import Database, insert_ignore
from comptoir.core.errors import PROBLEM_CONTENT_TYPE, Conflict, InvalidInput, Problem
from comptoir.core.models import IdempotencyRecord

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255


def _problem_response(problem: Problem) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = json.dumps(problem.to_dict()).encode()
    headers = [(b"content-type", PROBLEM_CONTENT_TYPE.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    return problem.status, headers, body


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        db: Database,
        *,
        ttl_hours: int,
        wait_seconds: float,
        verify: Callable[[str], object],
    ) -> None:
        self.app = app
        self.db = db
        self.verify = verify  # the app's authenticator: raises a 401 problem for a key it refuses
        self.ttl = timedelta(hours=ttl_hours)
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key_bytes = headers.get(HEADER)
        token = await self._verified_token(headers) if key_bytes is not None else None
        if key_bytes is None or token is None:
            await self.app(scope, receive, send)
            return
        key = key_bytes.decode("latin-1").strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            await self._send(
                send,
                *_problem_response(
                    InvalidInput(
                        f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.",
                        errors=[{"header": "Idempotency-Key", "detail": "invalid length"}],
                    )
                ),
            )
            return

        body = await _read_body(receive)
        # One key space per credential and signed-in customer: customers sharing a publishable key never
        # meet each other's keys (nor replay each other's responses).
        customer = headers.get(b"x-customer-token", b"").decode("latin-1")
        scope_hash = hash_token(f"{token}\n{customer}")[:32]
        digest = hashlib.sha256(
            b"\n".join(
                [scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body]
            )
        ).hexdigest()

        while not await anyio.to_thread.run_sync(
            self._claim, scope_hash, key, scope["method"], scope["path"], digest
        ):
            if await self._replay(send, scope_hash, key, digest):
                return
            # The first request failed with a 5xx and released the key: claim it ourselves.

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        sent = False

        async def replay_receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await anyio.to_thread.run_sync(self._release, scope_hash, key)
            raise
        if captured["status"] >= 500:
            await anyio.to_thread.run_sync(self._release, scope_hash, key)
        else:
            await anyio.to_thread.run_sync(self._complete, scope_hash, key, captured)

    async def _verified_token(self, headers: dict[bytes, bytes]) -> str | None:
        """The request's API key if the authenticator accepts it, else None (the route answers 401)."""
        authorization, api_key = headers.get(b"authorization"), headers.get(b"x-api-key")
        try:
            token = parse_token(
                authorization.decode("latin-1") if authorization else None,
                api_key.decode("latin-1") if api_key else None,
            )
            if token is None:
                return None
            await anyio.to_thread.run_sync(self.verify, token)
        except Problem:
            return None
        return token

    # -- database steps (run in a thread) ------------------------------------------------------
    def _claim(self, scope_hash: str, key: str, method: str, path: str, digest: str) -> bool:
        now = clock.now()
        with self.db.writer() as session, session.begin():
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope_hash,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.expires_at < now,
                )
            )
            inserted = insert_ignore(
                session,
                IdempotencyRecord,
                [
                    {
                        "scope": scope_hash,
                        "key": key,
                        "method": method,
                        "path": path,
                        "request_hash": digest,
                        "status": "in_progress",
                        "created_at": now,
                        "expires_at": now + self.ttl,
                    }
                ],
            )
            return inserted == 1

    def _load(self, scope_hash: str, key: str) -> IdempotencyRecord | None:
        with self.db.reader() as session:
            return session.scalars(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope_hash, IdempotencyRecord.key == key
                )
            ).first()

    def _complete(self, scope_hash: str, key: str, captured: dict[str, Any]) -> None:
        keep = {b"content-type", b"location", b"etag"}
        headers = {k.decode(): v.decode() for k, v in captured["headers"] if k.lower() in keep}
        with self.db.writer() as session, session.begin():
            session.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.scope == scope_hash, IdempotencyRecord.key == key)
                .values(
                    status="completed",
                    response_status=captured["status"],
                    response_headers=headers,
                    response_body=captured["body"],
                )
            )

    def _release(self, scope_hash: str, key: str) -> None:
        with self.db.writer() as session, session.begin():
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.scope == scope_hash, IdempotencyRecord.key == key
                )
            )

    # -- replies ----------------------------------------------------------------------------------
    async def _replay(self, send: Send, scope_hash: str, key: str, digest: str) -> bool:
        """Answer from the stored request; ``False`` when the key was released and may be claimed."""
        deadline = anyio.current_time() + self.wait_seconds
        while True:
            record = await anyio.to_thread.run_sync(self._load, scope_hash, key)
            if record is not None and record.request_hash != digest:
                await self._send(
                    send,
                    *_problem_response(
                        InvalidInput(
                            "This Idempotency-Key was already used with a different request.",
                            errors=[
                                {"header": "Idempotency-Key", "detail": "reused with a different request"}
                            ],
                            slug="idempotency-key-reused",
                        )
                    ),
                )
                return True
            if record is None:
                return False
            if record.status == "completed":
                headers = [(k.encode(), v.encode()) for k, v in (record.response_headers or {}).items()]
                headers.append((b"idempotent-replayed", b"true"))
                await self._send(send, record.response_status or 200, headers, record.response_body or b"")
                return True
            if anyio.current_time() >= deadline:
                await self._send(
                    send,
                    *_problem_response(
                        Conflict(
                            "A request with this Idempotency-Key is still being processed; retry shortly.",
                            headers={"Retry-After": "1"},
                            slug="idempotency-key-in-progress",
                        )
                    ),
                )
                return True
            await asyncio.sleep(0.05)

    @staticmethod
    async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
