"""live: requests and answers of the talk-now calls, advisor presence and the video sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from comptoir.core.types import Schema

Status = Literal["available", "away", "offline"]


class TalkNowIn(Schema):
    topic: str = Field(
        default="conseil",
        pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$",
        description="What the customer wants to talk about",
    )
    language: Literal["fr", "en"] = "fr"
    name: str = Field(default="", max_length=120, description="How an anonymous visitor wishes to be called")
    origin: Literal["web", "app"] = Field(default="web", description="Where the customer asks from")
    postcode: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z -]{3,10}$",
        description="Shows the stock of the shops nearest to it",
    )
    share_profile: bool = Field(
        default=False,
        description="A signed-in customer lets the advisor see their profile (the 360° view) in the session",
    )


class IceServer(Schema):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class MediaOut(Schema):
    """How the browsers connect their video: browser to browser with these ICE servers (``p2p``), or a
    LiveKit room with its token (``livekit``)."""

    kind: Literal["p2p", "livekit"]
    ice_servers: list[IceServer] = []
    ice_transport_policy: Literal["all", "relay"] = "all"
    url: str | None = None
    token: str | None = None


class SlotOffer(Schema):
    """A live video slot to book instead (appointments), in the studio's time zone."""

    date: str
    time: str
    timezone: str
    place_id: str
    starts_at: datetime  # the same instant, aware (pages format it by locale)


class RequestOut(Schema):
    """A talk-now request as its customer sees it. ``ticket`` (only when it is created) authenticates the
    customer's WebSocket and session calls for this request: keep it in the page."""

    id: str
    status: str
    topic: str
    language: str
    position: int | None = None
    wait_minutes: int | None = None
    advisors_on_duty: int = 0
    session_id: str | None = None
    ticket: str | None = None
    slots: list[SlotOffer] = []
    service_id: str | None = None
    created_at: datetime


class MessageIn(Schema):
    message: str = Field(min_length=1, max_length=2000)
    contact: str = Field(min_length=3, max_length=254, description="An e-mail address or a phone number")


class PresenceIn(Schema):
    status: Status


class PresenceOut(Schema):
    advisor_id: str
    status: str
    heartbeat_at: datetime | None = None
    session_id: str | None = None
    on_duty: bool = False


class OfferOut(Schema):
    request_id: str
    topic: str
    language: str
    customer_id: str | None
    visitor_name: str
    waited_seconds: int
    expires_at: datetime | None


class ProductCard(Schema):
    """A product pushed to the customer's screen: its image for this channel, its price with promotions
    (and the Omnibus reference when discounted), and its stock in the nearest shops."""

    sku: str
    name: str
    image_url: str | None = None
    price: str | None = None
    currency: str | None = None
    reference_price: str | None = None
    available_online: int = 0
    shops: list[dict[str, Any]] = []


class PushIn(Schema):
    sku: str = Field(min_length=1, max_length=64)


class ItemIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    kind: Literal["compared", "wished", "added"]
    cart_id: str | None = Field(default=None, max_length=40, description="The cart filled in the session")


class NotesIn(Schema):
    notes: str = Field(default="", max_length=10_000)
    recommended: list[str] = Field(default_factory=list, max_length=50)


class ChatIn(Schema):
    text: str = Field(min_length=1, max_length=2000)


class SessionOut(Schema):
    id: str
    request_id: str
    status: str
    advisor_id: str
    advisor_name: str
    shop_id: str | None
    customer_id: str | None
    topic: str
    language: str
    cart_id: str | None
    profile_shared: bool = False
    started_at: datetime
    ended_at: datetime | None
    notes: str = ""
    recommended: list[str] = []
    items: list[dict[str, Any]] = []
    chat: list[dict[str, Any]] = []  # the chat so far ({by, text, at}): a page that reconnects shows it again
    report: dict[str, Any] | None = None
    media: MediaOut | None = None


class BasketLine(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(default=1, ge=1, le=20)


class BasketIn(Schema):
    lines: list[BasketLine] = Field(min_length=1, max_length=20)


class BasketOut(Schema):
    """A basket's checkout link: it fills the opener's cart with the lines, then the checkout."""

    url: str
    expires_at: datetime
    lines: list[BasketLine]
