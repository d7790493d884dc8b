"""orders: scan & go exit passes — a signed, expiring token shown as a QR code, checked once at the door.

A scan & go sale is a ``store_sale`` on the shop's channel (``store:<id>``), paid in the shopper's phone.
Its pass binds the order, the shop, the number of items and an expiry (:data:`PASS_TTL`), signed with
the application's secret key (:mod:`comptoir.core.tokens`). At the door a seller (or a shop device)
verifies it: authentic, not expired, for this shop, for an order paid and not refunded, never used —
then marks it used with one guarded ``UPDATE … WHERE used_at IS NULL`` so two doors scanning the same
pass at once cannot both let it through.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import ConfigDict, Field
from sqlalchemy import select, update

from comptoir.core import clock, tokens
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, not_found
from comptoir.core.types import Schema
from comptoir.core.uow import UnitOfWork
from comptoir.orders.events import ExitPassIssued, ExitPassVerified
from comptoir.orders.models import ExitPass
from comptoir.orders.read import load_order
from comptoir.orders.schemas import OrderOut

PURPOSE = "orders.exit_pass"
PASS_TTL = timedelta(hours=2)

Outcome = Literal[
    "valid",
    "invalid_signature",
    "expired",
    "other_shop",
    "unknown_order",
    "not_paid",
    "refunded",
    "items_mismatch",
    "already_used",
]


class ExitPassOut(Schema):
    order_id: str
    order_number: str
    shop_id: str
    items: int = Field(description="Units bought: what the bag should hold")
    expires_at: datetime
    used_at: datetime | None = None
    token: str = Field(description="The signed pass, shown as a QR code")


class ExitPassVerifyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=1000)
    place_id: str | None = Field(
        default=None, max_length=40, description="The door's shop (default: the caller's shop)"
    )


class ExitPassLineOut(Schema):
    sku: str
    quantity: int


class ExitPassVerdictOut(Schema):
    valid: bool
    outcome: Outcome
    place_id: str
    order_id: str | None = None
    order_number: str | None = None
    shop_id: str | None = None
    items: int | None = None
    lines: list[ExitPassLineOut] = Field(default_factory=list)
    expires_at: datetime | None = None
    used_at: datetime | None = None
    used_by_name: str | None = Field(default=None, description="Who let the pass through (name)")
    used_place_id: str | None = None


# -- rules (no I/O) --------------------------------------------------------------------------------


def shop_of_sale(order: OrderOut) -> str | None:
    """The shop of a store sale (its ``store:<id>`` channel), else ``None``: only store sales have passes."""
    if order.mode != "store_sale" or not order.channel.startswith("store:"):
        return None
    return order.channel.split(":", 1)[1]


def items_of(order: OrderOut) -> int:
    return sum(line.quantity for line in order.lines)


def claims_for(order_id: str, shop_id: str, items: int, expires_at: datetime) -> dict[str, object]:
    return {"o": order_id, "s": shop_id, "n": items, "x": int(expires_at.timestamp())}


def sign_pass(secret: str, order_id: str, shop_id: str, items: int, expires_at: datetime) -> str:
    return tokens.sign(secret, PURPOSE, claims_for(order_id, shop_id, items, expires_at), None)


def read_pass(secret: str, token: str, now: datetime) -> tuple[Outcome, dict[str, object] | None]:
    """``("valid", claims)`` for an authentic, unexpired pass; else the refusal (and the claims when known)."""
    claims = tokens.verify(secret, PURPOSE, token.strip())
    if claims is None or not {"o", "s", "n", "x"} <= claims.keys():
        return "invalid_signature", None
    if int(str(claims["x"])) < int(now.timestamp()):
        return "expired", claims
    return "valid", claims


def order_refusal(order: OrderOut, claims: dict[str, object], place_id: str) -> Outcome | None:
    """Why the pass's order may not leave through ``place_id``'s door, or ``None``."""
    if claims["s"] != place_id or shop_of_sale(order) != place_id:
        return "other_shop"
    if order.payment_status in ("partially_refunded", "refunded") or any(
        line.returned_quantity for line in order.lines
    ):
        return "refunded"
    if order.payment_status != "paid" or order.status != "completed":
        return "not_paid"
    if items_of(order) != claims["n"]:
        return "items_mismatch"
    return None


# -- operations ------------------------------------------------------------------------------------


def issue_exit_pass(uow: UnitOfWork, order_id: str, secret: str) -> ExitPassOut:
    """The order's pass (made the first time it is asked for; an expired, unused one is renewed).

    409 ``exit-pass-unavailable`` unless the order is a completed store sale, paid and not refunded."""
    order = load_order(uow, order_id, with_payments=False)
    if order is None:
        raise not_found("Order", order_id)
    shop_id = shop_of_sale(order)
    if shop_id is None or order.status != "completed" or order.payment_status != "paid":
        raise Conflict(
            f"Order {order.number} has no exit pass: only a paid store sale has one.",
            slug="exit-pass-unavailable",
        )
    now = clock.now()
    items = items_of(order)
    row = _pass_row(uow, order_id)
    if row is None:
        expires = now + PASS_TTL
        insert_ignore(
            uow.session,
            ExitPass,
            [
                {
                    "order_id": order_id,
                    "shop_id": shop_id,
                    "items": items,
                    "issued_at": now,
                    "expires_at": expires,
                    "used_at": None,
                    "used_by": None,
                    "used_by_name": None,
                    "used_place_id": None,
                }
            ],
        )
        uow.record(
            ExitPassIssued(
                order_id=order_id,
                customer_id=order.customer_id,
                channel=order.channel,
                shop_id=shop_id,
                items=items,
                expires_at=expires.isoformat(),
            )
        )
        row = _pass_row(uow, order_id)
        assert row is not None
    elif row.used_at is None and row.expires_at < now:
        uow.session.execute(
            update(ExitPass)
            .where(ExitPass.order_id == order_id, ExitPass.used_at.is_(None))
            .values(expires_at=now + PASS_TTL)
        )
        row = _pass_row(uow, order_id)
        assert row is not None
    return ExitPassOut(
        order_id=order_id,
        order_number=order.number,
        shop_id=row.shop_id,
        items=row.items,
        expires_at=row.expires_at,
        used_at=row.used_at,
        token=sign_pass(secret, order_id, row.shop_id, row.items, row.expires_at),
    )


def _pass_row(uow: UnitOfWork, order_id: str) -> ExitPass | None:
    return uow.session.execute(
        select(ExitPass).where(ExitPass.order_id == order_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()


def verify_exit_pass(
    uow: UnitOfWork,
    token: str,
    place_id: str,
    secret: str,
    *,
    verifier_id: str | None,
    verifier_name: str | None,
) -> ExitPassVerdictOut:
    """Check a pass at ``place_id``'s door; a valid one is marked used (once: a guarded UPDATE)."""
    now = clock.now()
    outcome, claims = read_pass(secret, token, now)
    if claims is None:
        return ExitPassVerdictOut(valid=False, outcome=outcome, place_id=place_id)
    order_id = str(claims["o"])
    order = load_order(uow, order_id, with_payments=False)
    if order is None:
        return ExitPassVerdictOut(valid=False, outcome="unknown_order", place_id=place_id)
    row = _pass_row(uow, order_id)
    if outcome == "valid":
        outcome = order_refusal(order, claims, place_id) or outcome
    if outcome == "valid" and row is None:
        outcome = "unknown_order"
    if outcome == "valid":
        used = uow.session.execute(
            update(ExitPass)
            .where(ExitPass.order_id == order_id, ExitPass.used_at.is_(None))
            .values(used_at=now, used_by=verifier_id, used_by_name=verifier_name, used_place_id=place_id)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            outcome = "already_used"
        row = _pass_row(uow, order_id)
    elif row is not None and row.used_at is not None and outcome == "expired":
        outcome = "already_used"  # say who let it through, rather than "expired"
    uow.record(
        ExitPassVerified(
            order_id=order_id,
            customer_id=order.customer_id,
            channel=order.channel,
            place_id=place_id,
            outcome=outcome,
            verified_by=verifier_id,
        )
    )
    return ExitPassVerdictOut(
        valid=outcome == "valid",
        outcome=outcome,
        place_id=place_id,
        order_id=order_id,
        order_number=order.number,
        shop_id=str(claims["s"]),
        items=items_of(order),
        lines=[ExitPassLineOut(sku=line.sku, quantity=line.quantity) for line in order.lines],
        expires_at=row.expires_at if row is not None else None,
        used_at=row.used_at if row is not None else None,
        used_by_name=row.used_by_name if row is not None else None,
        used_place_id=row.used_place_id if row is not None else None,
    )
