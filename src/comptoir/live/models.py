"""Tables of the live domain (named ``live_*``).

* ``live_presence``: one row per advisor (a staff person): available, busy, away or offline, the
  connection that set it and its last heartbeat. Every process reads and writes it: presence is never a
  process's memory, so an advisor connected to one API process is offered a customer connected to another.
* ``live_requests``: a customer asking to talk now — topic, language, where it came from; waiting, then
  offered to one advisor at a time (``offered_to`` until ``offer_expires_at``), accepted into a session, or
  ended (cancelled, nobody took it, a message left instead). ``passed`` lists the advisors who let it go.
* ``live_sessions``: a video session between a customer and an advisor, its cart, the advisor's notes
  and recommendations, and the report written when it ends (duration, products shown, added, bought).
* ``live_session_items``: what happened to products in a session (pushed, compared, added, wished, bought,
  recommended), in order.
* ``live_chat``: the session's text chat.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base


class Presence(Base):
    __tablename__ = "live_presence"

    advisor_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # available | busy | away | offline
    connection_id: Mapped[str | None] = mapped_column(String(40))
    heartbeat_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    idle_since: Mapped[datetime]  # the longest idle available advisor is offered first
    session_id: Mapped[str | None] = mapped_column(String(40))


class Request(Base):
    __tablename__ = "live_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    visitor_name: Mapped[str] = mapped_column(String(120), default="")
    topic: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(32))  # web | app
    status: Mapped[str] = mapped_column(
        String(16)
    )  # waiting | offered | accepted | cancelled | unanswered | message
    offered_to: Mapped[str | None] = mapped_column(String(40))
    offer_expires_at: Mapped[datetime | None]
    passed: Mapped[list[Any]]  # advisors who declined or let the offer lapse
    message: Mapped[str] = mapped_column(Text, default="")  # left when nobody could answer
    contact: Mapped[str] = mapped_column(String(254), default="")
    postcode: Mapped[str] = mapped_column(String(16), default="")  # the stock shown is the nearest to it
    share_profile: Mapped[bool] = mapped_column(Boolean, default=False)  # the advisor may see the 360°
    session_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_live_requests_status", "status", "created_at"),)


class Session(Base):
    __tablename__ = "live_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    advisor_id: Mapped[str] = mapped_column(String(40), index=True)
    advisor_name: Mapped[str] = mapped_column(String(200), default="")
    shop_id: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))  # active | ended
    cart_id: Mapped[str | None] = mapped_column(String(40), index=True)
    postcode: Mapped[str] = mapped_column(String(16), default="")
    profile_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    recommended: Mapped[list[Any]]  # SKUs the advisor recommends
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    report: Mapped[dict[str, Any] | None]
    sales_total: Mapped[Decimal] = mapped_column(Numeric(14, 4), default=Decimal(0))
    sales_currency: Mapped[str] = mapped_column(String(3), default="")
    order_ids: Mapped[list[Any]]


class SessionItem(Base):
    __tablename__ = "live_session_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # pushed | compared | added | wished | bought | recommended
    by: Mapped[str] = mapped_column(String(16))  # advisor | customer
    at: Mapped[datetime]


class Chat(Base):
    __tablename__ = "live_chat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    by: Mapped[str] = mapped_column(String(16))  # advisor | customer
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
