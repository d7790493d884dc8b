"""live: settings of this domain (environment variables prefixed ``COMPTOIR_LIVE_``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LiveSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_LIVE_", extra="ignore")

    service_code: str = Field(
        default="consultation-video",
        description="The appointments service of the live studio: its advisors take the calls, its hours are "
        "the live service's, its slots are offered when nobody is free",
    )
    claim_seconds: int = Field(
        default=20, ge=5, le=300, description="An advisor who does not accept an offer within this loses it"
    )
    heartbeat_seconds: int = Field(
        default=10, ge=1, le=120, description="How often the pages send a heartbeat"
    )
    presence_window_seconds: int = Field(
        default=30,
        ge=3,
        le=600,
        description="An advisor with no heartbeat for this long is offline (their offer goes to another)",
    )
    waiting_minutes: int = Field(
        default=30, ge=1, le=240, description="A request nobody took for this long ends: slots are offered"
    )
    session_minutes_default: int = Field(
        default=12, ge=1, le=120, description="The session length used for the wait estimate before any ended"
    )
    ticket_hours: int = Field(
        default=4, ge=1, le=48, description="How long a customer's session ticket lasts"
    )
    routing_seconds: float = Field(default=2.0, gt=0, description="How often the routing job looks")
    stun_urls: list[str] = Field(default_factory=list, description="STUN servers given to the browsers")
    turn_urls: list[str] = Field(
        default_factory=list, description="TURN servers (coturn) given to the browsers"
    )
    turn_secret: str = Field(
        default="", description="coturn's static-auth-secret: time-limited TURN credentials (REST scheme)"
    )
    turn_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    ice_transport_policy: Literal["all", "relay"] = Field(
        default="all", description="relay: the browsers use TURN only (a network that allows nothing else)"
    )
    media: Literal["p2p", "livekit"] = Field(
        default="p2p",
        description="p2p: browser to browser, Comptoir signals; livekit: a LiveKit media server",
    )
    livekit_url: str = Field(default="", description="LiveKit's API and WebSocket address (media=livekit)")
    livekit_api_key: str = ""
    livekit_api_secret: str = ""


_CACHED: list[LiveSettings] = []


def live_settings() -> LiveSettings:
    """The process's live settings, read from the environment once."""
    if not _CACHED:
        _CACHED.append(LiveSettings())
    return _CACHED[0]
