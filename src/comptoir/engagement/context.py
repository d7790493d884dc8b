"""engagement: what a message is made of — read when it is sent (the latest names, times and places), from
the journey's facts and the domains they name; and the links it carries (the customer's own, signed).

The unsubscribe link is signed for one customer, one ledger purpose and one channel (no expiry: a link
in an old e-mail must still work, RFC 8058); the preference page's link for one customer, in the message's
language (:mod:`comptoir.engagement.choices`); the invitation link is the appointments domain's.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut
from comptoir.catalog import service as catalog
from comptoir.core import tokens
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import (
    audience,
    choices,
    facts_carts,
    facts_customers,
    facts_launches,
    facts_live,
    facts_surveys,
    sending_reads,
)
from comptoir.engagement.mail_types import PRODUCT_KINDS, Loader
from comptoir.engagement.rendering import (
    FAMILIES,
    AppointmentFacts,
    MessageContext,
    OrderFacts,
    OrderLine,
    ProductBlock,
)
from comptoir.orders import service as orders
from comptoir.pricing import service as pricing
from comptoir.stores import service as stores
from comptoir.stores.schemas import PlaceOut

UNSUBSCRIBE = "engagement-unsubscribe"


@dataclass(frozen=True)
class Unsubscription:
    customer_id: str
    purpose: str  # the customers' ledger purpose
    channel: str


def unsubscribe_token(settings: Settings, customer_id: str, purpose: str, channel: str) -> str:
    return tokens.sign(
        settings.secret_key, UNSUBSCRIBE, {"c": customer_id, "p": purpose, "ch": channel}, None
    )


def unsubscription_of(settings: Settings, token: str) -> Unsubscription | None:
    claims = tokens.verify(settings.secret_key, UNSUBSCRIBE, token)
    if claims is None:
        return None
    return Unsubscription(str(claims.get("c", "")), str(claims.get("p", "")), str(claims.get("ch", "")))


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def unsubscribe_url(settings: Settings, customer_id: str, purpose: str, channel: str) -> str:
    """The footer's link: a page that asks before it withdraws (mail scanners open links)."""
    token = unsubscribe_token(settings, customer_id, audience.consent_purpose(purpose), channel)
    return f"{_base(settings)}/pages/engagement/unsubscribe/{token}"


def one_click_url(settings: Settings, customer_id: str, purpose: str, channel: str) -> str:
    """RFC 8058's link, which mail clients POST ``List-Unsubscribe=One-Click`` to."""
    token = unsubscribe_token(settings, customer_id, audience.consent_purpose(purpose), channel)
    return f"{_base(settings)}/v1/engagement/unsubscribe?token={token}"


_one_line = sending_reads.one_line


def _appointment(
    uow: UnitOfWork, settings: Settings, appointment_id: str
) -> tuple[AppointmentOut, PlaceOut] | None:
    """An appointment and its shop, as the run read them (:mod:`.sending_reads`) or read now."""
    reads = sending_reads.of(uow)
    if reads is not None and appointment_id in reads.appointments:
        found = reads.appointments[appointment_id]
        place = reads.places.get(found.place_id)
        return None if place is None else (found, place)
    try:
        found = appointments.get_appointment(uow, appointment_id, settings)
        return found, stores.get_place(uow, found.place_id)
    except NotFound:
        return None


def appointment_facts(uow: UnitOfWork, settings: Settings, facts: dict[str, Any]) -> AppointmentFacts | None:
    """The appointment the journey follows, as it is now (``None`` when it is gone)."""
    appointment_id = facts.get("appointment_id")
    loaded = _appointment(uow, settings, appointment_id) if isinstance(appointment_id, str) else None
    if loaded is None:
        return None
    found, place = loaded
    return AppointmentFacts(
        service_name=found.service_name,
        place_name=place.name,
        place_address=_one_line(place),
        starts_at=found.starts_at,
        ends_at=found.ends_at,
        timezone=found.timezone,
        advisor_name=found.advisor_name,
        invitation_url=appointments.invitation_url(settings, found.id),
        manage_url=f"{_base(settings)}/shop/account/appointments",
    )


def _absolute(settings: Settings, url: str | None) -> str | None:
    if not url:
        return None
    return url if url.startswith(("https://", "http://")) else f"{_base(settings)}/{url.lstrip('/')}"


def _pickup(uow: UnitOfWork, place_id: str | None) -> tuple[str, str, str | None]:
    """The pickup shop's name, address and time zone."""
    if not place_id:
        return "", "", None
    try:
        place = stores.get_place(uow, place_id)
    except NotFound:
        return "", "", None
    return place.name, _one_line(place), place.timezone


def order_facts(uow: UnitOfWork, settings: Settings, facts: dict[str, Any], lang: str) -> OrderFacts | None:
    """The order the journey follows, as it is now: its lines named in the customer's language with an
    image licensed for e-mail, the pickup shop and deadline (``None`` when the order is gone)."""
    order_id = facts.get("order_id")
    if not isinstance(order_id, str):
        return None
    try:
        found = orders.get_order(uow, order_id)
    except NotFound:
        return None
    variants = catalog.get_variants(uow, [line.sku for line in found.lines], lang, channel="email")
    lines = []
    for line in found.lines:
        variant = variants.get(line.sku)
        lines.append(
            OrderLine(
                name=variant.name if variant else line.sku,
                quantity=line.quantity,
                total=line.total,
                currency=found.currency,
                image_url=_absolute(settings, variant.image_url) if variant else None,
                url=f"{_base(settings)}/shop/p/{variant.product_code}" if variant else None,
            )
        )
    name, address, zone = _pickup(uow, found.pickup_place_id)
    deadlines = [f.pickup_expires_at for f in found.fulfilments if f.pickup_expires_at is not None]
    return OrderFacts(
        number=found.number,
        placed_at=found.created_at,
        mode=found.mode,
        lines=tuple(lines),
        total=found.totals.total,
        currency=found.currency,
        order_url=f"{_base(settings)}/shop/account/orders/{found.id}",
        place_name=name,
        place_address=address,
        pickup_until=min(deadlines) if deadlines else None,
        timezone=zone or settings.timezone,
        payment_at_pickup=any(p.method == "pay_at_pickup" and p.state == "pending" for p in found.payments),
    )


def product_blocks(
    uow: UnitOfWork, settings: Settings, facts: dict[str, Any], customer_id: str, lang: str
) -> tuple[ProductBlock, ...]:
    """The products the advisor showed and recommends (the completed appointment's), named in the
    customer's language with an image licensed for e-mail, at the price the customer pays at that shop
    now and, when discounted, the Omnibus reference. A product no longer sold or priced is left out."""
    chosen = [p for p in facts.get("products") or [] if isinstance(p, dict) and isinstance(p.get("sku"), str)]
    if not chosen:
        return ()
    skus = [p["sku"] for p in chosen]
    variants = catalog.get_variants(uow, skus, lang, channel="email")
    place_id = facts.get("place_id") if isinstance(facts.get("place_id"), str) else None
    prices = pricing.shelf_prices(
        uow,
        skus,
        currency=settings.default_currency,
        channel="web",
        store_id=place_id,
        customer_id=customer_id,
    )
    blocks = []
    for product in chosen:
        variant, price = variants.get(product["sku"]), prices.get(product["sku"])
        if variant is None or price is None or not variant.sellable:
            continue
        blocks.append(
            ProductBlock(
                name=variant.name,
                url=f"{_base(settings)}/shop/p/{variant.product_code}",
                image_url=_absolute(settings, variant.image_url),
                price=price.price,
                currency=price.currency,
                reference_price=price.reference_price if price.discounted else None,
                note=str(product.get("note") or ""),
                kind=product["kind"] if product.get("kind") in PRODUCT_KINDS else "recommended",
            )
        )
    return tuple(blocks)


def invitation(uow: UnitOfWork, settings: Settings, facts: dict[str, Any]) -> bytes | None:
    """The appointment's iCalendar invitation (REQUEST, or CANCEL once cancelled)."""
    appointment_id = facts.get("appointment_id")
    if not isinstance(appointment_id, str):
        return None
    reads = sending_reads.of(uow)
    if reads is not None and appointment_id in reads.invitations:
        return reads.invitations[appointment_id]
    loaded = _appointment(uow, settings, appointment_id)
    if loaded is None:
        return None
    try:
        return appointments.invitation(uow, appointment_id, settings, loaded[1].name, _one_line(loaded[1]))
    except NotFound:
        return None


# What loads each template family's facts (see :class:`~.mail_types.Family`), by the family's key.
LOADERS: dict[str, Loader] = (
    facts_surveys.LOADERS
    | facts_customers.LOADERS
    | facts_carts.LOADERS
    | facts_launches.LOADERS
    | facts_live.LOADERS
)


def message_context(
    uow: UnitOfWork,
    settings: Settings,
    customer: CustomerOut,
    template: str,
    purpose: str,
    channel: str,
    facts: dict[str, Any],
    lang: str,
) -> MessageContext:
    transactional = not audience.needs_consent(purpose)
    family = FAMILIES.get(template)
    if family is not None:
        loaded = LOADERS[family.key](uow, settings, customer, facts, lang)
        return MessageContext(
            brand=parseaddr(settings.mail_from)[0] or "Comptoir",
            first_name=customer.given_name,
            purpose=purpose,
            unsubscribe_url=None
            if transactional
            else unsubscribe_url(settings, customer.id, purpose, channel),
            preferences_url=choices.preferences_url(settings, customer.id, lang),
            products=product_blocks(uow, settings, facts, customer.id, lang),
            extra={} if loaded is None else {family.key: loaded},
        )
    return MessageContext(
        brand=parseaddr(settings.mail_from)[0] or "Comptoir",  # the sender's name: the retailer's
        first_name=customer.given_name,
        purpose=purpose,
        unsubscribe_url=None if transactional else unsubscribe_url(settings, customer.id, purpose, channel),
        preferences_url=choices.preferences_url(settings, customer.id, lang),
        appointment=appointment_facts(uow, settings, facts),
        order=order_facts(uow, settings, facts, lang),
        products=product_blocks(uow, settings, facts, customer.id, lang),
    )


def one_click_headers(settings: Settings, customer_id: str, purpose: str) -> dict[str, str]:
    """RFC 8058's fields of a marketing e-mail, for an https site (a development server's http link gets
    none: mail clients would refuse it)."""
    from comptoir.core.mail import unsubscribe_headers

    if not audience.needs_consent(purpose) or not settings.base_url.startswith("https://"):
        return {}
    return unsubscribe_headers(one_click_url(settings, customer_id, purpose, "email"))
