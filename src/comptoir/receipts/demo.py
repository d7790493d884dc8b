"""receipts: the receipts of a few of the demo's till sales (sent to customers who consented)."""

from __future__ import annotations

from sqlalchemy import select

from comptoir.core.errors import Problem
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders import service as orders_service
from comptoir.receipts import service
from comptoir.receipts.models import Receipt
from comptoir.receipts.schemas import IssueReceiptIn

DEMO_RECEIPTS = 12


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Receipt.id).limit(1)) is not None:
        return
    sales = orders_service.list_orders(uow, mode="store_sale", limit=DEMO_RECEIPTS)
    for index, sale in enumerate(sales):
        try:
            with uow.savepoint():
                service.issue_receipt(
                    uow, settings, IssueReceiptIn(order_id=sale.id, locale="en" if index % 4 == 3 else None)
                )
        except Problem:
            continue
