"""live: the basket an advisor builds and sends as a checkout link.

During (or after) a session the advisor may put products in a basket for the customer rather than have
them add each one: the link (:func:`make`) is signed, names the session and the lines, and lasts
:data:`DAYS` days; the customer's page shows it at once, and it may be sent again by e-mail or SMS. Opening
it fills the opener's own cart — their cross-channel cart when signed in, a new one otherwise — with the
lines on the live channel, then the checkout; the order is credited to the session's advisor as any order
of the session's cart. Nothing of the customer is in the link, and no cart credential is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from comptoir.catalog import service as catalog
from comptoir.core import tokens
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.live import notices
from comptoir.live.models import Session, SessionItem
from comptoir.live.notices import Notice
from comptoir.live.schemas import BasketLine, BasketOut

PURPOSE = "live-basket"
DAYS = 7


def make(
    uow: UnitOfWork, row: Session, lines: Sequence[BasketLine], secret: str, base_url: str, now: datetime
) -> tuple[BasketOut, list[Notice]]:
    """The signed checkout link of a basket of sellable products (422 naming ``lines`` otherwise)."""
    skus = list(dict.fromkeys(line.sku for line in lines))
    known = catalog.get_variants(uow, skus, row.language)
    unsold = [s for s in skus if s not in known or not known[s].sellable]
    if unsold:
        raise InvalidInput(f"Unknown or unsold products: {', '.join(unsold[:5])}.", field="lines")
    merged: dict[str, int] = {}
    for line in lines:
        merged[line.sku] = merged.get(line.sku, 0) + line.quantity
    claims = {"s": row.id, "l": [[sku, quantity] for sku, quantity in merged.items()]}
    token = tokens.sign(secret, PURPOSE, claims, DAYS * 86400)
    for sku in merged:
        uow.session.add(SessionItem(session_id=row.id, sku=sku, kind="added", by="advisor", at=now))
    out = BasketOut(
        url=f"{base_url.rstrip('/')}/shop/live/basket/{token}",
        expires_at=now + timedelta(days=DAYS),
        lines=[BasketLine(sku=sku, quantity=quantity) for sku, quantity in merged.items()],
    )
    message = {"type": "basket", "session_id": row.id, "url": out.url, "lines": claims["l"]}
    return out, [(notices.side(row.advisor_id, row.request_id, "customer"), message)]


def read(secret: str, token: str) -> tuple[str, list[BasketLine]]:
    """The session and the lines of a basket link; 404 for a forged or expired one."""
    claims = tokens.verify(secret, PURPOSE, token)
    raw = claims.get("l") if claims else None
    if not claims or not isinstance(claims.get("s"), str) or not isinstance(raw, list):
        raise NotFound("This basket link does not exist or has expired: ask your advisor for a new one.")
    return str(claims["s"]), [BasketLine(sku=str(sku), quantity=int(quantity)) for sku, quantity in raw]


def filled(uow: UnitOfWork, session_id: str, cart_id: str) -> None:
    """The link filled this cart: its order is the session's (when the session has no cart yet)."""
    row = uow.session.get(Session, session_id, with_for_update=True)
    if row is not None and row.cart_id is None:
        row.cart_id = cart_id
