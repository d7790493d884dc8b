"""The one place that changes stock: guarded UPDATEs whose row count is checked, rows in key order.

Every change of ``on_hand`` writes a movement in the same statement batch, so a stock level always
equals the sum of its movements; every change of ``reserved`` goes with a reservation line, so
``reserved`` always equals the open quantity of the held lines. The guards
(``on_hand + :delta >= 0``, ``on_hand - reserved - safety_stock >= :qty``) make concurrent writers
safe on PostgreSQL without explicit locks: a losing UPDATE re-reads the row after the winner commits
and no longer matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core import clock
from comptoir.core.errors import Conflict
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import policies
from comptoir.inventory.events import StockChanged
from comptoir.inventory.models import Movement, Stock

STOCK: Table = cast(Table, Stock.__table__)
MOVEMENTS: Table = cast(Table, Movement.__table__)


class OutOfStock(Conflict):
    """409: the units asked for cannot be held or taken at this place."""

    slug = "out-of-stock"
    title = "Not enough stock"

    def __init__(
        self, sku: str, place_id: str, requested: int, available: int, *, what: str = "available"
    ) -> None:
        super().__init__(
            f"Only {available} unit(s) of {sku} {what} at {place_id}; {requested} asked.",
            sku=sku,
            place_id=place_id,
            requested=requested,
            available=available,
        )


@dataclass(frozen=True)
class Level:
    sku: str
    place_id: str
    on_hand: int
    reserved: int
    safety_stock: int

    @property
    def available(self) -> int:
        return policies.available_to_promise(self.on_hand, self.reserved, self.safety_stock)

    def changed(self, cause: str) -> StockChanged:
        return StockChanged(
            sku=self.sku,
            place_id=self.place_id,
            on_hand=self.on_hand,
            reserved=self.reserved,
            available=self.available,
            cause=cause,
        )


_RETURNING = (STOCK.c.on_hand, STOCK.c.reserved, STOCK.c.safety_stock)


def _key(sku: str, place_id: str) -> Any:
    return and_(STOCK.c.sku == sku, STOCK.c.place_id == place_id)


def ensure_rows(uow: UnitOfWork, keys: list[tuple[str, str]]) -> None:
    """Create empty stock rows for (sku, place) pairs that have none (INSERT … ON CONFLICT DO NOTHING)."""
    if not keys:
        return
    now = clock.now()
    rows = [
        {"sku": s, "place_id": p, "on_hand": 0, "reserved": 0, "safety_stock": 0, "updated_at": now}
        for s, p in sorted(set(keys))
    ]
    stmt: Any = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(STOCK).on_conflict_do_nothing()
    uow.session.execute(stmt, rows)


def current(uow: UnitOfWork, sku: str, place_id: str) -> Level:
    row = uow.session.execute(select(*_RETURNING).where(_key(sku, place_id))).first()
    if row is None:
        return Level(sku, place_id, 0, 0, 0)
    return Level(sku, place_id, row.on_hand, row.reserved, row.safety_stock)


# -- on hand: movements -------------------------------------------------------------------------------------


def movement_exists(uow: UnitOfWork, reference: str, sku: str, place_id: str, kind: str) -> bool:
    stmt = select(MOVEMENTS.c.id).where(
        MOVEMENTS.c.reference == reference,
        MOVEMENTS.c.sku == sku,
        MOVEMENTS.c.place_id == place_id,
        MOVEMENTS.c.kind == kind,
    )
    return uow.session.execute(stmt).first() is not None


def movement_row(
    uow: UnitOfWork,
    *,
    kind: str,
    sku: str,
    place_id: str,
    delta: int,
    on_hand_after: int,
    reference: str,
    reason: str,
    at: datetime,
) -> dict[str, Any]:
    actor = uow.actor
    return {
        "id": new_id("mv"),
        "kind": kind,
        "sku": sku,
        "place_id": place_id,
        "delta": delta,
        "on_hand_after": on_hand_after,
        "reference": reference,
        "reason": reason,
        "channel": actor.channel,
        "api_key_id": actor.key_id,
        "request_id": actor.request_id,
        "occurred_at": at,
    }


def move(
    uow: UnitOfWork,
    *,
    kind: str,
    sku: str,
    place_id: str,
    delta: int,
    reference: str,
    reason: str = "",
    release_reserved: int = 0,
) -> Level | None:
    """Change on hand by ``delta`` and write the movement; ``None`` when this movement was already
    recorded (idempotent by reference, sku, place and kind). A decrease below zero raises OutOfStock.

    ``release_reserved`` also lowers ``reserved`` (units that leave a reservation, e.g. fulfilment).
    """
    if movement_exists(uow, reference, sku, place_id, kind):
        return None
    now = clock.now()
    if delta > 0:
        ensure_rows(uow, [(sku, place_id)])
    stmt = (
        update(STOCK)
        .where(_key(sku, place_id), STOCK.c.on_hand + delta >= 0, STOCK.c.reserved >= release_reserved)
        .values(
            on_hand=STOCK.c.on_hand + delta,
            reserved=STOCK.c.reserved - release_reserved,
            updated_at=now,
        )
        .returning(*_RETURNING)
    )
    row = uow.session.execute(stmt).first()
    if row is None:
        level = current(uow, sku, place_id)
        raise OutOfStock(sku, place_id, -delta, level.on_hand, what="on hand")
    uow.session.execute(
        insert(MOVEMENTS),
        [
            movement_row(
                uow,
                kind=kind,
                sku=sku,
                place_id=place_id,
                delta=delta,
                on_hand_after=row.on_hand,
                reference=reference,
                reason=reason,
                at=now,
            )
        ],
    )
    return Level(sku, place_id, row.on_hand, row.reserved, row.safety_stock)


# -- reserved: holds -----------------------------------------------------------------------------------------


# Built once: every reservation line runs it (building it cost as much CPU as running it).
_HOLD = (
    update(STOCK)
    .where(
        STOCK.c.sku == bindparam("b_sku"),
        STOCK.c.place_id == bindparam("b_place_id"),
        STOCK.c.on_hand - STOCK.c.reserved - STOCK.c.safety_stock >= bindparam("b_quantity"),
    )
    .values(reserved=STOCK.c.reserved + bindparam("b_quantity"), updated_at=bindparam("b_now"))
    .returning(*_RETURNING)
)


def hold(uow: UnitOfWork, sku: str, place_id: str, quantity: int) -> Level:
    """Reserve ``quantity`` units if that many are available to promise, else raise OutOfStock."""
    row = (
        uow.session.connection()
        .execute(_HOLD, {"b_sku": sku, "b_place_id": place_id, "b_quantity": quantity, "b_now": clock.now()})
        .first()
    )
    if row is None:
        raise OutOfStock(sku, place_id, quantity, current(uow, sku, place_id).available)
    return Level(sku, place_id, row.on_hand, row.reserved, row.safety_stock)


def unhold(uow: UnitOfWork, sku: str, place_id: str, quantity: int) -> Level | None:
    """Give back ``quantity`` reserved units (never below zero)."""
    stmt = (
        update(STOCK)
        .where(_key(sku, place_id))
        .values(
            reserved=func.max(STOCK.c.reserved - quantity, 0)
            if uow.dialect == "sqlite"
            else func.greatest(STOCK.c.reserved - quantity, 0),
            updated_at=clock.now(),
        )
        .returning(*_RETURNING)
    )
    row = uow.session.execute(stmt).first()
    if row is None:
        return None
    return Level(sku, place_id, row.on_hand, row.reserved, row.safety_stock)


def set_safety(uow: UnitOfWork, sku: str, place_id: str, safety_stock: int) -> None:
    ensure_rows(uow, [(sku, place_id)])
    uow.session.execute(
        update(STOCK).where(_key(sku, place_id)).values(safety_stock=safety_stock, updated_at=clock.now())
    )


def set_location(
    uow: UnitOfWork, sku: str, place_id: str, aisle: str | None, shelf: str | None, bin_: str | None
) -> None:
    ensure_rows(uow, [(sku, place_id)])
    uow.session.execute(
        update(STOCK)
        .where(_key(sku, place_id))
        .values(aisle=aisle, shelf=shelf, bin=bin_, updated_at=clock.now())
    )


def set_levels(
    uow: UnitOfWork,
    place_id: str,
    wanted: dict[str, int],
    *,
    reference: str,
    reason: str,
    kind: str = "adjustment",
) -> list[Level]:
    """Bring many SKUs of one place to the given on-hand quantities in a few statements: the place's rows
    are locked in key order, each difference becomes one movement (idempotent by reference), rows are
    updated with one executemany. Returns the levels that changed."""
    if not wanted:
        return []
    skus = sorted(wanted)
    ensure_rows(uow, [(sku, place_id) for sku in skus])
    done = set()
    for first in range(0, len(skus), 1000):
        chunk = skus[first : first + 1000]
        done |= set(
            uow.session.scalars(
                select(MOVEMENTS.c.sku).where(
                    MOVEMENTS.c.reference == reference,
                    MOVEMENTS.c.place_id == place_id,
                    MOVEMENTS.c.kind == kind,
                    MOVEMENTS.c.sku.in_(chunk),
                )
            )
        )
    stmt = select(STOCK.c.sku, *_RETURNING).where(STOCK.c.place_id == place_id).order_by(STOCK.c.sku)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    current_rows = {r.sku: r for r in uow.session.execute(stmt) if r.sku in wanted}
    now = clock.now()
    changes = []
    for sku in skus:
        row = current_rows[sku]
        delta = wanted[sku] - row.on_hand
        if delta != 0 and sku not in done:
            changes.append(Level(sku, place_id, wanted[sku], row.reserved, row.safety_stock))
    if not changes:
        return []
    uow.session.execute(
        update(STOCK)
        .where(STOCK.c.sku == bindparam("b_sku"), STOCK.c.place_id == place_id)
        .values(on_hand=bindparam("b_on_hand"), updated_at=now),
        [{"b_sku": c.sku, "b_on_hand": c.on_hand} for c in changes],
    )
    uow.session.execute(
        insert(MOVEMENTS),
        [
            movement_row(
                uow,
                kind=kind,
                sku=c.sku,
                place_id=place_id,
                delta=c.on_hand - current_rows[c.sku].on_hand,
                on_hand_after=c.on_hand,
                reference=reference,
                reason=reason,
                at=now,
            )
            for c in changes
        ],
    )
    return changes
