"""engagement: a customer's choices of what they receive — the preference page every message's footer
links to — read from and recorded in the customers' consent ledger, which the sender reads again at send
time (a choice saved there stops the next message).

* The link is signed for one customer and never expires (a link in an old e-mail must still work, as the
  unsubscribe link): it is the credential, no sign-in needed. It opens nothing of anyone else's and names
  nobody (a forwarded e-mail shows no name, address or number).
* The page shows, for each purpose the journeys' messages need an opt-in for (:data:`PURPOSES`) and each
  channel they use (:data:`CHANNELS`), the statement in force; opening it changes nothing (mail scanners
  open links).
* Saving records a statement for each choice that changed — nothing else — with the source ``account``
  (the customer said it) and the page as the proof; "unsubscribe from everything commercial" withdraws
  every commercial opt-in in force (:data:`COMMERCIAL`: offers and news, partners' offers, surveys) on
  every channel. Transactional messages (an order ready, an appointment's reminder) need no opt-in and
  still go. Each withdrawal is published as :class:`~comptoir.engagement.events.Unsubscribed`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from comptoir.core import clock, tokens
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import ConsentIn
from comptoir.engagement.events import Unsubscribed

PREFERENCES = "engagement-preferences"
PURPOSES = ("marketing", "satisfaction-surveys")  # the ledger's purposes the journeys' messages need
CHANNELS = ("email", "sms", "push")
COMMERCIAL = ("marketing", "partners", "satisfaction-surveys")
SOURCE = "account"
PROOF = {"page": "engagement-preferences"}


@dataclass(frozen=True)
class Choices:
    """What a customer receives now: the (purpose, channel) pairs they opted in to."""

    customer_id: str
    granted: frozenset[tuple[str, str]]

    def allows(self, purpose: str, channel: str) -> bool:
        return (purpose, channel) in self.granted


def preferences_token(settings: Settings, customer_id: str) -> str:
    return tokens.sign(settings.secret_key, PREFERENCES, {"c": customer_id}, None)


def preferences_url(settings: Settings, customer_id: str, lang: str | None = None) -> str:
    """The page's address for the customer (in the message's language when given)."""
    token = preferences_token(settings, customer_id)
    query = f"?lang={lang}" if lang in ("fr", "en") else ""
    return f"{settings.base_url.rstrip('/')}/pages/engagement/preferences/{token}{query}"


def _customer_id(uow: UnitOfWork, settings: Settings, token: str) -> str:
    """The customer the link was signed for, as they are now (merged: the survivor); 404 for a link that
    is not ours, or a person unknown or erased since."""
    claims = tokens.verify(settings.secret_key, PREFERENCES, token)
    signed_for = str(claims.get("c", "")) if claims else ""
    if not signed_for:
        raise NotFound("This preferences link is not valid.", slug="preferences-link-invalid")
    try:
        customer = customers.get_customer(uow, signed_for)
    except NotFound:
        customer = None
    if customer is None or customer.status != "active":
        raise NotFound("This preferences link is not valid.", slug="preferences-link-invalid")
    return customer.id


def _granted(uow: UnitOfWork, customer_id: str) -> frozenset[tuple[str, str]]:
    ledger = customers.consents_of(uow, customer_id)
    return frozenset((s.purpose, s.channel) for s in ledger.current if s.granted)


def preferences_of(uow: UnitOfWork, settings: Settings, token: str) -> Choices:
    """What the link's customer receives now (404: see :func:`_customer_id`)."""
    customer_id = _customer_id(uow, settings, token)
    return Choices(customer_id, _granted(uow, customer_id))


def save_preferences(
    uow: UnitOfWork, settings: Settings, token: str, wanted: Iterable[tuple[str, str]]
) -> Choices:
    """Record the page's choices: for each purpose and channel it shows, opted in when in ``wanted``
    (anything else in it is ignored); only the changes are recorded."""
    customer_id = _customer_id(uow, settings, token)
    before = _granted(uow, customer_id)
    chosen = set(wanted)
    changes = {
        (purpose, channel): (purpose, channel) in chosen
        for purpose in PURPOSES
        for channel in CHANNELS
        if ((purpose, channel) in chosen) != ((purpose, channel) in before)
    }
    return _record(uow, customer_id, before, changes)


def stop_everything(uow: UnitOfWork, settings: Settings, token: str) -> Choices:
    """Withdraw every commercial opt-in in force, on every channel."""
    customer_id = _customer_id(uow, settings, token)
    before = _granted(uow, customer_id)
    changes = {pair: False for pair in sorted(before) if pair[0] in COMMERCIAL}
    return _record(uow, customer_id, before, changes)


def _record(
    uow: UnitOfWork,
    customer_id: str,
    before: frozenset[tuple[str, str]],
    changes: dict[tuple[str, str], bool],
) -> Choices:
    if not changes:
        return Choices(customer_id, before)
    now = clock.now()
    statements = [
        ConsentIn.model_validate(
            {"purpose": p, "channel": c, "granted": granted, "stated_at": now, "proof": dict(PROOF)}
        )
        for (p, c), granted in sorted(changes.items())
    ]
    customers.record_consents(uow, customer_id, statements, SOURCE)
    for (purpose, channel), granted in sorted(changes.items()):
        if not granted:
            uow.record(Unsubscribed(customer_id=customer_id, purpose=purpose, channel=channel))
    after = {pair for pair in before if changes.get(pair, True)}
    after |= {pair for pair, granted in changes.items() if granted}
    return Choices(customer_id, frozenset(after))
