"""The kernel's periodic housekeeping, run by the dispatcher."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from comptoir.core import clock, outbound
from comptoir.core.dispatcher import Job
from comptoir.core.models import IdempotencyRecord
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork


def purge_expired_idempotency_keys(uow: UnitOfWork) -> None:
    # Keep in-progress rows a little longer than their TTL: their request may still be running.
    cutoff = clock.now() - timedelta(minutes=10)
    uow.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < cutoff))


def core_jobs(settings: Settings) -> list[Job]:
    keep_mail = timedelta(days=settings.outbound_retention_days)

    def purge_outbound_messages(uow: UnitOfWork) -> None:
        outbound.purge_finished(uow, keep_mail)

    return [
        Job("core.purge_idempotency_keys", 3600, purge_expired_idempotency_keys),
        Job("core.purge_outbound_messages", 3600, purge_outbound_messages),
    ]
