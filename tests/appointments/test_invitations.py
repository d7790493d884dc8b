"""The iCalendar invitation at its signed link: one UID for the appointment's whole life, SEQUENCE 0 when
booked and one more on each change, the place's time zone (with its VTIMEZONE), REQUEST then CANCEL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from fastapi.testclient import TestClient

from comptoir.appointments import invitations
from comptoir.core.settings import Settings
from tests.appointments.conftest import RIVOLI, Retailer

PARIS = ZoneInfo("Europe/Paris")


def _fetch(client: TestClient, invitation_url: str) -> tuple[int, Any]:
    """GET the signed link (its path and query, through the test client) and parse the calendar."""
    parts = urlsplit(invitation_url)
    answer = client.get(f"{parts.path}?{parts.query}")
    if answer.status_code != 200:
        return answer.status_code, None
    assert answer.headers["content-type"].startswith("text/calendar")
    return 200, icalendar.Calendar.from_ical(answer.content)


def _event(cal: Any) -> Any:
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) == 1
    return events[0]


def _check(cal: Any, *, method: str, status: str, sequence: int, starts_utc: datetime, uid: str) -> None:
    assert str(cal["METHOD"]) == method
    event = _event(cal)
    assert str(event["UID"]) == uid
    assert int(event["SEQUENCE"]) == sequence
    assert str(event["STATUS"]) == status
    start = event["DTSTART"]
    assert start.params["TZID"] == "Europe/Paris"
    assert start.dt.astimezone(UTC) == starts_utc
    assert event["DTEND"].dt.astimezone(UTC) == starts_utc + timedelta(minutes=45)
    # The time zone travels with the invitation, as calendar clients expect.
    zones = [str(z["TZID"]) for z in cal.walk("VTIMEZONE")]
    assert zones == ["Europe/Paris"]


def test_the_invitation_follows_the_appointment_from_request_to_cancel(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, web_key, staff_key
) -> None:
    # Booked on the web for Tuesday 23 March 2027, 11:00 in Paris (winter time: 10:00 UTC)
    booked = client.post(
        "/v1/appointments",
        json={
            "slot": {
                "service_id": retailer.styling,
                "place_id": RIVOLI,
                "starts_at": "2027-03-23T11:00:00+01:00",
            },
            "person": {"given_name": "Inès", "family_name": "Martin", "email": "ines@example.com"},
        },
        headers=web_key,
    )
    assert booked.status_code == 201, booked.text
    out = booked.json()
    link = out["invitation_url"]
    assert link and "/invitation.ics?token=" in link

    status, cal = _fetch(client, link)
    assert status == 200
    uid = str(_event(cal)["UID"])
    assert uid.startswith(out["id"] + "@")
    _check(
        cal,
        method="REQUEST",
        status="CONFIRMED",
        sequence=0,
        starts_utc=datetime(2027, 3, 23, 10, 0, tzinfo=UTC),
        uid=uid,
    )
    attendee = _event(cal)["ATTENDEE"]
    assert str(attendee).lower() == "mailto:ines@example.com"
    assert attendee.params["CN"] == "Inès Martin"

    # Moved past the clock change: Tuesday 30 March, 11:00 in Paris is now 09:00 UTC
    moved = client.post(
        f"/v1/appointments/{out['id']}/reschedule",
        json={"starts_at": "2027-03-30T11:00:00+02:00"},
        headers=staff_key,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["invitation_url"] == link  # the link does not change
    status, cal = _fetch(client, link)
    _check(
        cal,
        method="REQUEST",
        status="CONFIRMED",
        sequence=1,
        starts_utc=datetime(2027, 3, 30, 9, 0, tzinfo=UTC),
        uid=uid,
    )
    assert _event(cal)["DTSTART"].dt.replace(tzinfo=None) == datetime(2027, 3, 30, 11, 0)

    # Moved again
    again = client.post(
        f"/v1/appointments/{out['id']}/reschedule",
        json={"starts_at": "2027-03-31T15:30:00+02:00"},
        headers=staff_key,
    )
    assert again.status_code == 200, again.text
    status, cal = _fetch(client, link)
    _check(
        cal,
        method="REQUEST",
        status="CONFIRMED",
        sequence=2,
        starts_utc=datetime(2027, 3, 31, 13, 30, tzinfo=UTC),
        uid=uid,
    )

    # Cancelled: the same event, cancelled, one sequence further
    cancelled = client.post(f"/v1/appointments/{out['id']}/cancel", json={}, headers=staff_key)
    assert cancelled.status_code == 200, cancelled.text
    status, cal = _fetch(client, link)
    _check(
        cal,
        method="CANCEL",
        status="CANCELLED",
        sequence=3,
        starts_utc=datetime(2027, 3, 31, 13, 30, tzinfo=UTC),
        uid=uid,
    )


def test_a_wrong_or_forged_token_finds_nothing(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, staff_key, settings: Settings
) -> None:
    first, second = (
        client.post(
            "/v1/appointments",
            json={
                "slot": {"service_id": retailer.styling, "place_id": RIVOLI, "starts_at": starts_at},
                "person": {"given_name": name, "email": f"{name.lower()}@example.com"},
            },
            headers=staff_key,
        ).json()
        for name, starts_at in (("Ana", "2027-03-23T11:00:00+01:00"), ("Bob", "2027-03-24T11:00:00+01:00"))
    )
    path = urlsplit(first["invitation_url"]).path
    token = urlsplit(first["invitation_url"]).query.removeprefix("token=")
    other_token = urlsplit(second["invitation_url"]).query.removeprefix("token=")
    assert _fetch(client, first["invitation_url"])[0] == 200
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for query in (f"token={forged}", f"token={other_token}", "token=nonsense", "token="):
        assert client.get(f"{path}?{query}").status_code == 404, query
    # The other appointment's link opens the other appointment only
    assert _fetch(client, second["invitation_url"])[0] == 200
    assert client.get(f"{path}").status_code in (404, 422)  # no token at all
    # A hold has no invitation yet
    held = client.post(
        "/v1/appointments/holds",
        json={"service_id": retailer.styling, "place_id": RIVOLI, "starts_at": "2027-03-25T11:00:00+01:00"},
        headers=staff_key,
    ).json()
    assert held["invitation_url"] is None
    link = invitations.url(settings, held["id"])
    assert client.get(urlsplit(link).path + "?" + urlsplit(link).query).status_code == 404
