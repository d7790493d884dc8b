"""live: a video session — products pushed and what became of them, the chat, the advisor's notes and
recommendations, the report when it ends and the sales made in it.

A session is reached by its two sides only: the customer with the ticket of the request it came from (the
signed-in customer's token too, when there is one), the advisor who took it — and the staff who supervise
(back office, administrators, the manager of the advisor's shop). Routes check with :func:`check_side`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from comptoir.carts import service as carts
from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.context import Actor
from comptoir.core.errors import Conflict, InvalidInput, NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.live import notices, policies, presence
from comptoir.live.events import SaleCredited, SessionEnded
from comptoir.live.models import Chat, Session, SessionItem
from comptoir.live.notices import Notice
from comptoir.live.schemas import ProductCard, SessionOut
from comptoir.pricing import service as pricing

CHANNEL = "live"
SUPERVISORS = frozenset({Role.BACK_OFFICE, Role.ADMIN, Role.SHOP_MANAGER})


def load(uow: UnitOfWork, session_id: str, *, lock: bool = False) -> Session:
    stmt = select(Session).where(Session.id == session_id)
    if lock:
        stmt = stmt.with_for_update()
    row = uow.session.scalars(stmt).first()
    if row is None:
        raise NotFound(f"Live session {session_id} does not exist.")
    return row


def side_of(row: Session, actor: Actor, ticket_request: str | None) -> str:
    """``customer`` or ``advisor`` — which side of this session the caller is; 404 for anyone else (the
    session's existence is not revealed)."""
    if ticket_request is not None and ticket_request == row.request_id:
        if actor.kind == "customer" and row.customer_id not in (None, actor.customer_id):
            raise NotFound(f"Live session {row.id} does not exist.")
        return "customer"
    if actor.kind == "staff":
        if actor.staff_id == row.advisor_id:
            return "advisor"
        if actor.role in SUPERVISORS and (actor.shops is None or row.shop_id in actor.shops):
            return "advisor"
    if actor.kind in ("secret", "system") and actor.shops is None:
        return "advisor"
    raise NotFound(f"Live session {row.id} does not exist.")


def _active(row: Session) -> None:
    if row.status != "active":
        raise Conflict("This session has ended.", slug="session-ended")


def items_of(uow: UnitOfWork, session_id: str) -> list[tuple[str, str, str, datetime]]:
    return [
        (r.sku, r.kind, r.by, r.at)
        for r in uow.session.scalars(
            select(SessionItem).where(SessionItem.session_id == session_id).order_by(SessionItem.id)
        )
    ]


def out(uow: UnitOfWork, row: Session, side: str = "advisor") -> SessionOut:
    """The session as one side sees it: the advisor's side names the customer only when they shared their
    profile (the console then links to their 360° view)."""
    shown_customer = row.customer_id if side == "customer" or row.profile_shared else None
    return SessionOut(
        id=row.id,
        request_id=row.request_id,
        status=row.status,
        advisor_id=row.advisor_id,
        advisor_name=row.advisor_name,
        shop_id=row.shop_id,
        customer_id=shown_customer,
        topic=row.topic,
        language=row.language,
        cart_id=row.cart_id,
        profile_shared=row.profile_shared,
        started_at=row.started_at,
        ended_at=row.ended_at,
        notes=row.notes,
        recommended=list(row.recommended or []),
        report=row.report,
        items=[{"sku": s, "kind": k, "by": b, "at": a.isoformat()} for s, k, b, a in items_of(uow, row.id)],
        chat=chat_of(uow, row.id),
    )


def card(uow: UnitOfWork, row: Session, sku: str, settings: Settings) -> ProductCard:
    """The product as the customer's screen shows it: its image licensed for the live channel, its live
    price with promotions (and the Omnibus reference when discounted), what can be delivered and the
    stock in the shops nearest the customer's postcode. 422 naming ``sku`` for an unknown or unsold one."""
    variant = catalog.get_variants(uow, [sku], row.language, channel=CHANNEL).get(sku)
    if variant is None or not variant.sellable:
        raise InvalidInput(f"Unknown or unsold product {sku}.", field="sku")
    price = pricing.shelf_prices(
        uow,
        [sku],
        currency=settings.default_currency,
        channel=CHANNEL,
        store_id=None,
        customer_id=row.customer_id,
    ).get(sku)
    online = inventory.network_availability(uow, [sku])
    shops: list[dict[str, Any]] = []
    if row.postcode:
        try:
            near = inventory.nearest_with_stock(uow, sku, postcode=row.postcode, limit=3)
        except InvalidInput:  # a postcode the map does not know: no nearby stock shown
            near = None
        if near is not None:
            shops = [
                {
                    "place_id": p.place_id,
                    "name": p.name,
                    "distance_km": p.distance_km,
                    "available": p.available,
                }
                for p in near.places
            ]
    return ProductCard(
        sku=sku,
        name=variant.name,
        image_url=variant.image_url,
        price=str(price.price) if price else None,
        currency=price.currency if price else None,
        reference_price=str(price.reference_price) if price and price.reference_price is not None else None,
        available_online=online[0].available if online else 0,
        shops=shops,
    )


def _note_item(uow: UnitOfWork, row: Session, sku: str, kind: str, by: str, now: datetime) -> None:
    uow.session.add(SessionItem(session_id=row.id, sku=sku, kind=kind, by=by, at=now))


def push(
    uow: UnitOfWork, row: Session, sku: str, settings: Settings, now: datetime
) -> tuple[ProductCard, list[Notice]]:
    """The advisor shows a product on the customer's screen."""
    _active(row)
    shown = card(uow, row, sku, settings)
    _note_item(uow, row, sku, "pushed", "advisor", now)
    return shown, [
        (
            notices.side(row.advisor_id, row.request_id, "customer"),
            {"type": "product", "session_id": row.id, "product": shown.model_dump(mode="json")},
        )
    ]


def note_item(
    uow: UnitOfWork, row: Session, sku: str, kind: str, side: str, cart_id: str | None, now: datetime
) -> list[Notice]:
    """What the customer did with a product (compared, wished, added to the cart): the advisor sees it,
    the report counts it. ``cart_id``: the cart the customer fills in the session (its order is credited
    to the session)."""
    _active(row)
    if kind not in policies.ITEM_KINDS:
        raise InvalidInput(f"Unknown kind {kind}.", field="kind")
    if cart_id is not None and row.cart_id not in (None, cart_id):
        raise InvalidInput("This session already has its cart.", field="cart_id")
    if cart_id is not None:
        row.cart_id = cart_id
    _note_item(uow, row, sku, kind, side, now)
    return [
        (
            notices.side(row.advisor_id, row.request_id, notices.other(side)),
            {"type": "item", "session_id": row.id, "sku": sku, "kind": kind},
        )
    ]


def set_notes(
    uow: UnitOfWork, row: Session, notes: str, recommended: Sequence[str], now: datetime
) -> list[Notice]:
    """The advisor's notes and recommendations (kept for the report and the follow-up e-mail)."""
    known = catalog.get_variants(uow, list(dict.fromkeys(recommended)), row.language)
    unknown = [s for s in recommended if s not in known]
    if unknown:
        raise InvalidInput(f"Unknown products: {', '.join(unknown[:5])}.", field="recommended")
    row.notes, row.recommended = notes, list(dict.fromkeys(recommended))
    for sku in row.recommended:
        _note_item(uow, row, sku, "recommended", "advisor", now)
    return [
        (
            notices.side(row.advisor_id, row.request_id, "customer"),
            {"type": "recommended", "session_id": row.id, "skus": row.recommended},
        )
    ]


def chat(uow: UnitOfWork, row: Session, side: str, text: str, now: datetime) -> list[Notice]:
    _active(row)
    uow.session.add(Chat(session_id=row.id, by=side, text=text, at=now))
    message = {"type": "chat", "session_id": row.id, "by": side, "text": text, "at": now.isoformat()}
    return [(notices.side(row.advisor_id, row.request_id, notices.other(side)), message)]


def chat_of(uow: UnitOfWork, session_id: str) -> list[dict[str, Any]]:
    rows = uow.session.scalars(select(Chat).where(Chat.session_id == session_id).order_by(Chat.id))
    return [{"by": r.by, "text": r.text, "at": r.at.isoformat()} for r in rows]


def end(uow: UnitOfWork, row: Session, now: datetime) -> list[Notice]:
    """Either side ends the session: the report is written and published (``live.session_ended``: the
    journeys send the session report), the advisor is available again."""
    if row.status == "ended":
        return []
    items = [(s, k) for s, k, _, _ in items_of(uow, row.id)]
    row.status, row.ended_at = "ended", now
    row.report = policies.report(
        row.started_at, now, items, row.notes, row.recommended or [], row.order_ids or []
    )
    presence.session_over(uow, row.advisor_id, now)
    r = row.report
    uow.record(
        SessionEnded(
            session_id=row.id,
            advisor_id=row.advisor_id,
            advisor_name=row.advisor_name,
            started_at=row.started_at.isoformat(),
            shop_id=row.shop_id,
            customer_id=row.customer_id,
            language=row.language,
            duration_seconds=int(r["duration_seconds"]),
            shown=list(r["shown"]),
            added=list(r["added"]),
            bought=list(r["bought"]),
            recommended=list(r["recommended"]),
            orders=list(r["orders"]),
            report=dict(r),
        )
    )
    ended = {"type": "ended", "session_id": row.id}
    return [
        (notices.side(row.advisor_id, row.request_id, "customer"), ended),
        (notices.side(row.advisor_id, row.request_id, "advisor"), ended),
        (notices.ADVISORS, {"type": "presence"}),
    ]


def credit_order(uow: UnitOfWork, cart_id: str, order_id: str, total: str | None, currency: str) -> bool:
    """A cart filled in a session became an order: the session keeps it (what was bought, the sales) and
    the sale is credited to the advisor and their shop (``live.sale_credited``)."""
    row = uow.session.scalars(select(Session).where(Session.cart_id == cart_id).with_for_update()).first()
    if row is None or order_id in (row.order_ids or []):
        return False
    row.order_ids = [*(row.order_ids or []), order_id]
    amount = Decimal(total) if total else Decimal(0)
    row.sales_total = (row.sales_total or Decimal(0)) + amount
    row.sales_currency = currency
    bought = [line.sku for line in carts.get_cart(uow, cart_id).lines]
    now = clock.now()
    for sku in dict.fromkeys(bought):
        _note_item(uow, row, sku, "bought", "customer", now)
    if row.report is not None:  # ordered after the session ended (the checkout link): the report follows
        report = dict(row.report)
        report["bought"] = list(dict.fromkeys([*report.get("bought", []), *bought]))
        report["orders"] = list(row.order_ids)
        row.report = report
    uow.record(
        SaleCredited(
            session_id=row.id,
            order_id=order_id,
            advisor_id=row.advisor_id,
            shop_id=row.shop_id,
            customer_id=row.customer_id,
            total=str(amount),
            currency=currency,
        )
    )
    return True
