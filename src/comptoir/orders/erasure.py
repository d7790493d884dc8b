"""orders: a person's erasure and export (GDPR).

An order is an accounting record: its lines, amounts, dates and the (erased) customer's id stay;
its contact fields go — the e-mail, the delivery address, the customer's note. What the orders
held is also scrubbed from the kernel's stores (event payloads, idempotency responses, mail files).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update

from comptoir.core import erasure
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders.models import Order
from comptoir.orders.read import load_order


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def erase_customers(uow: UnitOfWork, settings: Settings, customer_ids: Sequence[str]) -> int:
    """Anonymise the contact fields of the customers' orders; returns how many orders changed."""
    rows = uow.session.execute(
        select(Order.id, Order.email, Order.address, Order.note).where(Order.customer_id.in_(customer_ids))
    ).all()
    if not rows:
        return 0
    order_ids = [row.id for row in rows]
    values = {row.email for row in rows if row.email}
    values |= {s for row in rows for s in _strings(row.address) if len(s) >= 5}
    values |= {row.note for row in rows if row.note}
    uow.session.execute(
        update(Order)
        .where(Order.id.in_(order_ids))
        .values(email=None, address=None, note="", receipt_by_email=False)
    )
    erasure.redact(uow, settings, ids=[*customer_ids, *order_ids], values=sorted(values))
    return len(order_ids)


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """Every order of the customer in full: lines, amounts, e-mail, delivery address, fulfilments."""
    ids = uow.session.scalars(
        select(Order.id).where(Order.customer_id == customer_id).order_by(Order.created_at, Order.id)
    ).all()
    orders = [load_order(uow, order_id) for order_id in ids]
    return {"orders": [o.model_dump(mode="json") for o in orders if o is not None]}
