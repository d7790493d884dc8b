"""receipts: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations

from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.receipts.schemas import IssueReceiptIn, ReceiptOut, SendReceiptIn


def issue_receipt(uow: UnitOfWork, settings: Settings, command: IssueReceiptIn) -> ReceiptOut:
    raise NotImplementedError


def receipt_for_order(uow: UnitOfWork, order_id: str, settings: Settings | None = None) -> ReceiptOut | None:
    raise NotImplementedError


def get_receipt(uow: UnitOfWork, receipt_id: str, settings: Settings) -> ReceiptOut:
    raise NotImplementedError


def request_send(uow: UnitOfWork, settings: Settings, receipt_id: str, command: SendReceiptIn) -> ReceiptOut:
    raise NotImplementedError
