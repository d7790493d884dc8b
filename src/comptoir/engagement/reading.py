"""engagement: reading journeys' instances and messages — a customer's, with why each message is held."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from comptoir.core.errors import not_found
from comptoir.core.uow import UnitOfWork
from comptoir.engagement.models import Delivery, Instance, Message
from comptoir.engagement.schemas import DeliveryOut, InstanceOut, MessageOut


def _message_outs(uow: UnitOfWork, rows: list[Message]) -> list[MessageOut]:
    logs: dict[str, list[DeliveryOut]] = defaultdict(list)
    if rows:
        query = (
            select(Delivery)
            .where(Delivery.message_id.in_([r.id for r in rows]))
            .order_by(Delivery.at, Delivery.id)
        )
        for d in uow.session.scalars(query):
            logs[d.message_id].append(DeliveryOut(kind=d.kind, at=d.at, detail=d.detail))
    return [
        MessageOut.model_validate(
            {c: getattr(r, c) for c in MessageOut.model_fields if c != "deliveries"}
            | {"deliveries": logs[r.id]}
        )
        for r in rows
    ]


def instances_of(uow: UnitOfWork, customer_id: str, limit: int = 500) -> list[InstanceOut]:
    rows = uow.session.scalars(
        select(Instance)
        .where(Instance.customer_id == customer_id)
        .order_by(Instance.started_at.desc(), Instance.id)
        .limit(limit)
    ).all()
    return [_instance_out(uow, row) for row in rows]


def _instance_out(uow: UnitOfWork, row: Instance) -> InstanceOut:
    messages = uow.session.scalars(
        select(Message).where(Message.instance_id == row.id).order_by(Message.planned_at, Message.id)
    ).all()
    return InstanceOut(
        id=row.id,
        journey_code=row.journey_code,
        version=row.version,
        customer_id=row.customer_id,
        subject=row.subject,
        state=row.state,
        started_at=row.started_at,
        ended_at=row.ended_at,
        exit_reason=row.exit_reason,
        messages=_message_outs(uow, list(messages)),
    )


def get_instance(uow: UnitOfWork, instance_id: str) -> InstanceOut:
    row = uow.session.get(Instance, instance_id)
    if row is None:
        raise not_found("Journey instance", instance_id)
    return _instance_out(uow, row)


def messages_of(
    uow: UnitOfWork, customer_id: str, status: str | None = None, limit: int = 200
) -> list[MessageOut]:
    query = select(Message).where(Message.customer_id == customer_id)
    if status is not None:
        query = query.where(Message.status == status)
    rows = uow.session.scalars(query.order_by(Message.due_at.desc(), Message.id).limit(limit)).all()
    return _message_outs(uow, list(rows))


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, object]:
    """The 360° view's part: the latest messages, with what is held and why."""
    return {"messages": [m.model_dump(mode="json") for m in messages_of(uow, customer_id, limit=20)]}
