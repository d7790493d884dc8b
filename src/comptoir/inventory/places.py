"""Inventory's read model of places, kept from ``stores.place_created`` / ``stores.place_changed``.

The availability read needs, for each place, its position, kind, services and opening hours. Reading
them through the stores service per request would build full ``PlaceOut`` objects; this table holds the
snapshot fields instead, and the parsed opening hours are cached per place version in the process.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core.uow import UnitOfWork
from comptoir.inventory.models import PlaceView
from comptoir.stores import service as stores

PLACES: Table = cast(Table, PlaceView.__table__)
FIELDS = (
    "code",
    "kind",
    "name",
    "status",
    "latitude",
    "longitude",
    "postcode",
    "timezone",
    "weekly_hours",
    "reserved_hours",
    "special_days",
    "version",
)


def row_of(snapshot: Any) -> dict[str, Any]:
    """A ``PlaceSnapshot`` (or a ``stores.place_*`` event, which has the same fields) as a row."""
    row = {name: getattr(snapshot, name) for name in FIELDS}
    row["place_id"] = snapshot.place_id
    row["services"] = ",".join(snapshot.services)
    return row


def upsert(uow: UnitOfWork, rows: list[dict[str, Any]]) -> None:
    """Insert or replace places; an older snapshot never overwrites a newer one."""
    if not rows:
        return
    insert_: Any = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    stmt = insert_(PLACES)
    stmt = stmt.on_conflict_do_update(
        index_elements=[PLACES.c.place_id],
        set_={name: stmt.excluded[name] for name in (*FIELDS, "services")},
        where=PLACES.c.version <= stmt.excluded.version,
    )
    uow.session.execute(stmt, rows)


def sync_all(uow: UnitOfWork) -> int:
    """Rebuild the read model from the stores service (demo load, ``comptoir inventory sync-places``)."""
    rows = [row_of(stores.snapshot(place)) for place in stores.all_places(uow)]
    upsert(uow, rows)
    known = {r["place_id"] for r in rows}
    gone = [pid for pid in uow.session.scalars(select(PLACES.c.place_id)) if pid not in known]
    if gone:
        uow.session.execute(PLACES.delete().where(PLACES.c.place_id.in_(gone)))
    return len(rows)


def ensure_known(uow: UnitOfWork, place_ids: list[str]) -> list[str]:
    """The ids among ``place_ids`` that are not places (read model first, then the stores service, which
    also refreshes the read model when an event has not been delivered yet)."""
    wanted = sorted(set(place_ids))
    if not wanted:
        return []
    known = set(uow.session.scalars(select(PLACES.c.place_id).where(PLACES.c.place_id.in_(wanted))))
    missing = [p for p in wanted if p not in known]
    if not missing:
        return []
    found = stores.get_places(uow, missing)
    upsert(uow, [row_of(stores.snapshot(place)) for place in found.values()])
    return [p for p in missing if p not in found]
