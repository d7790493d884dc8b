"""live: the facts this domain publishes — for the message journeys (the session report e-mail series),
analytics (live session conversion) and the advisors' sales figures."""

from typing import Any, ClassVar

from comptoir.core.events import DomainEvent


class RequestUnanswered(DomainEvent):
    """Nobody took a talk-now request (outside the live hours, nobody free, or the customer left a message)."""

    event_type: ClassVar[str] = "live.request_unanswered"
    request_id: str
    customer_id: str | None
    topic: str
    language: str
    channel: str
    reason: str  # closed | nobody | timeout | message
    message_left: bool


class SessionStarted(DomainEvent):
    event_type: ClassVar[str] = "live.session_started"
    session_id: str
    request_id: str
    advisor_id: str
    shop_id: str | None
    customer_id: str | None
    topic: str
    language: str
    channel: str
    waited_seconds: int


class SessionEnded(DomainEvent):
    """The session's report: the journeys' session report e-mail reads its products from here."""

    event_type: ClassVar[str] = "live.session_ended"
    session_id: str
    advisor_id: str
    advisor_name: str
    started_at: str
    shop_id: str | None
    customer_id: str | None
    language: str
    duration_seconds: int
    shown: list[str]
    added: list[str]
    bought: list[str]
    recommended: list[str]
    orders: list[str]
    report: dict[str, Any]


class SaleCredited(DomainEvent):
    """An order placed in a session, credited to its advisor and their shop."""

    event_type: ClassVar[str] = "live.sale_credited"
    session_id: str
    order_id: str
    advisor_id: str
    shop_id: str | None
    customer_id: str | None
    total: str
    currency: str
