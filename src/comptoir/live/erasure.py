"""live: the customer's part of the 360° view and of the GDPR export, their erasure, and the forgetting of
anonymous visitors' messages.

Erasure deletes the chat of the person's sessions and blanks what identified them or was said about them
(the name they gave, the message and contact they left, their postcode, the advisor's notes); the sessions
stay, anonymous, for the advisors' figures. Visitors who never signed in cannot be erased by id: their
names, messages and contacts are blanked :data:`KEEP_DAYS` after the request ended (:func:`forget_visitors`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from comptoir.core.uow import UnitOfWork
from comptoir.live.models import Chat, Request, Session

KEEP_DAYS = 90


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The customer's live sessions, newest first, with their reports (the seller's 360°)."""
    rows = uow.session.scalars(
        select(Session)
        .where(Session.customer_id == customer_id)
        .order_by(Session.started_at.desc())
        .limit(20)
    ).all()
    return {
        "sessions": [
            {
                "id": r.id,
                "status": r.status,
                "advisor_name": r.advisor_name,
                "shop_id": r.shop_id,
                "topic": r.topic,
                "started_at": r.started_at.isoformat(),
                "ended_at": r.ended_at.isoformat() if r.ended_at else None,
                "report": r.report,
            }
            for r in rows
        ]
    }


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """Everything live holds on the person: their requests, sessions (with reports) and chat."""
    requests = uow.session.scalars(select(Request).where(Request.customer_id == customer_id)).all()
    section = customer_section(uow, customer_id)
    ids = [s["id"] for s in section["sessions"]]
    chat = (
        uow.session.scalars(select(Chat).where(Chat.session_id.in_(ids)).order_by(Chat.id)).all()
        if ids
        else []
    )
    return {
        "requests": [
            {
                "id": r.id,
                "topic": r.topic,
                "status": r.status,
                "name": r.visitor_name,
                "message": r.message,
                "contact": r.contact,
                "postcode": r.postcode,
                "created_at": r.created_at.isoformat(),
            }
            for r in requests
        ],
        "sessions": section["sessions"],
        "chat": [
            {"session_id": c.session_id, "by": c.by, "text": c.text, "at": c.at.isoformat()} for c in chat
        ],
    }


def erase(uow: UnitOfWork, customer_ids: Sequence[str]) -> None:
    ids = list(customer_ids)
    sessions = list(uow.session.scalars(select(Session).where(Session.customer_id.in_(ids))))
    if sessions:
        uow.session.execute(delete(Chat).where(Chat.session_id.in_([s.id for s in sessions])))
        for row in sessions:  # the report keeps its figures and products, not what was said of her
            row.customer_id, row.notes, row.postcode = None, "", ""
            if row.report is not None:
                row.report = {**row.report, "notes": ""}
    uow.session.execute(
        update(Request)
        .where(Request.customer_id.in_(ids))
        .values(customer_id=None, visitor_name="", message="", contact="", postcode="")
    )


def forget_visitors(uow: UnitOfWork, now: datetime) -> int:
    """Anonymous visitors' names, messages and contacts, :data:`KEEP_DAYS` after their request ended."""
    cutoff = now - timedelta(days=KEEP_DAYS)
    result = uow.session.execute(
        update(Request)
        .where(
            Request.ended_at < cutoff,
            or_(
                Request.visitor_name != "",
                Request.message != "",
                Request.contact != "",
                Request.postcode != "",
            ),
        )
        .values(visitor_name="", message="", contact="", postcode="")
    )
    stale = select(Session.id).where(Session.ended_at < cutoff, Session.customer_id.is_(None))
    uow.session.execute(delete(Chat).where(Chat.session_id.in_(stale)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
