"""Publication to channels: one rendered payload per place and channel, sent through the outbox.

Each change of a place renders it for every channel of its kind, keeps the latest payload per (place,
channel) with a sync status (``pending`` until the channel's connector confirms ``applied`` or
``failed``), and records one ``stores.published_to_<channel>`` event per channel. Connectors are webhook
subscribers by default; the store locator is applied in-process (``handlers.apply_to_locator``).
A snapshot of what a channel shows that equals the latest payload also counts as applied.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, delete, func, select, update

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import InvalidInput, not_found
from comptoir.core.pagination import Page, decode_cursor, encode_cursor, paginate
from comptoir.core.uow import UnitOfWork
from comptoir.stores import channels
from comptoir.stores.events import PUBLISHED_EVENTS, PublicationFailed
from comptoir.stores.models import ChannelSnapshot, LocatorEntry, Place, Publication
from comptoir.stores.schemas import (
    CHANNELS,
    Channel,
    ConfirmationResult,
    ConfirmationsIn,
    PlaceOut,
    PublicationOut,
    SnapshotsIn,
    SnapshotsOut,
)


def local_today(place: PlaceOut, now: datetime) -> Any:
    return now.astimezone(ZoneInfo(place.timezone)).date()


def publish(uow: UnitOfWork, places: Sequence[PlaceOut]) -> int:
    """Render and queue every channel of each place; returns how many publications were requested."""
    if not places:
        return 0
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for place in places:
        today = local_today(place, now)
        for channel in channels.CHANNELS_BY_KIND[place.kind]:
            payload = channels.render(channel, place, today)
            digest = channels.payload_hash(payload)
            rows.append(
                {
                    "place_id": place.id,
                    "channel": channel,
                    "store_code": place.code,
                    "status": "pending",
                    "place_version": place.version,
                    "payload_hash": digest,
                    "payload": payload,
                    "requested_at": now,
                    "applied_at": None,
                    "error": None,
                }
            )
            uow.record(
                PUBLISHED_EVENTS[channel](
                    place_id=place.id,
                    store_code=place.code,
                    channel=channel,
                    place_version=place.version,
                    payload_hash=digest,
                    payload=payload,
                )
            )
    session = uow.session
    existing = set(
        session.execute(
            select(Publication.place_id, Publication.channel).where(
                Publication.place_id.in_([p.id for p in places])
            )
        ).all()
    )
    new_rows = [r for r in rows if (r["place_id"], r["channel"]) not in existing]
    old_rows = [
        {**r, "b_place_id": r["place_id"], "b_channel": r["channel"]}
        for r in rows
        if (r["place_id"], r["channel"]) in existing
    ]
    insert_ignore(session, Publication, new_rows)
    if old_rows:
        table = Publication.__table__
        assert isinstance(table, Table)
        stmt = (
            update(table)
            .where(table.c.place_id == bindparam("b_place_id"), table.c.channel == bindparam("b_channel"))
            .values(
                store_code=bindparam("store_code"),
                status=bindparam("status"),
                place_version=bindparam("place_version"),
                payload_hash=bindparam("payload_hash"),
                payload=bindparam("payload"),
                requested_at=bindparam("requested_at"),
                applied_at=bindparam("applied_at"),
                error=bindparam("error"),
            )
        )
        session.connection().execute(
            stmt,
            [{k: v for k, v in r.items() if k not in ("place_id", "channel")} for r in old_rows],
        )
    return len(rows)


def _out(row: Publication) -> PublicationOut:
    return PublicationOut(
        place_id=row.place_id,
        store_code=row.store_code,
        channel=row.channel,
        status=row.status,
        payload_hash=row.payload_hash,
        payload=row.payload,
        requested_at=row.requested_at,
        applied_at=row.applied_at,
        error=row.error,
    )


def publications_of(uow: UnitOfWork, place_id: str) -> list[PublicationOut]:
    rows = uow.session.scalars(
        select(Publication).where(Publication.place_id == place_id).order_by(Publication.channel)
    )
    return [_out(r) for r in rows]


def list_publications(
    uow: UnitOfWork, channel: Channel, *, status: str | None, cursor: str | None, limit: int
) -> Page[PublicationOut]:
    stmt = select(Publication).where(Publication.channel == channel)
    if status:
        stmt = stmt.where(Publication.status == status)
    return paginate(uow.session, stmt, Publication.place_id, cursor=cursor, limit=limit, convert=_out)


def sync_summary(uow: UnitOfWork) -> dict[str, dict[str, int]]:
    """``{"gbp": {"pending": 3, "applied": 197}, …}``"""
    out: dict[str, dict[str, int]] = {c: {"pending": 0, "applied": 0, "failed": 0} for c in CHANNELS}
    for channel, status, count in uow.session.execute(
        select(Publication.channel, Publication.status, func.count()).group_by(
            Publication.channel, Publication.status
        )
    ):
        out.setdefault(channel, {})[status] = count
    return out


def confirm(uow: UnitOfWork, channel: Channel, command: ConfirmationsIn) -> list[ConfirmationResult]:
    """A connector reports applied/failed for publications it received (matched by payload hash)."""
    codes = sorted({item.store_code for item in command.items})
    current = {
        row.store_code: row
        for row in uow.session.scalars(
            select(Publication).where(Publication.channel == channel, Publication.store_code.in_(codes))
        )
    }
    now = clock.now()
    results: list[ConfirmationResult] = []
    for item in command.items:
        row = current.get(item.store_code)
        if row is None:
            results.append(ConfirmationResult(store_code=item.store_code, outcome="unknown_store"))
            continue
        if row.payload_hash != item.payload_hash:
            results.append(ConfirmationResult(store_code=item.store_code, outcome="stale"))
            continue
        row.status = item.status
        row.error = item.error if item.status == "failed" else None
        row.applied_at = now if item.status == "applied" else None
        if item.status == "failed":
            uow.record(
                PublicationFailed(
                    place_id=row.place_id,
                    store_code=row.store_code,
                    channel=channel,
                    payload_hash=row.payload_hash,
                    error=item.error or "",
                )
            )
        results.append(ConfirmationResult(store_code=item.store_code, outcome=item.status))
    return results


def store_snapshots(uow: UnitOfWork, channel: Channel, command: SnapshotsIn) -> SnapshotsOut:
    """Keep what a channel shows; a snapshot equal to the latest publication confirms it."""
    if channel == "locator":
        raise InvalidInput(
            "The store locator is Comptoir's own channel: its snapshot is what it serves.", field="channel"
        )
    now = clock.now()
    session = uow.session
    by_code = {item.store_code: item.payload for item in command.items}
    if command.replace_all:
        session.execute(delete(ChannelSnapshot).where(ChannelSnapshot.channel == channel))
    elif by_code:
        session.execute(
            delete(ChannelSnapshot).where(
                ChannelSnapshot.channel == channel, ChannelSnapshot.store_code.in_(sorted(by_code))
            )
        )
    rows = [
        {
            "channel": channel,
            "store_code": code,
            "payload": payload,
            "payload_hash": channels.payload_hash(payload),
            "received_at": now,
        }
        for code, payload in by_code.items()
    ]
    insert_ignore(session, ChannelSnapshot, rows)
    confirmed = 0
    if rows:
        hashes = {r["store_code"]: r["payload_hash"] for r in rows}
        pending = session.scalars(
            select(Publication).where(
                Publication.channel == channel,
                Publication.status != "applied",
                Publication.store_code.in_(sorted(hashes)),
            )
        )
        for pub in pending:
            if hashes.get(pub.store_code) == pub.payload_hash:
                pub.status, pub.applied_at, pub.error = "applied", now, None
                confirmed += 1
    return SnapshotsOut(channel=channel, stored=len(rows), confirmed=confirmed)


def parse_csv_file(text: str) -> list[dict[str, Any]]:
    # newline="": \r\n, \n and an old Mac's \r all end a row, and a quoted field may hold them.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or []
        missing = [c for c in ("store_code", "name", "status", "weekly_hours") if c not in fieldnames]
        if missing:
            raise InvalidInput(f"The CSV file lacks the column(s) {', '.join(missing)}.", field="file")
        rows = []
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise InvalidInput(
                    f"Line {reader.line_num} of the CSV file does not have the header's {len(fieldnames)} columns.",
                    field="file",
                )
            rows.append(dict(row))
    except csv.Error as exc:
        raise InvalidInput(
            f"The CSV file cannot be read near line {reader.line_num}: {exc}.", field="file"
        ) from None
    return rows


def csv_file(uow: UnitOfWork) -> str:
    """The CSV bulk file: the latest published row of every place, by store code."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(channels.CSV_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for payload in uow.session.scalars(
        select(Publication.payload).where(Publication.channel == "csv").order_by(Publication.store_code)
    ):
        writer.writerow({c: payload.get(c, "") for c in channels.CSV_COLUMNS})
    return buffer.getvalue()


def snapshots(uow: UnitOfWork, channel: Channel) -> dict[str, dict[str, Any]]:
    """What a channel shows now, by store code (the locator: the entries it serves)."""
    if channel == "locator":
        stmt: Any = select(LocatorEntry.store_code, LocatorEntry.payload)
    else:
        stmt = select(ChannelSnapshot.store_code, ChannelSnapshot.payload).where(
            ChannelSnapshot.channel == channel
        )
    return {code: payload for code, payload in uow.session.execute(stmt)}


def apply_to_locator(
    uow: UnitOfWork,
    *,
    place_id: str,
    store_code: str,
    place_version: int,
    payload_hash: str,
    payload: dict[str, Any],
) -> bool:
    """The locator connector: serve this payload unless a newer version is already served."""
    session = uow.session
    entry = session.get(LocatorEntry, store_code)
    if entry is not None and entry.place_version > place_version:
        return False
    kind = session.scalar(select(Place.kind).where(Place.id == place_id)) or payload.get("kind", "store")
    if entry is None:
        session.execute(delete(LocatorEntry).where(LocatorEntry.place_id == place_id))  # store code changed
        session.add(
            LocatorEntry(
                store_code=store_code,
                place_id=place_id,
                kind=kind,
                place_version=place_version,
                payload_hash=payload_hash,
                payload=payload,
                published_at=clock.now(),
            )
        )
    else:
        entry.place_version, entry.payload_hash, entry.payload = place_version, payload_hash, payload
        entry.published_at = clock.now()
    session.execute(
        update(Publication)
        .where(
            Publication.place_id == place_id,
            Publication.channel == "locator",
            Publication.payload_hash == payload_hash,
        )
        .values(status="applied", applied_at=clock.now(), error=None)
    )
    return True


def locator_page(
    uow: UnitOfWork, *, kind: str | None, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    stmt = select(LocatorEntry.store_code, LocatorEntry.payload).order_by(LocatorEntry.store_code)
    if kind:
        stmt = stmt.where(LocatorEntry.kind == kind)
    if cursor:
        stmt = stmt.where(LocatorEntry.store_code > decode_cursor(cursor))
    rows = uow.session.execute(stmt.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1][0]) if more and rows else None
    return Page[dict[str, Any]](items=[payload for _, payload in rows], next_cursor=next_cursor)


def locator_entry(uow: UnitOfWork, store_code: str) -> dict[str, Any]:
    entry = uow.session.get(LocatorEntry, store_code)
    if entry is None:
        raise not_found("Store", store_code)
    return entry.payload
