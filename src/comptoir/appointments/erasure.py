"""appointments: a person's erasure and export (GDPR).

An appointment stays as the record that a seat or an advisor's hour was used (statistics need it);
what the person wrote, what the advisor noted about them, and their waitlist entries go, and their
future appointments are cancelled (their time given back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select

from comptoir.appointments import claims, reading, waitlist
from comptoir.appointments.models import Appointment, WaitlistEntry
from comptoir.core import clock, erasure
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def erase_customers(uow: UnitOfWork, settings: Settings, customer_ids: Sequence[str]) -> int:
    rows = uow.session.scalars(
        select(Appointment).where(Appointment.customer_id.in_(list(customer_ids)))
    ).all()
    texts = {t for r in rows for t in (r.customer_note, r.advisor_notes, r.cancel_reason) if t}
    texts |= {p.get("note", "") for r in rows for p in r.products or [] if p.get("note")}
    now = clock.now()
    for row in rows:
        if row.status in ("held", "booked") and row.starts_at > now:
            claims.release(uow, row)
            row.status, row.cancelled_at = "cancelled", now
        row.customer_note = row.advisor_notes = row.cancel_reason = ""
        # what was shown stays (which products, for statistics); the advisor's words to the person go
        row.products = [{**p, "note": ""} for p in row.products or []]
    uow.session.execute(delete(WaitlistEntry).where(WaitlistEntry.customer_id.in_(list(customer_ids))))
    uow.session.flush()
    erasure.redact(uow, settings, ids=[*customer_ids, *(r.id for r in rows)], values=sorted(texts))
    return len(rows)


def export(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """Every appointment of the person (with the notes) and their waitlist entries."""
    items = reading.list_appointments(
        uow,
        customer_id=customer_id,
        statuses=["held", "booked", "checked_in", "completed", "no_show", "cancelled", "expired"],
        limit=10_000,
    )
    return {
        "appointments": [a.model_dump(mode="json") for a in items],
        "waitlist": [w.model_dump(mode="json") for w in waitlist.entries_of(uow, customer_id)],
    }
