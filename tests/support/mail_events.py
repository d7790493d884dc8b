"""An e-mail queued with outcome events, for the outbound tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from comptoir.core.events import DomainEvent
from comptoir.core.mail import Mail
from comptoir.core.outbound import queue_mail
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from tests.support.events import ParcelShipped


class ParcelMailSent(DomainEvent):
    event_type: ClassVar[str] = "testing.parcel_mail_sent"
    parcel_id: str
    message_id: str


class ParcelMailFailed(DomainEvent):
    event_type: ClassVar[str] = "testing.parcel_mail_failed"
    parcel_id: str
    message_id: str


def queue_with_outcomes(settings: Settings) -> Callable[[UnitOfWork, ParcelShipped], None]:
    def handler(uow: UnitOfWork, event: ParcelShipped) -> None:
        queue_mail(
            uow,
            settings,
            Mail(to="claire.martin@example.fr", subject="Votre colis", text="Expédié."),
            on_sent=lambda mid: ParcelMailSent(parcel_id=event.parcel_id, message_id=mid),
            on_failed=lambda mid: ParcelMailFailed(parcel_id=event.parcel_id, message_id=mid),
        )

    return handler
