"""payments: gift cards and vouchers — stored value with a code (and optionally a PIN), a balance and an
expiry. A voucher is a gift card the retailer issues itself (a refund, a goodwill gesture).

The balance only changes through :func:`debit` and :func:`credit`: one guarded ``UPDATE`` each, whose
``WHERE`` repeats every rule (active, not expired, same currency, enough balance), so concurrent
redemptions can never overdraw a card; each change appends a movement with the balance after it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import RowMapping

from comptoir.core import clock
from comptoir.core.errors import Conflict, NotFound
from comptoir.core.ids import new_id
from comptoir.core.money import check_minor_units, quantize
from comptoir.core.uow import UnitOfWork
from comptoir.payments import policies
from comptoir.payments.config import get_payments_settings
from comptoir.payments.events import GiftCardIssued
from comptoir.payments.models import GiftCard, GiftCardMovement, gift_card_movements_table, gift_cards_table
from comptoir.payments.schemas import (
    GiftCardIssuedOut,
    GiftCardIssueIn,
    GiftCardMovementOut,
    GiftCardOut,
    GiftCardRedeemIn,
)

G = GiftCard.__table__
M = GiftCardMovement.__table__
PIN_ITERATIONS = 60_000


class GiftCardUnavailable(Conflict):
    """Unknown code, wrong PIN, expired, disabled, other currency or not enough balance."""

    slug = "gift-card-unavailable"
    title = "Gift card cannot pay"


def gift_card_unavailable(reason: str, code: str) -> GiftCardUnavailable:
    return GiftCardUnavailable(policies.REFUSAL_TEXT[reason], reason=reason, code=policies.mask_code(code))


def hash_pin(pin: str, salt: str) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), PIN_ITERATIONS)
    return f"pbkdf2_sha256${PIN_ITERATIONS}${digest.hex()}"


def pin_matches(pin: str, salt: str, stored: str) -> bool:
    _, iterations, hexdigest = stored.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), hexdigest)


def _out(row: RowMapping) -> GiftCardOut:
    currency = row["currency"]
    return GiftCardOut(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        currency=currency,
        initial_amount=quantize(Decimal(row["initial_amount"]), currency),
        balance=quantize(Decimal(row["balance"]), currency),
        expires_at=row["expires_at"],
        status=row["status"],
        has_pin=row["pin_hash"] is not None,
        customer_id=row["customer_id"],
        created_at=row["created_at"],
    )


def _movement_out(row: RowMapping | Mapping[str, Any], currency: str) -> GiftCardMovementOut:
    return GiftCardMovementOut(
        id=row["id"],
        kind=row["kind"],
        amount=quantize(Decimal(row["amount"]), currency),
        balance_after=quantize(Decimal(row["balance_after"]), currency),
        reference=row["reference"],
        payment_id=row["payment_id"],
        order_id=row["order_id"],
        occurred_at=row["occurred_at"],
    )


def _by_code(uow: UnitOfWork, code: str) -> RowMapping | None:
    return (
        uow.session.connection()
        .execute(select(G).where(G.c.code == policies.normalise_code(code)))
        .mappings()
        .first()
    )


def _by_id(uow: UnitOfWork, gift_card_id: str) -> RowMapping:
    row = uow.session.connection().execute(select(G).where(G.c.id == gift_card_id)).mappings().first()
    if row is None:
        raise NotFound(f"Gift card {gift_card_id} does not exist.", slug="gift-card-not-found")
    return row


# -- issue ------------------------------------------------------------------------------------------------


def issue(uow: UnitOfWork, cmd: GiftCardIssueIn) -> GiftCardIssuedOut:
    """Issue a card or voucher; idempotent by ``reference`` (a replay returns the card without its PIN)."""
    check_minor_units(cmd.amount, cmd.currency, "amount")
    existing = (
        uow.session.connection().execute(select(G).where(G.c.reference == cmd.reference)).mappings().first()
    )
    if existing is not None:
        return GiftCardIssuedOut(**_out(existing).model_dump(), pin=None)
    settings = get_payments_settings()
    now = clock.now()
    amount = quantize(cmd.amount, cmd.currency)
    code = cmd.code or policies.new_gift_card_code("GC" if cmd.kind == "gift_card" else "AV")
    if _by_code(uow, code) is not None:
        raise Conflict(f"A gift card with code {code} already exists.", slug="gift-card-code-taken")
    days = settings.gift_card_validity_days if cmd.kind == "gift_card" else settings.voucher_validity_days
    expires_at = cmd.expires_at or now + timedelta(days=days)
    gift_card_id = new_id("gc")
    pin = policies.new_pin() if cmd.with_pin else None
    row = {
        "id": gift_card_id,
        "code": code,
        "kind": cmd.kind,
        "currency": cmd.currency,
        "initial_amount": amount,
        "balance": amount,
        "pin_hash": hash_pin(pin, gift_card_id) if pin else None,
        "pin_failures": 0,
        "status": "active",
        "expires_at": expires_at,
        "customer_id": cmd.customer_id,
        "reference": cmd.reference,
        "created_at": now,
    }
    uow.session.connection().execute(insert(gift_cards_table), row)
    uow.session.connection().execute(
        insert(gift_card_movements_table),
        {
            "gift_card_id": gift_card_id,
            "kind": "issue",
            "amount": amount,
            "balance_after": amount,
            "reference": cmd.reference,
            "payment_id": None,
            "order_id": None,
            "occurred_at": now,
        },
    )
    uow.record(
        GiftCardIssued(
            gift_card_id=gift_card_id,
            kind=cmd.kind,
            amount=str(amount),
            currency=cmd.currency,
            customer_id=cmd.customer_id,
            expires_at=expires_at.isoformat(),
            reference=cmd.reference,
        )
    )
    return GiftCardIssuedOut(
        **_out(
            uow.session.connection().execute(select(G).where(G.c.id == gift_card_id)).mappings().one()
        ).model_dump(),
        pin=pin,
    )


def balance(uow: UnitOfWork, code: str) -> GiftCardOut:
    row = _by_code(uow, code)
    if row is None:
        raise NotFound(policies.REFUSAL_TEXT["unknown"], slug="gift-card-not-found")
    return _out(row)


def movements(uow: UnitOfWork, code: str, *, limit: int = 100) -> list[GiftCardMovementOut]:
    card = balance(uow, code)
    rows = (
        uow.session.connection()
        .execute(select(M).where(M.c.gift_card_id == card.id).order_by(M.c.id.desc()).limit(limit))
        .mappings()
    )
    return [_movement_out(r, card.currency) for r in rows]


# -- balance changes ----------------------------------------------------------------------------------------


def _record_pin_failure(uow: UnitOfWork, gift_card_id: str) -> None:
    """Count a wrong PIN so that guessing locks the card. On PostgreSQL in its own transaction (the
    caller's checkout is about to roll back); SQLite has one writer at a time, so there it is counted in
    the caller's transaction (kept when the caller commits, as the redemption API does on refusal)."""
    stmt = update(GiftCard).where(G.c.id == gift_card_id).values(pin_failures=G.c.pin_failures + 1)
    if uow.dialect == "postgresql":
        with uow.db.engine.begin() as conn:
            conn.execute(stmt)
    else:
        uow.session.connection().execute(stmt)


def check_pin(uow: UnitOfWork, card: RowMapping, pin: str | None) -> None:
    if card["pin_hash"] is None:
        return
    if card["pin_failures"] >= policies.PIN_ATTEMPTS:
        raise gift_card_unavailable("locked", card["code"])
    if not pin or not pin_matches(pin, card["id"], card["pin_hash"]):
        _record_pin_failure(uow, card["id"])
        raise gift_card_unavailable("pin", card["code"])


def debit(
    uow: UnitOfWork,
    *,
    code: str,
    pin: str | None,
    amount: Decimal,
    currency: str,
    reference: str,
    payment_id: str | None = None,
    order_id: str | None = None,
    fresh_reference: bool = False,
    payer: str | None = None,
    check_owner: bool = False,
) -> tuple[RowMapping, GiftCardMovementOut]:
    """Take ``amount`` from the card in the caller's transaction; idempotent by ``reference`` (a
    ``fresh_reference``, such as a new payment id, cannot have been used: no replay check)."""
    card = _by_code(uow, code)
    if card is None:
        raise gift_card_unavailable("unknown", code)
    done = None if fresh_reference else _redeemed(uow, card["id"], reference)
    if done is not None:
        return card, _movement_out(done, card["currency"])
    check_pin(uow, card, pin)
    if check_owner:
        owned = policies.owner_refusal(card["customer_id"], card["pin_hash"] is not None, payer)
        if owned is not None:
            raise gift_card_unavailable(owned, card["code"])
    now = clock.now()
    refusal = policies.gift_card_refusal(
        status=card["status"],
        currency=card["currency"],
        balance=Decimal(card["balance"]),
        expires_at=card["expires_at"],
        pin_failures=0,
        asked_currency=currency,
        asked=amount,
        now=now,
    )
    if refusal is not None:
        raise gift_card_unavailable(refusal, card["code"])
    left = _take_balance(uow, card["id"], amount, currency, now)
    if left is None:  # another redemption took the balance between our read and our write
        raise gift_card_unavailable("insufficient_balance", card["code"])
    movement: dict[str, Any] = {
        "gift_card_id": card["id"],
        "kind": "redeem",
        "amount": -amount,
        "balance_after": left,
        "reference": reference,
        "payment_id": payment_id,
        "order_id": order_id,
        "occurred_at": now,
    }
    movement["id"] = (
        uow.session.connection()
        .execute(insert(gift_card_movements_table).returning(M.c.id), movement)
        .scalar_one()
    )
    return card, _movement_out(movement, card["currency"])


def _redeemed(uow: UnitOfWork, gift_card_id: str, reference: str) -> RowMapping | None:
    """The redemption already made on the card under ``reference``, if any."""
    return (
        uow.session.connection()
        .execute(
            select(M).where(
                M.c.gift_card_id == gift_card_id, M.c.kind == "redeem", M.c.reference == reference
            )
        )
        .mappings()
        .first()
    )


def _take_balance(
    uow: UnitOfWork, gift_card_id: str, amount: Decimal, currency: str, now: datetime
) -> Decimal | None:
    """Take ``amount`` off the card's balance if it is still active, unexpired and covers it: the
    balance left, or None when it no longer does."""
    left: Decimal | None = (
        uow.session.connection()
        .execute(
            update(GiftCard)
            .where(
                G.c.id == gift_card_id,
                G.c.status == "active",
                G.c.currency == currency,
                or_(G.c.expires_at.is_(None), G.c.expires_at > now),
                func.round(G.c.balance - amount, 3) >= 0,
            )
            .values(balance=func.round(G.c.balance - amount, 3))
            .returning(G.c.balance)
        )
        .scalar_one_or_none()
    )
    return left


def credit(
    uow: UnitOfWork,
    gift_card_id: str,
    amount: Decimal,
    *,
    kind: str,
    reference: str,
    payment_id: str | None,
    order_id: str | None,
) -> GiftCardMovementOut | None:
    """Give ``amount`` back to a card (a refund or a cancelled order); None when the card can no longer
    take it (expired or disabled: the caller pays it out another way). Idempotent by (kind, reference)."""
    card = _by_id(uow, gift_card_id)
    done = (
        uow.session.connection()
        .execute(
            select(M).where(M.c.gift_card_id == gift_card_id, M.c.kind == kind, M.c.reference == reference)
        )
        .mappings()
        .first()
    )
    if done is not None:
        return _movement_out(done, card["currency"])
    now = clock.now()
    left = (
        uow.session.connection()
        .execute(
            update(GiftCard)
            .where(
                G.c.id == gift_card_id,
                G.c.status == "active",
                or_(G.c.expires_at.is_(None), G.c.expires_at > now),
                func.round(G.c.initial_amount - G.c.balance - amount, 3) >= 0,
            )
            .values(balance=func.round(G.c.balance + amount, 3))
            .returning(G.c.balance)
        )
        .scalar_one_or_none()
    )
    if left is None:
        return None
    movement_id = (
        uow.session.connection()
        .execute(
            insert(gift_card_movements_table).returning(M.c.id),
            {
                "gift_card_id": gift_card_id,
                "kind": kind,
                "amount": amount,
                "balance_after": left,
                "reference": reference,
                "payment_id": payment_id,
                "order_id": order_id,
                "occurred_at": now,
            },
        )
        .scalar_one()
    )
    return _movement_out(
        uow.session.connection().execute(select(M).where(M.c.id == movement_id)).mappings().one(),
        card["currency"],
    )


def redeem(uow: UnitOfWork, code: str, cmd: GiftCardRedeemIn) -> GiftCardMovementOut:
    """Redeem outside a checkout (API): the same guarded debit, by the caller's reference."""
    _, movement = debit(
        uow,
        code=code,
        pin=cmd.pin,
        amount=quantize(cmd.amount, cmd.currency),
        currency=cmd.currency,
        reference=cmd.reference,
    )
    return movement


def set_status(uow: UnitOfWork, code: str, status: str) -> GiftCardOut:
    """Block a lost or stolen card, or unblock it (which also clears the wrong-PIN count)."""
    card = _by_code(uow, code)
    if card is None:
        raise NotFound(policies.REFUSAL_TEXT["unknown"], slug="gift-card-not-found")
    values: dict[str, object] = {"status": status}
    if status == "active":
        values["pin_failures"] = 0
    uow.session.connection().execute(update(GiftCard).where(G.c.id == card["id"]).values(**values))
    return _out(uow.session.connection().execute(select(G).where(G.c.id == card["id"])).mappings().one())
