"""payments: card authorisations must not outlive a checkout that failed.

Two layers, so that neither an exception nor a killed process leaves money held on a customer's card:

1. *At once*: every card authorised inside a unit of work is remembered on its session; if that
   transaction rolls back instead of committing, the authorisation is voided right after the rollback.
2. *Reconciliation*: the ``payments.void_abandoned_authorisations`` job asks the provider for the
   authorisations it still holds that are older than a short delay, and voids those whose payment id
   (the idempotency key, sent as metadata) was never committed here. The provider is the record of
   what was attempted, so this holds even when the process died between the provider's answer and
   the commit — there is nothing of ours to lose.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from comptoir.core import clock
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.payments import ledger, providers
from comptoir.payments.config import get_payments_settings
from comptoir.payments.models import Payment

log = logging.getLogger("comptoir.payments")

_KEY = "payments.uncommitted_authorisations"
RECONCILIATION_WINDOW = timedelta(days=1)


def void_key(payment_id: str) -> str:
    return f"void:{payment_id}"


def _void_quietly(provider_name: str, reference: str, payment_id: str) -> None:
    try:
        providers.card_provider(provider_name).void(reference, idempotency_key=void_key(payment_id))
        log.info("voided the authorisation of an order that did not commit", extra={"payment_id": payment_id})
    except (Problem, LookupError) as exc:  # the reconciliation job will try again
        log.warning("could not void an uncommitted authorisation: %s", exc, extra={"payment_id": payment_id})


def _after_rollback(session: Session) -> None:
    pending: list[tuple[str, str, str]] = session.info.pop(_KEY, [])
    for provider_name, reference, payment_id in pending:
        _void_quietly(provider_name, reference, payment_id)


def _after_commit(session: Session) -> None:
    session.info.pop(_KEY, None)


def track(uow: UnitOfWork, provider_name: str, reference: str, payment_id: str) -> None:
    """Void this authorisation if the caller's transaction rolls back."""
    session = uow.session
    if "payments.compensation_hooked" not in session.info:
        sa_event.listen(session, "after_rollback", _after_rollback)
        sa_event.listen(session, "after_commit", _after_commit)
        session.info["payments.compensation_hooked"] = True
    session.info.setdefault(_KEY, []).append((provider_name, reference, payment_id))


def untrack(uow: UnitOfWork, payment_id: str) -> None:
    pending: list[tuple[str, str, str]] = uow.session.info.get(_KEY, [])
    uow.session.info[_KEY] = [p for p in pending if p[2] != payment_id]


def void_abandoned_authorisations(uow: UnitOfWork, *, older_than: timedelta | None = None) -> list[str]:
    """Void the provider's open authorisations whose payment never committed here; returns their ids."""
    settings = get_payments_settings()
    delay = (
        older_than if older_than is not None else timedelta(seconds=settings.abandoned_authorisation_seconds)
    )
    provider = providers.card_provider()
    voided: list[str] = []
    # A window, not everything: authorisations of live orders waiting to ship pile up before it, and an
    # abandoned one is seen within minutes (the job runs every minute; the window allows a day of outage).
    before = clock.now() - delay
    held = provider.open_authorisations(
        created_after=before - RECONCILIATION_WINDOW, created_before=before, limit=500
    )
    ids = [p.metadata.get("payment_id") for p in held]
    known: dict[str, Any] = {
        row.id: row.state
        for row in uow.session.execute(
            select(Payment.id, Payment.state).where(Payment.id.in_([i for i in ids if i]))
        )
    }
    for item in held:
        payment_id = item.metadata.get("payment_id")
        if not payment_id:
            continue  # not one of ours (another system sharing the provider account)
        state = known.get(payment_id)
        if state in ("pending", "authorised"):
            continue  # a live order's authorisation
        try:
            provider.void(item.reference, idempotency_key=void_key(payment_id))
        except Problem as exc:
            log.warning("could not void abandoned authorisation %s: %s", item.reference, exc)
            continue
        voided.append(payment_id)
        payment = ledger.one(uow, payment_id) if state is not None else None
        if payment is not None:  # ours, voided or failed here, yet still held by the provider
            ledger.journal(
                uow,
                payment,
                payment.state,
                payment.state,
                payment.amount,
                now=clock.now(),
                reason="provider authorisation released by reconciliation",
            )
    return voided
