"""receipts: find a receipt by the number printed on it (a customer at the counter shows their ticket)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from comptoir.core.uow import UnitOfWork
from comptoir.receipts.models import Receipt


def normalise_number(number: str) -> str:
    """``t cmd 7k2m9qxa`` → ``T-CMD-7K2M9QXA``: case, spaces and dashes forgiven."""
    compact = re.sub(r"[\s\-./]", "", number).upper()
    if compact.startswith("TCMD"):
        return f"T-CMD-{compact[4:]}"
    if compact.startswith("CMD"):
        return f"T-CMD-{compact[3:]}"
    return number.strip().upper()


def sale_of_receipt(uow: UnitOfWork, number: str) -> tuple[str, str | None] | None:
    """(order id, customer id or None) of the receipt with this number; None when there is none."""
    wanted = normalise_number(number)
    row = uow.session.execute(
        select(Receipt.order_id, Receipt.customer_id).where(func.upper(Receipt.number) == wanted)
    ).first()
    return None if row is None else (row.order_id, row.customer_id)
