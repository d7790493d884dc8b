"""inventory: the domain's operations (its public interface with schemas.py and events.py).

Other domains call (see ``docs/domain-contracts.md``):

* ``stock_levels(uow, skus, place_ids=None) -> dict[sku, list[StockLevelOut]]``;
* ``reserve(uow, ReserveIn, savepoint=True) -> ReservationOut`` — all lines or none, idempotent by
  reference, raises :class:`OutOfStock` (409 ``out-of-stock``) naming the SKU and place
  (``savepoint=False`` when the caller rolls back everything on a refusal);
* ``hold_lifetime(kind)`` — how long a hold of that kind lasts when its taker gives no expiry;
* ``release(uow, reference)`` (idempotent), ``confirm(uow, reference, expires_at=)``,
  ``fulfil(uow, reference, lines=None, movement_reference=)``;
* ``record_movement(uow, MovementIn)`` (idempotent by reference, sku, place, kind),
  ``transfer(uow, TransferIn)``;
* ``nearest_with_stock(...)``, ``network_availability(uow, skus)`` — availability reads;
* ``ingest_count(uow, CountIn) -> CountOut`` — a full count of a place (quantities or RFID EPCs).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select

from comptoir.core.errors import Forbidden, InvalidInput
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import ledger, places, policies
from comptoir.inventory.availability import (
    nearest_json,
    nearest_json_sync,
    nearest_with_stock,
    network_availability,
)
from comptoir.inventory.counts import accuracy, get_count, ingest_count, latest_count
from comptoir.inventory.ledger import OutOfStock
from comptoir.inventory.models import Movement, Stock
from comptoir.inventory.reservations import (
    ReservationMismatch,
    ReservationNotHeld,
    confirm,
    expire_due,
    fulfil,
    get_reservation,
    release,
    reserve,
)
from comptoir.inventory.schemas import (
    Location,
    MovementIn,
    MovementOut,
    SettingsIn,
    StockLevelOut,
    TransferIn,
)

__all__ = [
    "OutOfStock",
    "ReservationMismatch",
    "ReservationNotHeld",
    "accuracy",
    "confirm",
    "expire_due",
    "fulfil",
    "get_count",
    "get_reservation",
    "ingest_count",
    "latest_count",
    "movements",
    "nearest_json",
    "nearest_json_sync",
    "nearest_with_stock",
    "network_availability",
    "place_stock",
    "record_movement",
    "release",
    "reserve",
    "set_stock_settings",
    "stock_level",
    "stock_levels",
    "sync_places",
    "transfer",
]

S: Table = cast(Table, Stock.__table__)
M: Table = cast(Table, Movement.__table__)


def hold_lifetime(kind: str) -> timedelta | None:
    """How long a hold of this kind (``checkout``, ``cart``…) lasts when its taker gives no expiry;
    ``None`` for a hold kept until it is fulfilled or released."""
    return policies.DEFAULT_HOLD.get(kind)


def level_out(row: Any) -> StockLevelOut:
    location = None
    if row.aisle or row.shelf or row.bin:
        location = Location(aisle=row.aisle or "", shelf=row.shelf or "", bin=row.bin or "")
    return StockLevelOut(
        sku=row.sku,
        place_id=row.place_id,
        on_hand=row.on_hand,
        reserved=row.reserved,
        safety_stock=row.safety_stock,
        available=policies.available_to_promise(row.on_hand, row.reserved, row.safety_stock),
        location=location,
    )


# Built once: every checkout reads its SKUs' levels.
_LEVELS = select(S).where(S.c.sku.in_(bindparam("skus", expanding=True))).order_by(S.c.sku, S.c.place_id)
_LEVELS_AT = _LEVELS.where(S.c.place_id.in_(bindparam("place_ids", expanding=True)))


def stock_levels(
    uow: UnitOfWork, skus: Sequence[str], place_ids: Sequence[str] | None = None
) -> dict[str, list[StockLevelOut]]:
    """Levels of these SKUs (at these places, else everywhere they have a row), by SKU, places in id
    order; a SKU with no row anywhere maps to an empty list. One query."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    if place_ids is None:
        rows = uow.session.connection().execute(_LEVELS, {"skus": wanted})
    else:
        rows = uow.session.connection().execute(
            _LEVELS_AT, {"skus": wanted, "place_ids": sorted(set(place_ids))}
        )
    out: dict[str, list[StockLevelOut]] = {sku: [] for sku in wanted}
    for row in rows:
        out[row.sku].append(level_out(row))
    return out


def stock_level(uow: UnitOfWork, sku: str, place_id: str) -> StockLevelOut:
    """The level of one SKU at one place (zeros when it has never had a row)."""
    found = stock_levels(uow, [sku], [place_id])[sku]
    if found:
        return found[0]
    return StockLevelOut(sku=sku, place_id=place_id, on_hand=0, reserved=0, safety_stock=0, available=0)


def place_stock(
    uow: UnitOfWork, place_id: str, *, sku_prefix: str = "", after: str = "", limit: int = 100
) -> list[StockLevelOut]:
    """A place's stock rows in SKU order (a page after ``after``), optionally those starting with a
    prefix — the staff page's list."""
    stmt = select(S).where(S.c.place_id == place_id, S.c.sku > after).order_by(S.c.sku).limit(limit)
    if sku_prefix:
        stmt = stmt.where(S.c.sku.startswith(sku_prefix, autoescape=True))
    return [level_out(row) for row in uow.session.execute(stmt)]


def _check_places(uow: UnitOfWork, place_ids: list[str], field: str) -> None:
    for place_id in place_ids:
        if not policies.may_write_place(uow.actor.store_id, place_id):
            raise Forbidden(
                f"This key is bound to store {uow.actor.store_id}; it cannot change stock at {place_id}."
            )
    unknown = places.ensure_known(uow, place_ids)
    if unknown:
        raise InvalidInput(f"Place {unknown[0]} does not exist.", field=field)


_SIGN = {"receipt": 1, "return": 1, "transfer_in": 1, "sale": -1, "transfer_out": -1, "adjustment": 1}


def record_movement(uow: UnitOfWork, command: MovementIn) -> None:
    """Write one movement of on-hand stock (receipt, sale, return, transfer in/out, adjustment).

    Idempotent by (reference, sku, place, kind): a replay changes nothing. A decrease below zero on
    hand raises :class:`OutOfStock`."""
    _check_places(uow, [command.place_id], "place_id")
    level = ledger.move(
        uow,
        kind=command.kind,
        sku=command.sku,
        place_id=command.place_id,
        delta=_SIGN[command.kind] * command.quantity,
        reference=command.reference,
        reason=command.reason,
    )
    if level is not None:
        uow.record(level.changed(command.kind))


def transfer(uow: UnitOfWork, command: TransferIn) -> None:
    """Move units between two places: a ``transfer_out`` and a ``transfer_in`` with the same reference,
    both or neither; rows changed in key order."""
    _check_places(uow, [command.from_place_id], "from_place_id")
    unknown = places.ensure_known(uow, [command.to_place_id])
    if unknown:
        raise InvalidInput(f"Place {unknown[0]} does not exist.", field="to_place_id")
    legs = sorted(
        [
            (command.from_place_id, "transfer_out", -command.quantity),
            (command.to_place_id, "transfer_in", command.quantity),
        ]
    )
    with uow.savepoint():
        levels = [
            ledger.move(
                uow,
                kind=kind,
                sku=command.sku,
                place_id=place_id,
                delta=delta,
                reference=command.reference,
                reason=f"transfer {command.from_place_id} → {command.to_place_id}",
            )
            for place_id, kind, delta in legs
        ]
    uow.record(
        *(
            level.changed(level_kind)
            for level, (_, level_kind, _) in zip(levels, legs, strict=True)
            if level is not None
        )
    )


def set_stock_settings(uow: UnitOfWork, sku: str, place_id: str, command: SettingsIn) -> StockLevelOut:
    """Safety stock and shelf location of a SKU at a place (creates the row at zero stock if needed)."""
    _check_places(uow, [place_id], "place_id")
    if command.safety_stock is None and command.location is None and not command.clear_location:
        raise InvalidInput(
            "Give safety_stock, location or clear_location: there is nothing to set.", field="safety_stock"
        )
    if command.safety_stock is not None:
        ledger.set_safety(uow, sku, place_id, command.safety_stock)
    if command.clear_location:
        ledger.set_location(uow, sku, place_id, None, None, None)
    elif command.location is not None:
        loc = command.location
        ledger.set_location(uow, sku, place_id, loc.aisle or None, loc.shelf or None, loc.bin or None)
    level = ledger.current(uow, sku, place_id)
    if command.safety_stock is not None:
        uow.record(level.changed("settings"))
    return stock_level(uow, sku, place_id)


def _movement_out(row: Any) -> MovementOut:
    return MovementOut(
        id=row.id,
        kind=row.kind,
        sku=row.sku,
        place_id=row.place_id,
        delta=row.delta,
        on_hand_after=row.on_hand_after,
        reference=row.reference,
        reason=row.reason,
        channel=row.channel,
        api_key_id=row.api_key_id,
        occurred_at=row.occurred_at,
    )


def movements(
    uow: UnitOfWork,
    *,
    sku: str | None = None,
    place_id: str | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[MovementOut]:
    """The ledger, newest first (ids are time-ordered)."""
    stmt = select(Movement)
    if sku is not None:
        stmt = stmt.where(Movement.sku == sku)
    if place_id is not None:
        stmt = stmt.where(Movement.place_id == place_id)
    if kind is not None:
        stmt = stmt.where(Movement.kind == kind)
    return paginate(
        uow.session, stmt, Movement.id, cursor=cursor, limit=limit, convert=_movement_out, descending=True
    )


def sync_places(uow: UnitOfWork) -> int:
    """Refresh inventory's read model of places from the stores service."""
    return places.sync_all(uow)


# Read for the back office (appended).
from comptoir.inventory.promises import pickup_promises_at  # noqa: E402

__all__ += ["pickup_promises_at"]
