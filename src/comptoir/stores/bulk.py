"""Bulk operations: close, reopen or change the hours of many places in one command, and imports.

Rows are locked in primary-key order (PostgreSQL) before they change, so two bulk commands touching the
same places serialise instead of deadlocking; each place still gets its own events and publications.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import or_, select

from comptoir.core import clock
from comptoir.core.errors import Forbidden, InvalidInput, Problem
from comptoir.core.uow import UnitOfWork
from comptoir.stores import geocode, policies, publishing, service
from comptoir.stores.events import PlaceChanged, PlacesImported
from comptoir.stores.models import Place
from comptoir.stores.schemas import (
    BulkHoursIn,
    BulkOut,
    BulkSpecialDaysIn,
    BulkStatusIn,
    HoursIn,
    ImportReport,
    ImportRowError,
    PlaceIn,
    Selector,
    SpecialDayIn,
)


def select_places(uow: UnitOfWork, selector: Selector) -> list[Place]:
    """The places a selector names, locked in id order; unknown ids or codes are refused (422)."""
    if not policies.may_run_bulk(uow.actor.store_id):
        raise Forbidden("Bulk operations need a back-office key (this one is bound to a store).")
    stmt = select(Place)
    named = []
    if selector.place_ids:
        named.append(Place.id.in_(selector.place_ids))
    if selector.codes:
        named.append(Place.code.in_(selector.codes))
    if named:
        stmt = stmt.where(or_(*named))
    if selector.region:
        stmt = stmt.where(Place.region == selector.region)
    if selector.department:
        stmt = stmt.where(Place.department == selector.department)
    if selector.kind:
        stmt = stmt.where(Place.kind == selector.kind)
    stmt = stmt.order_by(Place.id)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    rows = list(uow.session.scalars(stmt))
    if selector.place_ids:
        unknown = sorted(set(selector.place_ids) - {r.id for r in rows})
        if unknown and not (selector.region or selector.department or selector.kind):
            raise InvalidInput(f"Unknown place ids: {', '.join(unknown[:20])}.", field="selector/place_ids")
    if selector.codes:
        unknown = sorted(set(selector.codes) - {r.code for r in rows})
        if unknown and not (selector.region or selector.department or selector.kind):
            raise InvalidInput(f"Unknown store codes: {', '.join(unknown[:20])}.", field="selector/codes")
    return rows


def _finish(uow: UnitOfWork, matched: list[Place], changed: list[Place], fields: list[str]) -> BulkOut:
    uow.session.flush()
    outs = [service.to_out(row) for row in changed]
    for out in outs:
        uow.record(
            PlaceChanged(
                **service.snapshot(out).model_dump(), changed=fields, status_reason=out.status_reason
            )
        )
    requested = publishing.publish(uow, outs)
    return BulkOut(
        matched=len(matched),
        changed=len(changed),
        place_ids=[o.id for o in outs],
        publications_requested=requested,
    )


def bulk_status(uow: UnitOfWork, command: BulkStatusIn) -> BulkOut:
    rows = select_places(uow, command.selector)
    changed = [r for r in rows if service.apply_status(r, command.status, command.reason)]
    return _finish(uow, rows, changed, ["status"])


def bulk_hours(uow: UnitOfWork, command: BulkHoursIn) -> BulkOut:
    rows = select_places(uow, command.selector)
    wanted = command.hours.model_dump()
    changed = []
    for row in rows:
        if {"weekly": row.weekly, "reserved": row.reserved} != wanted:
            service.apply_hours(row, command.hours)
            changed.append(row)
    return _finish(uow, rows, changed, ["hours"])


def bulk_special_days(uow: UnitOfWork, command: BulkSpecialDaysIn) -> BulkOut:
    rows = select_places(uow, command.selector)
    changed = []
    now = clock.now()
    for row in rows:
        before = list(row.special_days)
        service.apply_special_days(row, command.days, now.astimezone(ZoneInfo(row.timezone)).date())
        if row.special_days != before:
            changed.append(row)
    return _finish(uow, rows, changed, ["special_days"])


# -- import (`comptoir import stores FILE`, POST /v1/stores/import) ---------------------------------------


def hours_from_text(weekly: str, reserved: str) -> HoursIn:
    return HoursIn.model_validate(
        {
            "weekly": [
                {"day": policies.WEEKDAYS[d], "opens": r.text[:5], "closes": r.text[6:]}
                for d, ranges in sorted(policies.parse_weekly(weekly).items())
                for r in ranges
            ],
            "reserved": [
                {
                    "day": policies.WEEKDAYS[d],
                    "opens": r.range.text[:5],
                    "closes": r.range.text[6:],
                    "audience": r.audience,
                }
                for d, items in sorted(policies.parse_reserved(reserved).items())
                for r in items
            ],
        }
    )


def special_from_text(text: str) -> list[SpecialDayIn]:
    return [
        SpecialDayIn.model_validate(
            {
                "date": s.day,
                "closed": s.closed,
                "ranges": [{"opens": r.text[:5], "closes": r.text[6:]} for r in s.ranges],
                "reserved": [
                    {"opens": r.range.text[:5], "closes": r.range.text[6:], "audience": r.audience}
                    for r in s.reserved
                ],
            }
        )
        for s in policies.parse_special(text)
    ]


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split("|") if part.strip()]


def row_from_csv(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row (the CSV channel's columns, plus optional ``id`` and ``manager``) as a PlaceIn-shaped dict."""
    lines = [line for line in (row.get("address_line_1", ""), row.get("address_line_2", "")) if line.strip()]
    data: dict[str, Any] = {
        "id": row.get("id") or None,
        "code": row.get("store_code") or None,
        "kind": row.get("kind") or "store",
        "name": row.get("name", ""),
        "status": row.get("status") or "open",
        "address": {
            "lines": lines,
            "postal_code": row.get("postal_code", ""),
            "locality": row.get("locality", ""),
            "region": row.get("region", ""),
            "country_code": row.get("country_code") or "FR",
        },
        "phone": row.get("phone") or None,
        "email": row.get("email") or None,
        "manager": row.get("manager") or None,
        "website_url": row.get("website_url") or None,
        "timezone": row.get("timezone") or None,
        "services": _split(row.get("services")),
        "attributes": _split(row.get("attributes")),
        "hours": hours_from_text(row.get("weekly_hours", ""), row.get("reserved_hours", "")).model_dump(),
        "special_days": [d.model_dump(mode="json") for d in special_from_text(row.get("special_days", ""))],
    }
    if row.get("latitude") and row.get("longitude"):
        data["latitude"], data["longitude"] = float(row["latitude"]), float(row["longitude"])
    elif data["address"]["country_code"] == "FR":
        point = geocode.lookup(data["address"]["postal_code"])
        if point is not None:
            data["latitude"], data["longitude"] = point.latitude, point.longitude
    return data


def read_file(name: str, content: str) -> Iterator[tuple[int, dict[str, Any] | Exception]]:
    """(row number, PlaceIn-shaped dict or the error reading it) for a .csv or .jsonl file."""
    if name.endswith((".jsonl", ".ndjson", ".json")):
        for number, line in enumerate(content.splitlines(), start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, exc
        return
    # newline="": rows may end in \r\n, \n or an old Mac's \r, and a quoted field may hold any of them.
    reader = csv.DictReader(io.StringIO(content, newline=""))
    while True:
        number = reader.line_num + 1  # the file line the next row starts on
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a NUL byte, an unterminated quote at the end of the file
            yield number, ValueError(f"unreadable CSV row: {exc}")
            return
        width = len(reader.fieldnames or [])
        if None in row or any(value is None for value in row.values()):
            given = width + len(row.get(None) or []) - sum(1 for v in row.values() if v is None)
            yield number, ValueError(f"the row has {given} column(s) where the header has {width}")
            continue
        try:
            yield number, row_from_csv(row)
        except (ValueError, ValidationError) as exc:
            yield number, exc


def _errors_of(number: int, exc: Exception) -> list[ImportRowError]:
    if isinstance(exc, ValidationError):
        return [
            ImportRowError(row=number, field="/".join(str(p) for p in e["loc"]) or "row", detail=e["msg"])
            for e in exc.errors()
        ]
    if isinstance(exc, Problem):
        field = exc.errors[0].get("pointer", "row").lstrip("#/") if exc.errors else "row"
        return [ImportRowError(row=number, field=field, detail=exc.detail)]
    return [ImportRowError(row=number, field="row", detail=str(exc))]


def import_places(uow: UnitOfWork, name: str, content: str) -> ImportReport:
    """Create or update places (matched by id, else store code); each row alone: a bad row is reported and
    leaves nothing written, the others go in."""
    created = updated = 0
    errors: list[ImportRowError] = []
    for number, data in read_file(name, content):
        if isinstance(data, Exception):
            errors.extend(_errors_of(number, data))
            continue
        try:
            with uow.savepoint():
                if _upsert(uow, data):
                    created += 1
                else:
                    updated += 1
        except (ValidationError, Problem, ValueError) as exc:
            errors.extend(_errors_of(number, exc))
    uow.record(PlacesImported(created=created, updated=updated, errors=len(errors)))
    return ImportReport(created=created, updated=updated, errors=errors)


def _upsert(uow: UnitOfWork, data: dict[str, Any]) -> bool:
    _, created = service.upsert_place(uow, PlaceIn.model_validate(data))
    return created
