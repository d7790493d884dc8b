"""Counts: a full count of one place (cycle count or RFID sweep) ingested as one operation.

The count says what was on the shelves at ``counted_at``. Movements recorded at the place after that
instant (a sale while the report was uploading) are not in the count, so the record is compared
with the count as it stood then: expected = on hand now − movements since ``counted_at``. Each SKU
that differs gets one ``count`` movement (its delta), the place's rows are locked in SKU order while
this happens, and the variance report and accuracy figures are stored with the count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update

from comptoir.catalog import service as catalog
from comptoir.core import clock
from comptoir.core.errors import Forbidden, InvalidInput, not_found
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import ledger, places, policies
from comptoir.inventory.events import CountCompleted
from comptoir.inventory.models import Count, CountLine, Movement, Stock
from comptoir.inventory.schemas import AccuracyOut, AccuracyPoint, CountIn, CountOut, VarianceLine

S: Table = cast(Table, Stock.__table__)
M: Table = cast(Table, Movement.__table__)
C: Table = cast(Table, Count.__table__)
CL: Table = cast(Table, CountLine.__table__)
GTIN_BATCH = 1000


def _gtin_map(uow: UnitOfWork, skus: Iterable[str], wanted: set[str], found: dict[str, str]) -> None:
    """Fill ``found`` (GTIN → SKU) for the ``wanted`` GTINs among these SKUs, a batch at a time."""
    batch: list[str] = []

    def flush() -> None:
        for sku, variant in catalog.get_variants(uow, batch).items():
            if variant.gtin:
                for key in policies.gtin_keys(variant.gtin):
                    if key in wanted and key not in found:
                        found[key] = sku
        batch.clear()

    for sku in skus:
        batch.append(sku)
        if len(batch) >= GTIN_BATCH:
            flush()
            if wanted <= set(found):
                return
    if batch:
        flush()


def skus_for_epcs(uow: UnitOfWork, place_id: str, epcs: Iterable[str]) -> tuple[dict[str, int], int, int]:
    """Units per SKU from raw reads (each distinct tag once), the number of distinct tags read and how many
    could not be mapped (not SGTIN-96, or a GTIN the catalogue does not know).

    GTINs are matched through the catalogue's variants of the SKUs stocked at this place first, then of
    SKUs stocked elsewhere in the network, until every GTIN read is found.
    """
    distinct = {e.strip().lower() for e in epcs if e.strip()}
    per_gtin: dict[str, int] = {}
    unknown = 0
    for epc in distinct:
        tag = policies.decode_sgtin96(epc)
        if tag is None:
            unknown += 1
        else:
            per_gtin[tag.gtin14] = per_gtin.get(tag.gtin14, 0) + 1
    found: dict[str, str] = {}
    if per_gtin:
        wanted = set(per_gtin)
        here = list(uow.session.scalars(select(S.c.sku).where(S.c.place_id == place_id).order_by(S.c.sku)))
        _gtin_map(uow, here, wanted, found)
        if not wanted <= set(found):
            elsewhere = uow.session.scalars(
                select(S.c.sku).where(S.c.place_id != place_id).distinct().order_by(S.c.sku)
            )
            seen = set(here)
            _gtin_map(uow, (s for s in elsewhere if s not in seen), wanted, found)
    units: dict[str, int] = {}
    for gtin, n in per_gtin.items():
        sku = found.get(gtin)
        if sku is None:
            unknown += n
        else:
            units[sku] = units.get(sku, 0) + n
    return units, len(distinct), unknown


def _out(row: Any, variances: list[VarianceLine], *, replayed: bool = False) -> CountOut:
    return CountOut(
        id=row.id,
        place_id=row.place_id,
        reference=row.reference,
        counted_at=row.counted_at,
        skus_counted=row.skus_counted,
        skus_expected=row.skus_expected,
        skus_accurate=row.skus_accurate,
        units_expected=row.units_expected,
        units_counted=row.units_counted,
        units_variance=row.units_variance,
        sku_accuracy=row.sku_accuracy,
        unit_accuracy=row.unit_accuracy,
        epcs_read=row.epcs_read,
        epcs_unknown=row.epcs_unknown,
        variances=variances,
        replayed=replayed,
    )


def get_count(uow: UnitOfWork, count_id: str, *, replayed: bool = False) -> CountOut:
    row = uow.session.execute(select(C).where(C.c.id == count_id)).first()
    if row is None:
        raise not_found("Count", count_id)
    lines = uow.session.execute(select(CL).where(CL.c.count_id == count_id).order_by(CL.c.sku)).all()
    return _out(
        row,
        [VarianceLine(sku=x.sku, expected=x.expected, counted=x.counted, delta=x.delta) for x in lines],
        replayed=replayed,
    )


def ingest_count(uow: UnitOfWork, command: CountIn) -> CountOut:
    """Apply a full count of a place; idempotent by (place, reference)."""
    done = uow.session.execute(
        select(C.c.id).where(C.c.place_id == command.place_id, C.c.reference == command.reference)
    ).first()
    if done is not None:
        return get_count(uow, done.id, replayed=True)
    now = clock.now()
    counted_at = command.counted_at or now
    _check_count(uow, command, counted_at, now)
    counted, epcs_read, epcs_unknown = _counted_units(uow, command)
    on_hand, expected = _expected_at(uow, command.place_id, counted, counted_at, now)
    result = policies.compare_count(expected, counted)

    count_id = new_id("cnt")
    changes = _adjust_stock(uow, command, result, on_hand, now)
    actor = uow.actor
    row = {
        "id": count_id,
        "place_id": command.place_id,
        "reference": command.reference,
        "counted_at": counted_at,
        "recorded_at": now,
        "skus_counted": result.skus_counted,
        "skus_expected": result.skus_expected,
        "skus_accurate": result.skus_accurate,
        "units_expected": result.units_expected,
        "units_counted": result.units_counted,
        "units_variance": result.units_variance,
        "sku_accuracy": result.sku_accuracy,
        "unit_accuracy": result.unit_accuracy,
        "epcs_read": epcs_read,
        "epcs_unknown": epcs_unknown,
        "reason": command.reason,
        "channel": actor.channel,
        "api_key_id": actor.key_id,
    }
    uow.session.execute(insert(C), [row])
    if result.variances:
        uow.session.execute(
            insert(CL),
            [
                {
                    "count_id": count_id,
                    "sku": v.sku,
                    "expected": v.expected,
                    "counted": v.counted,
                    "delta": v.delta,
                }
                for v in result.variances
            ],
        )
    _record_count_events(uow, count_id, command, result, changes)
    return get_count(uow, count_id)


def _check_count(uow: UnitOfWork, command: CountIn, counted_at: datetime, now: datetime) -> None:
    """Refuse a count from the future, of a place this key may not write, or of an unknown place."""
    if counted_at > now:
        raise InvalidInput("counted_at is in the future.", field="counted_at")
    if not policies.may_write_place(uow.actor.store_id, command.place_id):
        raise Forbidden(
            f"This key is bound to store {uow.actor.store_id}; it cannot count {command.place_id}."
        )
    unknown_places = places.ensure_known(uow, [command.place_id])
    if unknown_places:
        raise InvalidInput(f"Place {command.place_id} does not exist.", field="place_id")


def _counted_units(uow: UnitOfWork, command: CountIn) -> tuple[dict[str, int], int, int]:
    """Units counted per SKU (lines plus RFID reads), the distinct tags read and those not mapped."""
    counted: dict[str, int] = {}
    for line in command.lines:
        counted[line.sku] = counted.get(line.sku, 0) + line.quantity
    epcs_read = epcs_unknown = 0
    if command.epcs:
        from_tags, epcs_read, epcs_unknown = skus_for_epcs(uow, command.place_id, command.epcs)
        for sku, n in from_tags.items():
            counted[sku] = counted.get(sku, 0) + n
    return counted, epcs_read, epcs_unknown


def _expected_at(
    uow: UnitOfWork, place_id: str, counted: dict[str, int], counted_at: datetime, now: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Lock the place's stock rows and return on hand now and the expected units at ``counted_at``."""
    # Lock the place's rows in key order (SQLite: the writer already holds the database lock).
    ledger.ensure_rows(uow, [(sku, place_id) for sku in counted])
    stmt = select(S.c.sku, S.c.on_hand).where(S.c.place_id == place_id).order_by(S.c.sku)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    on_hand = {r.sku: r.on_hand for r in uow.session.execute(stmt)}
    since: dict[str, int] = {}
    if counted_at < now:
        since = {
            r.sku: int(r.total)
            for r in uow.session.execute(
                select(M.c.sku, func.sum(M.c.delta).label("total"))
                .where(M.c.place_id == place_id, M.c.occurred_at > counted_at)
                .group_by(M.c.sku)
            )
        }
    return on_hand, {sku: max(0, qty - since.get(sku, 0)) for sku, qty in on_hand.items()}


def _adjust_stock(
    uow: UnitOfWork, command: CountIn, result: policies.CountResult, on_hand: dict[str, int], now: datetime
) -> list[tuple[str, int, int]]:
    """Set each differing SKU's on hand to the count with one ``count`` movement; the (sku, delta,
    on hand after) changes made."""
    changes: list[tuple[str, int, int]] = []
    for v in result.variances:
        new_on_hand = max(0, on_hand.get(v.sku, 0) + v.delta)
        delta = new_on_hand - on_hand.get(v.sku, 0)
        if delta != 0:
            changes.append((v.sku, delta, new_on_hand))
    if changes:
        uow.session.execute(
            update(S)
            .where(S.c.sku == bindparam("b_sku"), S.c.place_id == command.place_id)
            .values(on_hand=bindparam("b_on_hand"), updated_at=now),
            [{"b_sku": sku, "b_on_hand": after} for sku, _, after in changes],
        )
        uow.session.execute(
            insert(M),
            [
                ledger.movement_row(
                    uow,
                    kind="count",
                    sku=sku,
                    place_id=command.place_id,
                    delta=delta,
                    on_hand_after=after,
                    reference=command.reference,
                    reason=command.reason or "full count",
                    at=now,
                )
                for sku, delta, after in changes
            ],
        )
    return changes


def _record_count_events(
    uow: UnitOfWork,
    count_id: str,
    command: CountIn,
    result: policies.CountResult,
    changes: list[tuple[str, int, int]],
) -> None:
    """Record the adjusted levels' changes and the count's completion."""
    if changes:
        levels = uow.session.execute(
            select(S.c.sku, S.c.on_hand, S.c.reserved, S.c.safety_stock).where(
                S.c.place_id == command.place_id, S.c.sku.in_([sku for sku, _, _ in changes])
            )
        ).all()
        uow.record(
            *(
                ledger.Level(r.sku, command.place_id, r.on_hand, r.reserved, r.safety_stock).changed("count")
                for r in levels
            )
        )
    uow.record(
        CountCompleted(
            count_id=count_id,
            place_id=command.place_id,
            reference=command.reference,
            skus_counted=result.skus_counted,
            skus_adjusted=len(changes),
            units_variance=result.units_variance,
            sku_accuracy=result.sku_accuracy,
            unit_accuracy=result.unit_accuracy,
        )
    )


def accuracy(uow: UnitOfWork, place_id: str, *, limit: int = 50) -> AccuracyOut:
    """Stock accuracy of a place over its last counts, oldest first."""
    rows = uow.session.execute(
        select(C).where(C.c.place_id == place_id).order_by(C.c.counted_at.desc()).limit(limit)
    ).all()
    points = [
        AccuracyPoint(
            count_id=r.id,
            reference=r.reference,
            counted_at=r.counted_at,
            sku_accuracy=r.sku_accuracy,
            unit_accuracy=r.unit_accuracy,
            units_variance=r.units_variance,
        )
        for r in reversed(rows)
    ]
    average = round(sum(p.sku_accuracy for p in points) / len(points), 4) if points else None
    return AccuracyOut(place_id=place_id, points=points, average_sku_accuracy=average)


def latest_count(uow: UnitOfWork, place_id: str) -> CountOut | None:
    row = uow.session.execute(
        select(C.c.id).where(C.c.place_id == place_id).order_by(C.c.counted_at.desc(), C.c.id.desc()).limit(1)
    ).first()
    return None if row is None else get_count(uow, row.id)
