"""engagement: leaving a purpose from a message's link — one click (RFC 8058) or the confirmation page —
recorded in the customers' consent ledger, so the next message of that purpose on that channel is not
sent (consent is read again at send time)."""

from __future__ import annotations

from dataclasses import dataclass

from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn
from comptoir.engagement import context
from comptoir.engagement.events import Unsubscribed


@dataclass(frozen=True)
class Left:
    purpose: str
    channel: str


def unsubscribe(uow: UnitOfWork, settings: Settings, token: str, how: str) -> Left:
    """Withdraw the consent the link was signed for (``how``: ``one-click`` or ``page``); 422 for a link
    that is not ours, and nothing changes for a person erased since (an answer all the same)."""
    found = context.unsubscription_of(settings, token)
    if found is None or not found.customer_id:
        raise InvalidInput("This unsubscribe link is not valid.", field="token")
    left = Left(found.purpose, found.channel)
    try:
        customer_id = customers.resolve_id(uow, found.customer_id)
        customers.record_consents(
            uow,
            customer_id,
            [ConsentIn(purpose=found.purpose, channel=found.channel, granted=False, proof={"link": how})],
            "account",
        )
    except NotFound:
        return left  # erased: nothing is sent to them any more
    uow.record(Unsubscribed(customer_id=customer_id, purpose=found.purpose, channel=found.channel))
    return left
