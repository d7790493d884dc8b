"""engagement: an order's facts for its messages (:mod:`comptoir.engagement.rendering` writes them) — the
confirmation, "ready for pickup", the pickup reminder and "not collected".

The sender fills an :class:`OrderFacts`; :func:`order_values` formats it for the templates in the
customer's language: amounts by locale (Babel), dates and times in the pickup shop's time zone, and the
sentence that says what happens next for the order's mode. :func:`sample_order` is the preview's order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time
from babel.support import NullTranslations

from comptoir.core.i18n import babel_locale, format_money, format_number

ORDER_TEMPLATES: tuple[str, ...] = (
    "order_confirmation",
    "order_ready_for_pickup",
    "order_pickup_reminder",
    "order_not_collected",
)
PICKUP_TEMPLATES = ("order_ready_for_pickup", "order_pickup_reminder", "order_not_collected")
HOME_DELIVERY, CLICK_AND_COLLECT, RESERVE_AND_COLLECT = (
    "home_delivery",
    "click_and_collect",
    "reserve_and_collect",
)
ORDER_MODES = (HOME_DELIVERY, CLICK_AND_COLLECT, RESERVE_AND_COLLECT)

_DAY = "EEEE d MMMM y"  # the appointments' full date: « samedi 24 juillet 2027 », "Saturday 24 July 2027"


def _check_currency(currency: str) -> None:
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"{currency!r} is not an ISO 4217 currency code")


@dataclass(frozen=True)
class OrderLine:
    name: str
    quantity: int
    total: Decimal  # what the customer pays for the line
    currency: str  # ISO 4217
    image_url: str | None = None  # absolute, allowed for e-mail (the caller checks the rights)
    url: str | None = None  # the product page, absolute

    def __post_init__(self) -> None:
        if self.quantity < 1:
            raise ValueError(f"an order line's quantity is at least 1, not {self.quantity}")
        _check_currency(self.currency)


@dataclass(frozen=True)
class OrderFacts:
    number: str  # the order number shown to customers, e.g. "CMD-2027-000123"
    placed_at: datetime  # aware
    mode: str  # home_delivery | click_and_collect | reserve_and_collect
    lines: tuple[OrderLine, ...]
    total: Decimal
    currency: str
    order_url: str  # the customer's order page (absolute)
    place_name: str = ""  # the pickup shop (click & collect / reserve & collect)
    place_address: str = ""
    pickup_until: datetime | None = None  # aware; when the goods go back to the shelves
    timezone: str = "Europe/Paris"  # the pickup shop's (else the retailer's): times are shown in it
    payment_at_pickup: bool = False  # reserve & collect: paid at the shop

    def __post_init__(self) -> None:
        if self.mode not in ORDER_MODES:
            raise ValueError(f"an order's mode is one of {', '.join(ORDER_MODES)}, not {self.mode!r}")
        if self.mode != HOME_DELIVERY and not self.place_name.strip():
            raise ValueError(f"a {self.mode} order needs its pickup shop's name (place_name)")
        if not self.lines:
            raise ValueError("an order has at least one line")
        for moment in (self.placed_at, self.pickup_until):
            if moment is not None and moment.tzinfo is None:
                raise ValueError("an order's times must be aware datetimes")
        _check_currency(self.currency)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{self.timezone!r} is not an IANA time zone") from None

    @property
    def links(self) -> list[str | None]:
        """Every address the messages link to or load, for the caller's check that they are http(s)."""
        return [self.order_url, *(link for line in self.lines for link in (line.url, line.image_url))]


def check_order(template: str, order: OrderFacts | None) -> None:
    """Refuses an order message without its order, and a pickup message for a home delivery."""
    if order is None:
        raise ValueError("the order messages need the order's facts")
    if template in PICKUP_TEMPLATES and order.mode == HOME_DELIVERY:
        raise ValueError(f"{template} is for an order collected at a shop, not a home delivery")


def order_values(t: NullTranslations, order: OrderFacts, lang: str) -> dict[str, Any]:
    """What the order templates and texts are written from: the facts formatted for ``lang``."""
    zone, locale = ZoneInfo(order.timezone), babel_locale(lang)
    deadline = ""
    if order.pickup_until is not None:
        local = order.pickup_until.astimezone(zone)
        deadline = t.gettext("%(date)s at %(time)s") % {
            "date": format_date(local.date(), _DAY, locale=locale),
            "time": format_time(local, "short", locale=locale),
        }
    total = format_money(order.total, order.currency, lang)
    place = {"place": order.place_name}
    next_step = {
        HOME_DELIVERY: t.gettext("We will let you know as soon as it ships."),
        CLICK_AND_COLLECT: t.gettext("We will let you know as soon as it is ready for you at %(place)s.")
        % place,
        RESERVE_AND_COLLECT: t.gettext(
            "Your items are reserved for you at %(place)s: you will pay for them there when you collect them."
        )
        % place,
    }[order.mode]
    mode = {
        HOME_DELIVERY: t.gettext("Home delivery"),
        CLICK_AND_COLLECT: t.gettext("Click & collect"),
        RESERVE_AND_COLLECT: t.gettext("Reserve & collect"),
    }[order.mode]
    return {
        "number": order.number,
        "placed_on": str(format_date(order.placed_at.astimezone(zone).date(), _DAY, locale=locale)),
        "mode": mode,
        "pickup": order.mode != HOME_DELIVERY,
        "place_name": order.place_name,
        "place_address": order.place_address,
        "place": ", ".join(part for part in (order.place_name, order.place_address) if part),
        "deadline": deadline,
        "total": total,
        "pay_at_pickup": total if order.payment_at_pickup else "",
        "next_step": next_step,
        "url": order.order_url,
        "lines": [
            {
                "name": line.name,
                "times": f"×\u00a0{format_number(line.quantity, lang)}",  # « Lampe × 2 »
                "total": format_money(line.total, line.currency, lang),
                "url": line.url,
                "image_url": line.image_url,
            }
            for line in order.lines
        ],
    }


# -- the preview's sample ----------------------------------------------------------------------------------

_SITE = "https://www.maison-lumiere.fr"
_IMAGES = "https://images.maison-lumiere.fr/assets"
_SAMPLE_LINES = (  # slug, name, quantity, line total
    ("suspension-opaline", "Suspension Opaline", 1, "189.00"),
    ("ampoule-filament-e27", "Ampoule à filament LED E27", 3, "38.70"),
    ("lampe-celeste", "Lampe à poser Céleste", 1, "89.00"),
)


def sample_order(template: str) -> OrderFacts:
    """Claire's order CMD-2027-000123 of Monday 12 July 2027 (316.70 €), collected at Maison Lumière's
    shop in the Marais, Paris: click & collect, except the reminder's, reserved and paid at the shop;
    kept until Saturday 24 July 2027 at 20:00, Paris time."""
    reserved = template == "order_pickup_reminder"
    return OrderFacts(
        number="CMD-2027-000123",
        placed_at=datetime(2027, 7, 12, 9, 42, tzinfo=UTC),
        mode=RESERVE_AND_COLLECT if reserved else CLICK_AND_COLLECT,
        lines=tuple(
            OrderLine(
                name=name,
                quantity=quantity,
                total=Decimal(total),
                currency="EUR",
                image_url=f"{_IMAGES}/{slug}/listing",
                url=f"{_SITE}/produits/{slug}",
            )
            for slug, name, quantity, total in _SAMPLE_LINES
        ),
        total=sum((Decimal(total) for *_, total in _SAMPLE_LINES), Decimal("0.00")),
        currency="EUR",
        order_url=f"{_SITE}/compte/commandes/CMD-2027-000123",
        place_name="Maison Lumière Marais",
        place_address="12 rue des Francs-Bourgeois, 75003 Paris",
        pickup_until=None if template == "order_confirmation" else datetime(2027, 7, 24, 18, 0, tzinfo=UTC),
        timezone="Europe/Paris",
        payment_at_pickup=reserved,
    )
