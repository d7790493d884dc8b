"""engagement: a person's erasure and export (GDPR).

Erasure deletes the person's journeys (their facts: times, places, languages), their messages and the
messages' delivery logs, their push devices (the providers' tokens), and when they were told about the
products they wish for; their survey answers are anonymised (the scores stay for the statistics, tied
to no one, their comments gone). The suppression list keeps only keyed hashes of addresses: nothing readable of
anyone stays. Messages already handed to the mail queue are the kernel's to forget (customers' erasure
deletes them by address).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from comptoir.core.uow import UnitOfWork
from comptoir.engagement import birthdays, devices, reading, surveys, wishes
from comptoir.engagement.models import Delivery, Instance, Message


def erase_customers(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    ids = list(customer_ids)
    devices.erase(uow, ids)
    wishes.erase(uow, ids)
    surveys.erase(uow, ids)  # anonymised: the scores stay for the statistics
    birthdays.erase(uow, ids)
    instances = select(Instance.id).where(Instance.customer_id.in_(ids))
    messages = select(Message.id).where(Message.instance_id.in_(instances))
    uow.session.execute(delete(Delivery).where(Delivery.message_id.in_(messages)))
    uow.session.execute(delete(Message).where(Message.instance_id.in_(instances)))
    result = uow.session.execute(delete(Instance).where(Instance.customer_id.in_(ids)))
    return int(result.rowcount)  # type: ignore[attr-defined]


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The person's journeys, each with its messages and their delivery logs; their push devices; their
    survey answers, comments included."""
    return {
        "journeys": [i.model_dump(mode="json") for i in reading.instances_of(uow, customer_id)],
        "devices": devices.export(uow, customer_id),
        "wish_notices": wishes.export(uow, customer_id),
        "survey_answers": surveys.export(uow, customer_id),
    }
