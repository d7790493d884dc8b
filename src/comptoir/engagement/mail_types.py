"""engagement: what a message is written from and what rendering it gives — the types the renderer
(:mod:`comptoir.engagement.rendering`) and the template families of other modules share.

A **family** is a set of templates written by a module of its own (surveys, carts and wishlists, the
customer's life: welcome, tier, birthday…). Its facts travel in :attr:`MessageContext.extra` under the
family's key, loaded by the loader :mod:`comptoir.engagement.context` registers for it; the renderer checks
them, formats them for the language (``values[key]`` in the templates) and writes the short texts from the
family's copy functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import format_percent
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale, format_money
from comptoir.core.mail import Attachment
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement.rendering_orders import OrderFacts

TRANSACTIONAL = "transactional"
# shown / recommended by an advisor, new arrivals, left in a cart, wished for (a wishlist)
PRODUCT_KINDS = ("shown", "recommended", "new", "cart", "wished")
DAY = "EEEE d MMMM y"  # « mardi 9 mars 2027 », "Tuesday 9 March 2027" (CLDR's full date, without en's comma)


@dataclass(frozen=True)
class ProductBlock:
    name: str
    url: str  # absolute link to the product page
    image_url: str | None  # an image allowed for e-mail (the caller checks the rights), absolute
    price: Decimal  # what the customer pays now
    currency: str  # ISO 4217
    reference_price: Decimal | None = None  # the Omnibus reference (lowest price of the last 30 days)
    note: str = ""  # e.g. the advisor's word on it
    kind: str = "recommended"  # "shown" (the advisor showed it) | "recommended" | "new"

    def __post_init__(self) -> None:
        if self.kind not in PRODUCT_KINDS:
            raise ValueError(f"a product block's kind is shown, recommended or new, not {self.kind!r}")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")


@dataclass(frozen=True)
class AppointmentFacts:
    service_name: str
    place_name: str
    place_address: str  # one line, may be ""
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    timezone: str  # the place's IANA zone: times are shown in it
    advisor_name: str  # may be ""
    invitation_url: str  # the signed .ics link
    manage_url: str  # where the customer moves or cancels it

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("an appointment's times must be aware datetimes")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.timezone!r} is not an IANA time zone") from None


@dataclass(frozen=True)
class MessageContext:
    brand: str  # the retailer's name
    first_name: str | None
    purpose: str  # "transactional" | "marketing" | "survey"
    unsubscribe_url: str | None  # set for every non-transactional message (shown in the footer)
    preferences_url: str  # the customer's preference page
    appointment: AppointmentFacts | None = None
    products: tuple[ProductBlock, ...] = ()
    advisor_message: str = ""  # the advisor's note for the customer (report)
    order: OrderFacts | None = None  # for the order messages
    extra: Mapping[str, Any] = field(default_factory=dict)  # a family's facts, under its key


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str  # the full HTML document, CSS inlined
    text: str  # plain-text alternative
    sms: str  # a short text for SMS, GSM-7 where possible, with the opt-out mention when commercial
    push_title: str
    push_body: str


@dataclass(frozen=True)
class Copy:
    """A message's short texts: the e-mail's subject and preheader, the SMS, the push."""

    subject: str
    preheader: str
    sms: str
    push_title: str
    push_body: str


CopyWriter = Callable[[NullTranslations, dict[str, Any]], Copy]


def _no_links(facts: Any) -> list[str | None]:
    return []


def _no_attachments(facts: Any, lang: str) -> list[Attachment]:
    return []


@dataclass(frozen=True)
class Family:
    """Templates written by a module of their own, from facts kept in ``MessageContext.extra[key]``.

    ``copies`` maps each template to the function writing its short texts from the formatted values;
    ``check`` raises ``ValueError`` when the facts cannot write the template (none, inconsistent);
    ``values`` formats the facts for a language (the templates read them as ``values[key]``);
    ``links`` lists the facts' links (each must be an absolute http(s) address); ``sample`` is the
    preview's context for a template and a language; ``attachments`` the files its e-mails carry (a
    receipt's PDF), from the facts, in the language."""

    key: str
    copies: Mapping[str, CopyWriter]
    check: Callable[[str, Any], None]
    values: Callable[[NullTranslations, Any, str], dict[str, Any]]
    sample: Callable[[str, str], MessageContext]
    links: Callable[[Any], list[str | None]] = _no_links
    attachments: Callable[[Any, str], list[Attachment]] = _no_attachments

    @property
    def templates(self) -> tuple[str, ...]:
        return tuple(self.copies)


def offer(product: ProductBlock, lang: str) -> dict[str, Any]:
    """A product block's texts: its price and, when discounted, the reference price and the discount."""
    reference = discount = ""
    if product.reference_price is not None and product.reference_price > product.price:
        reference = format_money(product.reference_price, product.currency, lang)
        rate = (product.reference_price - product.price) / product.reference_price
        percent = (rate * 100).quantize(Decimal(1), rounding=ROUND_DOWN)
        if percent > 0:
            discount = str(format_percent(-percent / 100, locale=babel_locale(lang)))
    return {
        "name": product.name,
        "url": product.url,
        "image_url": product.image_url,
        "note": product.note.strip(),
        "price": format_money(product.price, product.currency, lang),
        "reference": reference,
        "discount": discount,
    }


# What loads a template family's facts, by the family's key: from the journey's facts, for the customer, in
# their language; ``None`` when what the facts name is gone (the message is then skipped).
Loader = Callable[[UnitOfWork, Settings, CustomerOut, dict[str, Any], str], Any]


# The preview's sample retailer (Maison Lumière): its site and its product images.
SAMPLE_SITE = "https://www.maison-lumiere.fr"
SAMPLE_IMAGES = "https://images.maison-lumiere.fr/assets"


def sample_block(slug: str, name: str, price: str, reference: str | None, kind: str) -> ProductBlock:
    """A product of the sample retailer, for a preview: its page, its listing image, its price in euros
    (and the Omnibus reference when discounted)."""
    return ProductBlock(
        name=name,
        url=f"{SAMPLE_SITE}/produits/{slug}",
        image_url=f"{SAMPLE_IMAGES}/{slug}/listing",
        price=Decimal(price),
        currency="EUR",
        reference_price=Decimal(reference) if reference else None,
        kind=kind,
    )


def sample_message(family_key: str, facts: Any, purpose: str = "marketing") -> MessageContext:
    """A preview's message to Claire, a customer of the sample retailer, with a family's facts (commercial:
    its unsubscribe and preference links)."""
    return MessageContext(
        brand="Maison Lumière",
        first_name="Claire",
        purpose=purpose,
        unsubscribe_url=f"{SAMPLE_SITE}/preferences/desabonnement?jeton=q8Zr4LmT2x",
        preferences_url=f"{SAMPLE_SITE}/preferences",
        extra={family_key: facts},
    )
