"""appointments: the iCalendar invitation (RFC 5545/5546), at a signed link.

One stable UID per appointment; ``SEQUENCE`` is the appointment's (0 when booked, one more on each
reschedule); a cancelled appointment is ``METHOD:CANCEL`` with ``STATUS:CANCELLED``. Times carry the
place's time zone (a ``VTIMEZONE`` is included, as calendar clients expect). The message journeys attach
it; appointments sends no mail itself.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import icalendar

from comptoir.core import tokens
from comptoir.core.settings import Settings

PURPOSE = "appointment-invitation"


def token(settings: Settings, appointment_id: str) -> str:
    return tokens.sign(settings.secret_key, PURPOSE, {"a": appointment_id}, None)


def appointment_of(settings: Settings, value: str) -> str | None:
    claims = tokens.verify(settings.secret_key, PURPOSE, value)
    return None if claims is None else str(claims.get("a"))


def url(settings: Settings, appointment_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/v1/appointments/{appointment_id}/invitation.ics?token={token(settings, appointment_id)}"


def uid(appointment_id: str, settings: Settings) -> str:
    host = settings.base_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "comptoir"
    return f"{appointment_id}@{host}"


def calendar(
    settings: Settings,
    *,
    appointment_id: str,
    cancelled: bool,
    sequence: int,
    starts_at: datetime,
    ends_at: datetime,
    timezone: str,
    summary: str,
    description: str,
    location: str,
    organizer_name: str,
    organizer_email: str,
    attendee_name: str | None,
    attendee_email: str | None,
    stamp: datetime,
) -> bytes:
    tz = ZoneInfo(timezone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Comptoir//Appointments//FR")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", uid(appointment_id, settings))
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(tz))
    event.add("dtend", ends_at.astimezone(tz))
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = icalendar.vText(organizer_name)
    event.add("organizer", organizer)
    if attendee_email:
        attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
        if attendee_name:
            attendee.params["cn"] = icalendar.vText(attendee_name)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION" if not cancelled else "DECLINED")
        event.add("attendee", attendee)
    cal.add_component(event)
    # The zones' VTIMEZONE components before the event, as cal.add_missing_timezones() puts them — each
    # made and written once per process (they took longer than the rest of the invitation).
    zones = b"".join(_vtimezone(tzid) for tzid in sorted(cal.get_missing_tzids()))
    ical: bytes = cal.to_ical()
    at = ical.index(b"BEGIN:VEVENT")
    return ical[:at] + zones + ical[at:]


@lru_cache(maxsize=64)
def _vtimezone(tzid: str) -> bytes:
    try:
        zone = icalendar.Timezone.from_tzid(tzid)
    except ValueError:  # a zone icalendar does not know: none, as add_missing_timezones() does
        return b""
    written: bytes = zone.to_ical()
    return written
