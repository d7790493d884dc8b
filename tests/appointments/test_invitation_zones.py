"""An invitation's VTIMEZONE, made once per zone and process, is the one icalendar's
``add_missing_timezones`` writes: the invitation is the same, byte for byte, in every kind of zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest

from comptoir.appointments import invitations
from comptoir.core.settings import Settings


def reference(settings: Settings, **kw: object) -> bytes:
    """The invitation as icalendar makes it with its zones added by ``add_missing_timezones``."""
    tz = ZoneInfo(str(kw["timezone"]))
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Comptoir//Appointments//FR")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if kw["cancelled"] else "REQUEST")
    event = icalendar.Event()
    event.add("uid", invitations.uid(str(kw["appointment_id"]), settings))
    event.add("sequence", kw["sequence"])
    event.add("dtstamp", kw["stamp"])
    event.add("dtstart", kw["starts_at"].astimezone(tz))  # type: ignore[attr-defined]
    event.add("dtend", kw["ends_at"].astimezone(tz))  # type: ignore[attr-defined]
    event.add("summary", kw["summary"])
    event.add("description", kw["description"])
    event.add("location", kw["location"])
    event.add("status", "CANCELLED" if kw["cancelled"] else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{kw['organizer_email']}")
    organizer.params["cn"] = icalendar.vText(kw["organizer_name"])
    event.add("organizer", organizer)
    attendee = icalendar.vCalAddress(f"mailto:{kw['attendee_email']}")
    attendee.params["cn"] = icalendar.vText(kw["attendee_name"])
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText("DECLINED" if kw["cancelled"] else "NEEDS-ACTION")
    event.add("attendee", attendee)
    cal.add_component(event)
    cal.add_missing_timezones()
    written: bytes = cal.to_ical()
    return written


@pytest.mark.parametrize(
    "zone", ["Europe/Paris", "America/Cayenne", "Indian/Reunion", "Pacific/Noumea", "Etc/UTC"]
)
@pytest.mark.parametrize("cancelled", [False, True])
def test_an_invitation_is_the_one_icalendar_writes_with_its_zone(zone: str, cancelled: bool) -> None:
    settings = Settings(base_url="https://boutique.example.fr")
    kw: dict[str, object] = {
        "appointment_id": "apt_0001",
        "cancelled": cancelled,
        "sequence": 2,
        "starts_at": datetime(2027, 3, 28, 8, 0, tzinfo=UTC),  # the night clocks change in Paris
        "ends_at": datetime(2027, 3, 28, 9, 0, tzinfo=UTC),
        "timezone": zone,
        "summary": "Retouches — Rivoli",
        "description": "Camille",
        "location": "12 rue de Rivoli, 75004 Paris",
        "organizer_name": "Rivoli",
        "organizer_email": "bonjour@boutique.example.fr",
        "attendee_name": "Léa Garnier",
        "attendee_email": "lea@example.fr",
        "stamp": datetime(2027, 3, 1, 12, 0, tzinfo=UTC),
    }
    first = invitations.calendar(settings, **kw)  # type: ignore[arg-type]
    assert first == reference(settings, **kw)
    assert invitations.calendar(settings, **kw) == first  # the zone made once, written the same again  # type: ignore[arg-type]
    assert first.count(b"BEGIN:VTIMEZONE") == (0 if zone == "Etc/UTC" else 1)
