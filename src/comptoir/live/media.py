"""live: how the two browsers connect their video.

``p2p`` (the default): browser to browser over WebRTC, Comptoir carrying the signalling on its WebSockets;
the ICE servers come from settings — STUN, and TURN (coturn) with time-limited credentials in coturn's REST
scheme, so nothing secret or lasting reaches a browser. ``livekit``: a LiveKit media server holds the room;
each side gets a token for the session's room from the server's API (``livekit-api``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from comptoir.live import policies
from comptoir.live.config import LiveSettings
from comptoir.live.schemas import IceServer, MediaOut


class MediaProvider(Protocol):
    def join(self, room: str, identity: str, name: str, now: datetime) -> MediaOut: ...


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


class LiveKit:
    """Rooms and tokens through ``livekit-api``: the room is created on the server when first joined; the
    token lets one identity join that room only, publish and subscribe, for the ticket's lifetime."""

    def __init__(self, settings: LiveSettings) -> None:
        self.settings = settings

    def join(self, room: str, identity: str, name: str, now: datetime) -> MediaOut:
        from livekit import api  # an optional extra: only a retailer using LiveKit installs it

        s = self.settings
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


def provider(settings: LiveSettings) -> MediaProvider:
    return LiveKit(settings) if settings.media == "livekit" else PeerToPeer(settings)
