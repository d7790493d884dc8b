"""engagement: who a message goes to, in what language and time zone, and whether it may.

* Consent comes from the customers' ledger at send time (a withdrawal between scheduling and sending
  stops the message): marketing needs an opt-in for ``marketing`` on that channel, a survey one for
  ``satisfaction-surveys``; transactional messages need none.
* The customer's time zone: the journey's (an appointment's place), else the one their address implies
  (the overseas departments' postcodes), else the retailer's.
* A suppressed address (a hard bounce) is kept as a keyed hash (HMAC-SHA256 with the app's secret) of its
  normalised form: the list works without holding anyone's address.
* A push goes to the customer's active devices (:mod:`comptoir.engagement.devices`): its address is their
  tokens, most recently seen first, separated by spaces (a token has none; :func:`push_tokens` splits it).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from comptoir.core.i18n import language_of
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import devices
from comptoir.stores import service as stores

_CONSENT_PURPOSES = {"marketing": "marketing", "survey": "satisfaction-surveys"}


def consent_purpose(purpose: str) -> str:
    """The customers' ledger purpose a message's purpose needs an opt-in for."""
    return _CONSENT_PURPOSES.get(purpose, purpose)


def needs_consent(purpose: str) -> bool:
    return purpose != "transactional"


def _zone(name: object) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def timezone_of(
    facts: Mapping[str, Any], settings: Settings, customer: CustomerOut | None = None
) -> ZoneInfo:
    """The journey's time zone (its facts' ``timezone``), else the customer's address's, else the
    retailer's."""
    found = _zone(facts.get("timezone"))
    if found is None and customer is not None and customer.address and customer.address.postcode:
        found = _zone(stores.overseas_timezone(customer.address.postcode))
    return found or _zone(settings.timezone) or ZoneInfo("Europe/Paris")


def language_for(facts: Mapping[str, Any], customer: CustomerOut | None) -> str:
    """The journey's language (an appointment's ``language``, a receipt's ``locale``), else the customer's,
    else the default (French)."""
    lang = facts.get("language") or facts.get("locale")
    if isinstance(lang, str) and lang:
        return language_of(lang)
    return language_of(customer.locale if customer else None)


def address_for(customer: CustomerOut, channel: str, uow: UnitOfWork | None = None) -> str | None:
    """Where the channel reaches the customer: their e-mail or mobile number, or for a push their active
    devices' tokens (read with ``uow``: none without one)."""
    if channel == "email":
        return customer.email or None
    if channel == "sms":
        return customer.phone or None
    if channel == "push" and uow is not None:
        return " ".join(devices.active_tokens(uow, customer.id)) or None
    return None


def push_tokens(address: str) -> list[str]:
    """The device tokens of a push address (see :func:`address_for`)."""
    return address.split()


def address_hash(settings: Settings, channel: str, address: str) -> str:
    normalised = address.strip().lower() if channel == "email" else address.strip()
    return hmac.new(
        settings.secret_key.encode(), f"{channel}:{normalised}".encode(), hashlib.sha256
    ).hexdigest()
