"""engagement: a wished-for product back in stock or cheaper — one event about a SKU, a journey for each
customer who wishes for it.

``inventory.stock_changed`` and ``pricing.price_changed`` are about a SKU, not a customer: their handler
(:func:`fan_out`) keeps what was last known of the SKU (``engagement_wish_watch``: orderable online? its
public web price?) and, when the change is one the rules of :mod:`comptoir.engagement.wish_rules` call an
*episode* — out of stock online, then orderable again; a price lower by the threshold while orderable — asks
the carts domain who wishes for the SKU (a page at a time, by its index) and starts every journey in force
whose trigger is that event for each of them (:func:`comptoir.engagement.engine.start_for`), about the
episode: the event's id is the instances' subject.

Idempotent and safe with several workers:

* the SKU's watch row is locked (``SELECT … FOR UPDATE``) before it is read and until the handler's
  transaction ends, so two workers handling the same event — or two events of one SKU, a receipt at the
  warehouse and one at a shop — decide one after the other: the second sees the episode already begun;
* an instance is unique per journey, customer and subject: an event delivered twice starts nobody twice;
* a customer told about a SKU less than :data:`~.wish_rules.NOTICE_EVERY` ago is not told again
  (``engagement_wish_notices``): a stock that flaps writes once.

Consent is required to enter (the journeys are marketing) and read again when each message is due, with the
pressure caps and quiet hours of every other message; the message's facts are read when it is sent
(:mod:`comptoir.engagement.facts_carts`), and it is skipped if the product sold out again, the price went
back up, or it left the wishlist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select

from comptoir.carts import service as carts
from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.events import DomainEvent
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import engine, journeys, wish_rules
from comptoir.engagement.facts_carts import WEB, available_online
from comptoir.engagement.models import WishNotice, WishWatch
from comptoir.inventory.events import StockChanged
from comptoir.pricing import service as pricing
from comptoir.pricing.events import PriceChanged

FANNED_OUT: dict[str, str] = {
    StockChanged.event_type: wish_rules.BACK_IN_STOCK,
    PriceChanged.event_type: wish_rules.PRICE_DROP,
}
PAGE = 500


def fan_out(uow: UnitOfWork, event: DomainEvent, settings: Settings) -> int:
    """The handler of the events in :data:`FANNED_OUT`: how many customers entered a journey."""
    if isinstance(event, StockChanged):
        return stock_changed(uow, event, settings)
    if isinstance(event, PriceChanged):
        return price_changed(uow, event, settings)
    return 0


def _watch(uow: UnitOfWork, sku: str) -> WishWatch:
    """The SKU's watch row, locked until the transaction ends (created, unknown, when first seen)."""
    locked = (
        select(WishWatch)
        .where(WishWatch.sku == sku)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = uow.session.scalars(locked).first()
    if found is not None:
        return found
    unknown = {"sku": sku, "in_stock": None, "price": None, "currency": "", "updated_at": clock.now()}
    insert_ignore(uow.session, WishWatch, [unknown])  # a racing first sight inserts it once
    return uow.session.scalars(locked).one()


def stock_changed(uow: UnitOfWork, event: StockChanged, settings: Settings) -> int:
    """Out of stock online before, orderable now: every customer who wishes for the SKU is told."""
    watch = _watch(uow, event.sku)
    if watch.in_stock is True and event.available > 0:
        return 0  # still in stock: this place's units only add to it
    if watch.in_stock is False and event.available <= 0:
        return 0  # still out of stock: this place has none to offer either
    available = available_online(uow, event.sku)
    before = watch.in_stock
    watch.in_stock, watch.updated_at = available > 0, clock.now()
    if not wish_rules.came_back(before, available):
        return 0
    return _tell_wishers(uow, settings, event, event.sku, wish_rules.BACK_IN_STOCK, {})


def price_changed(uow: UnitOfWork, event: PriceChanged, settings: Settings) -> int:
    """The public web price lower by the threshold, the SKU orderable online: every customer who wishes for
    it is told (each at their own price, checked again when it is sent)."""
    if event.currency != settings.default_currency:
        return 0
    watch = _watch(uow, event.sku)
    found = pricing.shelf_prices(
        uow, [event.sku], currency=event.currency, channel=WEB, store_id=None, customer_id=None
    ).get(event.sku)
    now_price = found.price if found is not None else None
    before = watch.price if watch.currency == event.currency else None
    if before is None and watch.price is None:
        before = _first_sight(event, now_price)
    watch.price, watch.currency, watch.updated_at = now_price, event.currency, clock.now()
    if not wish_rules.dropped(before, now_price) or available_online(uow, event.sku) <= 0:
        return 0
    facts = {"price_before": str(before), "currency": event.currency}
    return _tell_wishers(uow, settings, event, event.sku, wish_rules.PRICE_DROP, facts)


def _first_sight(event: PriceChanged, now_price: Decimal | None) -> Decimal | None:
    """A SKU whose price the watch never saw: the changed list's old amount is the price before when that
    list is the one setting the web price now (its new amount is that price)."""
    if event.old_amount is None or event.new_amount is None or now_price is None:
        return None
    return Decimal(event.old_amount) if Decimal(event.new_amount) == now_price else None


def _tell_wishers(
    uow: UnitOfWork, settings: Settings, event: DomainEvent, sku: str, kind: str, extra: dict[str, Any]
) -> int:
    """Start the journeys this event triggers for each customer who wishes for ``sku`` and was not told of
    this kind lately; returns how many entered one."""
    starting = [(v, d) for v, d in journeys.following(uow, event.event_type) if d.trigger == event.event_type]
    if not starting:
        return 0
    now = clock.now()
    facts = {"sku": sku, "kind": kind, **extra}
    entered, after = 0, None
    while True:
        page = carts.wishers(uow, sku, after=after, limit=PAGE)
        if not page:
            return entered
        after = page[-1]
        told = _told_lately(uow, page, sku, kind, now)
        noted = []
        for customer_id in page:
            if customer_id in told:
                continue
            started = [
                engine.start_for(
                    uow, d, v, customer_id, event.event_id, dict(facts), settings, at=event.occurred_at
                )
                for v, d in starting
            ]
            if any(started):
                noted.append(customer_id)
        _note(uow, noted, sku, kind, event.event_id, now)
        entered += len(noted)
        if len(page) < PAGE:
            return entered


def _told_lately(
    uow: UnitOfWork, customer_ids: Sequence[str], sku: str, kind: str, now: datetime
) -> set[str]:
    return set(
        uow.session.scalars(
            select(WishNotice.customer_id).where(
                WishNotice.customer_id.in_(list(customer_ids)),
                WishNotice.sku == sku,
                WishNotice.kind == kind,
                WishNotice.notified_at > wish_rules.recent_since(now, kind),
            )
        )
    )


def _note(
    uow: UnitOfWork, customer_ids: Sequence[str], sku: str, kind: str, subject: str, now: datetime
) -> None:
    """Remember that these customers were told (a page's worth in two statements)."""
    if not customer_ids:
        return
    uow.session.execute(
        delete(WishNotice).where(
            WishNotice.customer_id.in_(list(customer_ids)), WishNotice.sku == sku, WishNotice.kind == kind
        )
    )
    rows = [
        {"customer_id": c, "sku": sku, "kind": kind, "subject": subject, "notified_at": now}
        for c in customer_ids
    ]
    uow.session.execute(insert(WishNotice), rows)


def erase(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    """GDPR erasure: when these customers were told about the products they wished for."""
    result = uow.session.execute(delete(WishNotice).where(WishNotice.customer_id.in_(list(customer_ids))))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def export(uow: UnitOfWork, customer_id: str) -> list[dict[str, Any]]:
    """The customer's notices (GDPR export): which wished-for product, which kind, when."""
    rows = uow.session.scalars(
        select(WishNotice).where(WishNotice.customer_id == customer_id).order_by(WishNotice.notified_at)
    )
    return [{"sku": r.sku, "kind": r.kind, "notified_at": r.notified_at.isoformat()} for r in rows]
