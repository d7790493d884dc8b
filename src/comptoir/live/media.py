"""live: how the two browsers connect their video.

``p2p`` (the default): browser to browser over WebRTC, Comptoir carrying the signalling on its WebSockets;
the ICE servers come from settings — STUN, and TURN (coturn) with time-limited credentials in coturn's REST
scheme, so nothing secret or lasting reaches a browser. ``livekit``: a LiveKit media server holds the room;
the session's room is created on the server through its API (``livekit-api``, the ``livekit`` extra) and
each side gets a token for that room only.

A session's room is ``live-<session id>`` (:func:`room_name`). Its deletion when the session ends is an
outside effect: the route calls :func:`end_room` after its transaction committed, and a deletion that fails
is only logged — the room also closes itself once empty for ``EMPTY_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from comptoir.core.errors import Unavailable
from comptoir.live import policies
from comptoir.live.config import LiveSettings, live_settings
from comptoir.live.schemas import IceServer, MediaOut

log = logging.getLogger("comptoir.live")
T = TypeVar("T")

# A route waits for LiveKit's answer: past this, the caller gets a 503 it can retry, not a hung request.
API_TIMEOUT_SECONDS = 5.0
# A room nobody is in closes itself after this: the session ended and its deletion failed, or both sides
# left without ending it. Long enough for a page reload or a network change to come back to the room.
EMPTY_TIMEOUT_SECONDS = 300
MAX_PARTICIPANTS = 2  # the customer and the advisor
SLUG = "media-unavailable"  # the problem's type: the session stands, its video cannot be joined yet


def room_name(session_id: str) -> str:
    """The media server's room of a session (one room per session, named after it)."""
    return f"live-{session_id}"


class MediaProvider(Protocol):
    def join(self, room: str, identity: str, name: str, now: datetime) -> MediaOut: ...

    def close(self, room: str) -> None: ...


class PeerToPeer:
    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings

    def join(self, room: str, identity: str, name: str, now: datetime) -> MediaOut:
        s = self.settings
        servers = [IceServer(urls=list(s.stun_urls))] if s.stun_urls else []
        if s.turn_urls and s.turn_secret:
            username, credential = policies.turn_credentials(s.turn_secret, identity, now, s.turn_ttl_seconds)
            servers.append(IceServer(urls=list(s.turn_urls), username=username, credential=credential))
        return MediaOut(kind="p2p", ice_servers=servers, ice_transport_policy=s.ice_transport_policy)

    def close(self, room: str) -> None:
        """Nothing to close: the browsers' connection ends with their pages."""


class LiveKit:
    """Rooms and tokens through ``livekit-api``: the session's room is created on the server (Twirp
    ``CreateRoom``) whenever a side joins — idempotent on LiveKit's side, so a side joining again after the
    room closed itself finds it again; the token lets one identity join that room only, publish and
    subscribe, for the ticket's lifetime. A server that does not answer, or refuses the key, is a 503 the
    page can retry (:class:`~comptoir.core.errors.Unavailable`), not a 500."""

    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings

    def join(self, room: str, identity: str, name: str, now: datetime) -> MediaOut:
        api = _livekit()
        s = self.settings
        request = api.CreateRoomRequest(
            name=room, empty_timeout=EMPTY_TIMEOUT_SECONDS, max_participants=MAX_PARTICIPANTS
        )
        self._call(lambda server: server.room.create_room(request))
        grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True)
        token = (
            api.AccessToken(s.livekit_api_key, s.livekit_api_secret)
            .with_identity(identity)
            .with_name(name)
            .with_grants(grants)
            .with_ttl(timedelta(hours=s.ticket_hours))
            .to_jwt()
        )
        return MediaOut(kind="livekit", url=s.livekit_url, token=token)

    def close(self, room: str) -> None:
        """Delete the room, disconnecting whoever is still in it (Twirp ``DeleteRoom``)."""
        api = _livekit()
        self._call(lambda server: server.room.delete_room(api.DeleteRoomRequest(room=room)))

    def _call(self, call: Callable[[Any], Awaitable[T]]) -> T:
        """One call of LiveKit's API (an asyncio client) from the route's worker thread, with a client of
        its own made and closed on that call's loop; its failures become :class:`Unavailable`."""
        api = _livekit()
        import aiohttp

        s = self.settings

        async def run() -> T:
            server = api.LiveKitAPI(
                s.livekit_url,
                s.livekit_api_key,
                s.livekit_api_secret,
                timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_SECONDS),
                failover=False,  # one server of the retailer's: no LiveKit Cloud regions to try
            )
            try:
                return await call(server)
            finally:
                await server.aclose()

        try:
            return _run(run())
        except ValueError as exc:  # no URL, key or secret configured
            log.error("LiveKit is not configured", extra={"error": str(exc)})
            raise Unavailable(
                "The video server is not configured (COMPTOIR_LIVE_LIVEKIT_URL, _API_KEY, _API_SECRET).",
                slug=SLUG,
            ) from exc
        except (aiohttp.ClientError, TimeoutError, api.TwirpError) as exc:
            log.warning("LiveKit did not answer", extra={"url": s.livekit_url, "error": str(exc)[:300]})
            raise Unavailable(
                "The video server does not answer: the session goes on, ask for it again in a moment "
                "to join its video.",
                slug=SLUG,
            ) from exc


def _livekit() -> Any:
    """``livekit.api``: an optional extra, installed only by a retailer using LiveKit."""
    try:
        from livekit import api
    except ImportError as exc:
        raise Unavailable(
            "COMPTOIR_LIVE_MEDIA=livekit but LiveKit's client is not installed: pip install 'comptoir[livekit]'.",
            slug=SLUG,
        ) from exc
    return api


def _run(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end from synchronous code: on a loop of its own, in this thread when it runs
    none (a route's worker thread), else in a thread of its own (never blocking a running loop's thread
    on itself)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


def end_room(session_id: str, settings: LiveSettings | None = None) -> None:
    """After the session's end is committed: close its room on the media server, if it has one. Best
    effort — the session has ended whatever LiveKit says, and an empty room closes itself anyway."""
    try:
        provider(settings or live_settings()).close(room_name(session_id))
    except Unavailable:
        log.warning("live room not deleted: it closes itself once empty", extra={"session_id": session_id})


def provider(settings: LiveSettings) -> MediaProvider:
    return LiveKit(settings) if settings.media == "livekit" else PeerToPeer(settings)
