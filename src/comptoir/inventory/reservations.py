"""Reservations: holds on stock for carts, checkouts, orders and reserve & collect.

A reservation is idempotent by its reference: the first ``reserve`` holds every line or none (inside
a savepoint, so a refused line leaves nothing behind even when the caller carries on; a caller that
rolls everything back on a refusal may do without it); a replay with the same lines returns the hold
as it is. ``release`` and expiry move the header out of ``held`` with
one guarded UPDATE first, so of two concurrent releasers only one gives the units back.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, not_found
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import ledger, policies
from comptoir.inventory.events import ReservationExpired
from comptoir.inventory.models import Reservation, ReservationLine
from comptoir.inventory.schemas import ReservationLineOut, ReservationOut, ReserveIn, ReserveLine

HEADERS: Table = cast(Table, Reservation.__table__)
LINES: Table = cast(Table, ReservationLine.__table__)


# Built once: every reservation runs them.
_INSERT_HEADER: dict[str, Any] = {
    "postgresql": pg_insert(HEADERS).on_conflict_do_nothing().returning(HEADERS.c.reference),
    "sqlite": sqlite_insert(HEADERS).on_conflict_do_nothing().returning(HEADERS.c.reference),
}
_INSERT_LINES = insert(LINES)


class ReservationMismatch(Conflict):
    slug = "reservation-mismatch"
    title = "This reference already holds other lines"


class ReservationNotHeld(Conflict):
    slug = "reservation-not-held"
    title = "The reservation is no longer held"


def _out(header: Any, lines: Sequence[Any]) -> ReservationOut:
    return ReservationOut(
        reference=header.reference,
        kind=header.kind,
        status=header.status,
        lines=[
            ReservationLineOut(sku=x.sku, place_id=x.place_id, quantity=x.quantity, fulfilled=x.fulfilled)
            for x in sorted(lines, key=lambda x: (x.sku, x.place_id))
        ],
        expires_at=header.expires_at,
        created_at=header.created_at,
        updated_at=header.updated_at,
        channel=header.channel,
    )


def _lines(uow: UnitOfWork, reference: str) -> list[Any]:
    return list(
        uow.session.execute(
            select(LINES).where(LINES.c.reference == reference).order_by(LINES.c.sku, LINES.c.place_id)
        )
    )


def _header(uow: UnitOfWork, reference: str, *, lock: bool = False) -> Any | None:
    stmt = select(HEADERS).where(HEADERS.c.reference == reference)
    if lock and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    return uow.session.execute(stmt).first()


def get_reservation(uow: UnitOfWork, reference: str) -> ReservationOut:
    header = _header(uow, reference)
    if header is None:
        raise not_found("Reservation", reference)
    return _out(header, _lines(uow, reference))


def reserve(uow: UnitOfWork, command: ReserveIn, *, savepoint: bool = True) -> ReservationOut:
    """Hold every line or none. ``savepoint=False``: the caller rolls its whole unit of work back when
    this raises (a checkout), so the hold needs no savepoint of its own (two statements fewer)."""
    now = clock.now()
    expires_at = policies.hold_expiry(command.kind, now, command.expires_at)
    if expires_at is not None and expires_at <= now:
        raise InvalidInput("The hold would already have expired.", field="expires_at")
    wanted = policies.merge_lines((x.sku, x.place_id, x.quantity) for x in command.lines)
    actor = uow.actor
    header = {
        "reference": command.reference,
        "kind": command.kind,
        "status": "held",
        "expires_at": expires_at,
        "channel": actor.channel,
        "api_key_id": actor.key_id,
        "created_at": now,
        "updated_at": now,
    }
    with uow.savepoint() if savepoint else nullcontext():
        # A concurrent reserve with the same reference waits here on PostgreSQL until the first commits.
        created = uow.session.connection().execute(_INSERT_HEADER[uow.dialect], header).first()
        existing: Any = None
        if created is None:
            existing = _header(uow, command.reference, lock=True)
            assert existing is not None
            held = _lines(uow, command.reference)
            if existing.status in ("held", "fulfilled"):
                if [(x.sku, x.place_id, x.quantity) for x in held] != wanted:
                    raise ReservationMismatch(
                        f"Reservation {command.reference} already holds other lines: release it first or use "
                        "another reference.",
                        reference=command.reference,
                    )
                return _out(existing, held)
            # Released or expired: the same reference may hold again.
            uow.session.execute(LINES.delete().where(LINES.c.reference == command.reference))
            uow.session.execute(
                update(HEADERS)
                .where(HEADERS.c.reference == command.reference)
                .values(
                    kind=command.kind,
                    status="held",
                    expires_at=expires_at,
                    channel=actor.channel,
                    api_key_id=actor.key_id,
                    updated_at=now,
                )
            )
        levels = [ledger.hold(uow, sku, place_id, qty) for sku, place_id, qty in wanted]
        uow.session.connection().execute(
            _INSERT_LINES,
            [
                {"reference": command.reference, "sku": s, "place_id": p, "quantity": q, "fulfilled": 0}
                for s, p, q in wanted
            ],
        )
        uow.record(*(level.changed("reservation") for level in levels))
    created_at = now if created is not None else existing.created_at
    return ReservationOut(
        reference=command.reference,
        kind=command.kind,
        status="held",
        lines=[ReservationLineOut(sku=s, place_id=p, quantity=q) for s, p, q in wanted],
        expires_at=expires_at,
        created_at=created_at,
        updated_at=now,
        channel=actor.channel,
    )


def _give_back(uow: UnitOfWork, reference: str, cause: str) -> list[Any]:
    lines = _lines(uow, reference)
    levels = [
        ledger.unhold(uow, x.sku, x.place_id, x.quantity - x.fulfilled)
        for x in lines
        if x.quantity > x.fulfilled
    ]
    uow.record(*(level.changed(cause) for level in levels if level is not None))
    return lines


def release(uow: UnitOfWork, reference: str, *, must_exist: bool = False) -> None:
    """Give the open units back. A no-op when already released, expired or fulfilled, and when unknown
    unless ``must_exist`` (the API's caller names a reservation: an unknown one is a 404)."""
    moved = uow.session.execute(
        update(HEADERS)
        .where(HEADERS.c.reference == reference, HEADERS.c.status == "held")
        .values(status="released", updated_at=clock.now())
        .returning(HEADERS.c.reference)
    ).first()
    if moved is not None:
        _give_back(uow, reference, "release")
    elif must_exist and _header(uow, reference) is None:
        raise not_found("Reservation", reference)


def confirm(uow: UnitOfWork, reference: str, *, expires_at: datetime | None = None) -> ReservationOut:
    """Keep a held reservation (an order was placed): its expiry becomes ``expires_at`` (None: never)."""
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInput("Give expires_at with its offset.", field="expires_at")
    moved = uow.session.execute(
        update(HEADERS)
        .where(HEADERS.c.reference == reference, HEADERS.c.status.in_(("held", "fulfilled")))
        .values(expires_at=expires_at, updated_at=clock.now())
        .returning(HEADERS.c.reference)
    ).first()
    if moved is None:
        header = _header(uow, reference)
        if header is None:
            raise not_found("Reservation", reference)
        raise ReservationNotHeld(
            f"Reservation {reference} is {header.status}: hold the stock again.",
            reference=reference,
            state=header.status,
        )
    return get_reservation(uow, reference)


def fulfil(
    uow: UnitOfWork, reference: str, lines: list[ReserveLine] | None = None, *, movement_reference: str
) -> None:
    """The held units leave (shipped, collected, sold): on hand and reserved both drop and a ``sale``
    movement is written per line, idempotent by ``movement_reference``. Without ``lines``, every open
    unit leaves."""
    header = _header(uow, reference, lock=True)
    if header is None:
        raise not_found("Reservation", reference)
    held = {(x.sku, x.place_id): x for x in _lines(uow, reference)}
    if lines is None:
        wanted = [
            (s, p, x.quantity - x.fulfilled) for (s, p), x in sorted(held.items()) if x.quantity > x.fulfilled
        ]
    else:
        wanted = policies.merge_lines((x.sku, x.place_id, x.quantity) for x in lines)
    pending = [
        (s, p, q) for s, p, q in wanted if not ledger.movement_exists(uow, movement_reference, s, p, "sale")
    ]
    if not pending:
        return
    if header.status != "held":
        raise ReservationNotHeld(
            f"Reservation {reference} is {header.status}; its units can no longer be fulfilled from it.",
            reference=reference,
            state=header.status,
        )
    changed = []
    for index, (sku, place_id, qty) in enumerate(pending):
        line = held.get((sku, place_id))
        if line is None or line.quantity - line.fulfilled < qty:
            open_qty = 0 if line is None else line.quantity - line.fulfilled
            raise InvalidInput(
                f"Reservation {reference} holds {open_qty} open unit(s) of {sku} at {place_id}, not {qty}.",
                field=f"lines/{index}/quantity",
            )
        uow.session.execute(
            update(LINES)
            .where(and_(LINES.c.reference == reference, LINES.c.sku == sku, LINES.c.place_id == place_id))
            .values(fulfilled=LINES.c.fulfilled + qty)
        )
        level = ledger.move(
            uow,
            kind="sale",
            sku=sku,
            place_id=place_id,
            delta=-qty,
            reference=movement_reference,
            reason=f"reservation {reference}",
            release_reserved=qty,
        )
        if level is not None:
            changed.append(level)
    remaining = uow.session.execute(
        select(LINES.c.sku)
        .where(LINES.c.reference == reference, LINES.c.fulfilled < LINES.c.quantity)
        .limit(1)
    ).first()
    if remaining is None:
        uow.session.execute(
            update(HEADERS)
            .where(HEADERS.c.reference == reference)
            .values(status="fulfilled", updated_at=clock.now())
        )
    uow.record(*(level.changed("sale") for level in changed))


def expire_due(uow: UnitOfWork, *, now: datetime | None = None, limit: int = 200) -> int:
    """Release holds whose expiry has passed (the worker's job); returns how many expired."""
    when = now or clock.now()
    stmt = (
        select(HEADERS.c.reference)
        .where(HEADERS.c.status == "held", HEADERS.c.expires_at.is_not(None), HEADERS.c.expires_at <= when)
        .order_by(HEADERS.c.expires_at)
        .limit(limit)
    )
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    expired = 0
    for reference in list(uow.session.scalars(stmt)):
        moved = uow.session.execute(
            update(HEADERS)
            .where(HEADERS.c.reference == reference, HEADERS.c.status == "held")
            .values(status="expired", updated_at=when)
            .returning(HEADERS.c.kind)
        ).first()
        if moved is None:
            continue
        lines = _give_back(uow, reference, "expiry")
        uow.record(
            ReservationExpired(
                reference=reference,
                kind=moved.kind,
                lines=[
                    {"sku": x.sku, "place_id": x.place_id, "quantity": x.quantity - x.fulfilled}
                    for x in lines
                    if x.quantity > x.fulfilled
                ],
            )
        )
        expired += 1
    return expired
