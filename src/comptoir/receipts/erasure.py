"""receipts: a person's erasure and export (GDPR).

The receipt stays as the sale's printed record (numbers, lines, VAT, tenders); the e-mail it went
to and the tie to the person go, its signed links die (their generation moves on), and the kernel's
stores (event payloads, mail files holding the receipt) are scrubbed of that e-mail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update

from comptoir.core import clock, erasure
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.receipts import service
from comptoir.receipts.models import Receipt


def erase_customers(uow: UnitOfWork, settings: Settings, customer_ids: Sequence[str]) -> int:
    rows = uow.session.execute(
        select(Receipt.id, Receipt.email).where(Receipt.customer_id.in_(customer_ids))
    ).all()
    if not rows:
        return 0
    receipt_ids = [row.id for row in rows]
    uow.session.execute(
        update(Receipt)
        .where(Receipt.id.in_(receipt_ids))
        .values(
            email=None,
            ask_consent=False,
            link_generation=Receipt.link_generation + 1,
            updated_at=clock.now(),
        )
    )
    emails = sorted({row.email for row in rows if row.email})
    erasure.redact(uow, settings, ids=[*customer_ids, *receipt_ids], values=emails)
    return len(receipt_ids)


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The customer's receipts as printed, with where they were sent (without their signed links)."""
    receipts = service.receipts_of(uow, get_settings(), customer_id=customer_id, limit=10_000)
    return {"receipts": [r.model_dump(mode="json", exclude={"url", "pdf_url"}) for r in receipts]}
