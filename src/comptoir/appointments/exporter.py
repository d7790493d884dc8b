"""appointments: the advisors as rows of the file ``comptoir import advisors`` reads (``comptoir
appointments advisors``), to edit and import back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from comptoir.appointments import importer, schedule_text, setup
from comptoir.appointments.policies import WEEKDAYS, parse_hhmm
from comptoir.appointments.schedule_text import DayHours, TextRange
from comptoir.core.models import StaffPerson
from comptoir.core.uow import UnitOfWork

COLUMNS = importer.COLUMNS


def advisor_rows(uow: UnitOfWork, place: str | None = None) -> list[dict[str, str]]:
    """One row per advisor (of ``place``, an id or a store code, if given), by name; ValueError for an
    unknown place."""
    places = importer.load_places(uow)
    place_id = places.resolve(place, "place") if place else None
    advisors = setup.list_advisors(uow, place_id=place_id)
    emails = dict(
        uow.session.execute(
            select(StaffPerson.id, StaffPerson.email).where(StaffPerson.id.in_([a.id for a in advisors]))
        ).all()
    )

    def code(place_id: str) -> str:
        return places.codes.get(place_id, place_id)

    rows = []
    for a in advisors:
        weekly: dict[int, list[TextRange]] = {}
        for r in a.weekly:
            weekly.setdefault(WEEKDAYS.index(r.day), []).append(
                TextRange(parse_hhmm(r.start), parse_hhmm(r.end), r.place_id)
            )
        exceptions = [
            DayHours(
                date.fromisoformat(str(e.date)),
                tuple(TextRange(parse_hhmm(x.start), parse_hhmm(x.end), x.place_id) for x in e.ranges),
            )
            for e in a.exceptions
        ]
        rows.append(
            {
                "email": emails.get(a.id, ""),
                "name": a.name,
                "skills": "|".join(a.skills),
                "languages": "|".join(a.languages),
                "places": "|".join(code(p) for p in a.place_ids),
                "weekly": schedule_text.format_weekly(weekly, code),
                "exceptions": schedule_text.format_exceptions(exceptions, code),
                "active": "yes" if a.active else "no",
            }
        )
    return rows
