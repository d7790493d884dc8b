"""live: the WebSockets of the advisor's console and the customer's page — presence and heartbeats,
offers, queue updates, and the WebRTC signalling between the two browsers of a session.

``/v1/live/ws/advisor?access_token=<staff session>`` (or the pages' staff cookie, from this site only): the advisor's presence (``{"type": "presence",
"status": "available"}``), heartbeats (``{"type": "heartbeat"}`` every ``heartbeat_seconds``), and what
the hub says on their topic (offers, the session's customer side). ``/v1/live/ws/customer?ticket=<ticket>``:
the request's state on each heartbeat, and what the hub says on the request's topic (the session starts,
products pushed, chat, the end).

Signalling, either side: ``{"type": "signal", "session_id": …, "data": {sdp or candidate}}`` goes to the
other side of that session through the hub — whichever process it is connected to. A message for a session
the sender is not part of (or an ended one) is refused with ``{"type": "error", …}`` and logged; the
connection goes on. Closing codes: 4401 (no, bad or expired credentials), 4403 (not allowed).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from comptoir.core import staff
from comptoir.core.access import scope_allows
from comptoir.core.api import AppState
from comptoir.core.context import Actor
from comptoir.core.errors import Problem, Unauthorized
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import STAFF_COOKIE
from comptoir.live import notices, service, tickets
from comptoir.live.config import live_settings
from comptoir.live.routes import ADVISING

router = APIRouter(prefix="/v1/live/ws")
log = logging.getLogger("comptoir.live")
WS_UNAUTHORIZED, WS_FORBIDDEN = 4401, 4403
MAX_MESSAGE = 64 * 1024  # an SDP offer is a few kilobytes


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    await websocket.close(code=code, reason=reason.encode()[:120].decode(errors="ignore"))


def _same_origin(websocket: WebSocket) -> bool:
    """A browser always sends Origin on a WebSocket: the console's cookie is honoured from this site only
    (another site's page cannot open the advisor's socket with the advisor's cookie)."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    return origin is None or (host is not None and origin.split("://", 1)[-1] == host)


async def _staff_actor(state: AppState, websocket: WebSocket) -> Actor:
    """The advisor: their staff session as ``access_token`` (apps), or the pages' session cookie."""
    token = websocket.query_params.get("access_token") or ""
    if not token and _same_origin(websocket):
        token = websocket.cookies.get(STAFF_COOKIE, "")
    if not token.startswith(staff.SESSION_PREFIX):
        raise Unauthorized("An advisor signs in: their staff session goes as access_token.")
    actor = (await staff.signed_in(state.db, token)).actor
    if actor.role not in ADVISING or not scope_allows(actor.scopes, "live", "write"):
        raise Problem("Your role does not take live calls.", status=403)
    return actor


class Connection:
    """One WebSocket: who it is, the sessions it was checked for, and its pump from the hub."""

    def __init__(
        self, websocket: WebSocket, state: AppState, side: str, actor: Actor, claims: dict[str, Any]
    ):
        self.websocket, self.state, self.side, self.actor, self.claims = websocket, state, side, actor, claims
        self.id = new_id("lcn")
        self.sessions: dict[str, str] = {}  # session id -> the other side's topic

    async def send(self, message: dict[str, Any]) -> None:
        await self.websocket.send_text(json.dumps(message, separators=(",", ":")))

    async def run_db(self, work: Callable[[UnitOfWork], Any], *, write: bool = False) -> Any:
        def call() -> Any:
            uow = UnitOfWork(self.state.db, self.actor, read_only=not write)
            with uow:
                result = work(uow)
                if write:
                    uow.commit()
                return result

        return await run_in_threadpool(call)

    async def publish(self, told: list[notices.Notice]) -> None:
        hub = self.state.hub
        for topic, message in told:
            await hub.publish(topic, message)

    async def peer_topic(self, session_id: str) -> str | None:
        """The other side's topic for a session this connection is part of (None: refused)."""
        if session_id in self.sessions:
            return self.sessions[session_id]

        def check(uow: UnitOfWork) -> str | None:
            from comptoir.live.sessions import load, side_of

            try:
                row = load(uow, session_id)
                side = side_of(row, self.actor, self.claims.get("req"))
            except Problem:
                return None
            if side != self.side or row.status != "active":
                return None
            return notices.side(row.advisor_id, row.request_id, notices.other(side))

        topic: str | None = await self.run_db(check)
        if topic is not None:
            self.sessions[session_id] = topic
        return topic

    async def signal(self, message: dict[str, Any]) -> None:
        session_id = str(message.get("session_id") or "")
        topic = await self.peer_topic(session_id) if session_id else None
        data = message.get("data")
        if topic is None or not isinstance(data, dict):
            log.warning(
                "live signal refused",
                extra={"session_id": session_id, "side": self.side, "connection": self.id},
            )
            await self.send(
                {
                    "type": "error",
                    "slug": "signal-refused",
                    "detail": "Not a session of yours.",
                    "session_id": session_id,
                }
            )
            return
        await self.state.hub.publish(
            topic, {"type": "signal", "session_id": session_id, "from": self.side, "data": data}
        )

    async def pump(self, topic: str) -> None:
        """What the hub says on this connection's topic, to the browser. A gap (the hub's connection came
        back, or this page fell behind) is told as ``queue``: the page reads the state again."""
        async with self.state.hub.subscribe(topic) as subscription:
            async for heard, message in subscription:
                await self.send({"type": "queue"} if heard.startswith("hub.") else message)


async def _serve(
    conn: Connection, topic: str, on_message: Callable[[dict[str, Any]], Awaitable[None]]
) -> None:
    pump = asyncio.create_task(conn.pump(topic))
    try:
        while True:
            text = await conn.websocket.receive_text()
            if len(text) > MAX_MESSAGE:
                await conn.send({"type": "error", "slug": "too-large", "detail": "Message too large."})
                continue
            try:
                message = json.loads(text)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                await conn.send({"type": "error", "slug": "bad-message", "detail": "Send JSON objects."})
                continue
            if message.get("type") == "signal":
                await conn.signal(message)
            else:
                await on_message(message)
    except WebSocketDisconnect:
        return
    finally:
        pump.cancel()


@router.websocket("/advisor")
async def advisor_socket(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.comptoir
    await websocket.accept()
    try:
        actor = await _staff_actor(state, websocket)
    except Problem as problem:
        log.warning("live advisor socket refused", extra={"reason": problem.detail})
        await _close(websocket, WS_UNAUTHORIZED if problem.status == 401 else WS_FORBIDDEN, problem.detail)
        return
    advisor_id = actor.staff_id or ""
    conn = Connection(websocket, state, "advisor", actor, {})

    async def on_message(message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "heartbeat":
            alive = await conn.run_db(lambda uow: service.heartbeat(uow, advisor_id, conn.id), write=True)
            await conn.send({"type": "heartbeat", "current": bool(alive)})
        elif kind == "presence":
            status = str(message.get("status") or "")
            try:
                out, told = await conn.run_db(
                    lambda uow: service.set_presence(uow, advisor_id, status, conn.id), write=True
                )
            except Problem as problem:
                await conn.send({"type": "error", "slug": problem.slug, "detail": problem.detail})
                return
            await conn.publish(told)
            await conn.send({"type": "presence", **out.model_dump(mode="json")})
        else:
            await conn.send({"type": "error", "slug": "bad-message", "detail": f"Unknown type {kind!r}."})

    await conn.send(
        {"type": "hello", "connection_id": conn.id, "heartbeat_seconds": live_settings().heartbeat_seconds}
    )
    try:
        await _serve(conn, notices.advisor(advisor_id), on_message)
    finally:
        told = await conn.run_db(lambda uow: service.disconnected(uow, advisor_id, conn.id), write=True)
        await conn.publish(told)


@router.websocket("/customer")
async def customer_socket(websocket: WebSocket) -> None:
    state: AppState = websocket.app.state.comptoir
    await websocket.accept()
    try:
        claims = tickets.read(state.settings.secret_key, websocket.query_params.get("ticket"))
    except Problem as problem:
        log.warning("live customer socket refused", extra={"reason": problem.detail})
        await _close(websocket, WS_UNAUTHORIZED, problem.detail)
        return
    actor = Actor(
        kind="customer" if claims.get("sub") else "publishable", customer_id=claims.get("sub"), channel="live"
    )
    conn = Connection(websocket, state, "customer", actor, claims)
    request_id = str(claims["req"])

    async def current_state() -> dict[str, Any]:
        out = await conn.run_db(lambda uow: service.request_state(uow, request_id, claims))
        return {"type": "state", **out.model_dump(mode="json")}

    async def on_message(message: dict[str, Any]) -> None:
        if message.get("type") == "heartbeat":
            await conn.send(await current_state())
        else:
            await conn.send({"type": "error", "slug": "bad-message", "detail": "Unknown message type."})

    try:
        await conn.send(await current_state())
    except Problem as problem:
        await _close(websocket, WS_FORBIDDEN, problem.detail)
        return
    await _serve(conn, notices.request(request_id), on_message)
