"""The booking engine through the API: search, hold, book, reschedule, cancel, and the problems bad input
gets (naming the field, writing nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from comptoir.appointments.models import Appointment, Claim
from comptoir.core import clock
from comptoir.core.db import Database
from tests.appointments.conftest import NOW, RIVOLI, Retailer
from tests.conftest import make_key

MONDAY_10 = "2027-03-22T10:00:00+01:00"
TUESDAY_11 = "2027-03-23T11:00:00+01:00"


@contextmanager
def clock_at(at: datetime) -> Iterator[None]:
    clock.set_clock(lambda: at)
    try:
        yield
    finally:
        clock.set_clock(lambda: NOW)


def _slot(retailer: Retailer, starts_at: str = TUESDAY_11, **extra: Any) -> dict[str, Any]:
    return {"service_id": retailer.styling, "place_id": RIVOLI, "starts_at": starts_at, **extra}


def _count(db: Database) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(Appointment)).scalar_one(),
            conn.execute(select(func.count()).select_from(Claim)).scalar_one(),
        )


def test_search_book_reschedule_cancel(client, retailer: Retailer, staff_key, web_key, db) -> None:  # type: ignore[no-untyped-def]
    found = client.get(
        "/v1/appointments/slots",
        params={"service_id": retailer.styling, "first_day": "2027-03-22", "days": 7, "place_id": RIVOLI},
        headers=web_key,
    )
    assert found.status_code == 200, found.text
    body = found.json()
    days = {d["date"]: d["times"] for d in body["places"][0]["days"]}
    # Advisors and shop from 10:00; a 5-minute buffer before → 10:05, on the quarter hour → 10:15.
    assert days["2027-03-22"][0] == "10:15"
    assert days["2027-03-23"][0] == "10:15"
    assert days["2027-03-23"][-1] == "18:00"  # 45 min + a 10-minute buffer by 19:00: 18:05 at the latest
    assert "2027-03-28" not in days  # Sunday: closed

    booked = client.post(
        "/v1/appointments",
        json={"slot": _slot(retailer), "person": {"given_name": "Inès", "phone": "06 12 34 56 78"}},
        headers=web_key,
    )
    assert booked.status_code == 201, booked.text
    out = booked.json()
    assert out["status"] == "booked" and out["sequence"] == 0
    assert out["advisor_id"] in (retailer.camille, retailer.hugo)
    assert "fewest bookings" in out["assignment"]

    again = client.post(
        "/v1/appointments",
        json={
            "slot": _slot(retailer, advisor_id=out["advisor_id"]),
            "person": {"given_name": "Paul", "phone": "06 12 34 56 79"},
        },
        headers=web_key,
    )
    assert again.status_code == 409, again.text
    assert again.json()["errors"][0]["pointer"] == "#/starts_at"

    moved = client.post(
        f"/v1/appointments/{out['id']}/reschedule",
        json={"starts_at": "2027-03-24T15:00:00+01:00"},
        headers=staff_key,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["sequence"] == 1

    cancelled = client.post(
        f"/v1/appointments/{out['id']}/cancel", json={"reason": "empêchement"}, headers=staff_key
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert _count(db)[1] == 0  # every claim given back


def test_bad_input_names_the_field_and_writes_nothing(client, retailer: Retailer, web_key, db) -> None:  # type: ignore[no-untyped-def]
    person = {"given_name": "Inès", "phone": "06 12 34 56 78"}
    cases = [
        (_slot(retailer, starts_at="2027-03-22T03:00:00+01:00"), "#/slot/starts_at"),  # in the past
        (_slot(retailer, starts_at="2027-03-23T07:00:00+01:00"), "#/starts_at"),  # not offered (shop closed)
        ({**_slot(retailer), "service_id": retailer.fitting}, "#/service_id"),  # not on the web channel
        (_slot(retailer, advisor_id="nobody"), "#/advisor_id"),
        ({**_slot(retailer), "service_id": "svc_unknown"}, "#/slot/service_id"),
    ]
    for slot, pointer in cases:
        answer = client.post("/v1/appointments", json={"slot": slot, "person": person}, headers=web_key)
        assert 400 <= answer.status_code < 500, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["errors"][0]["pointer"] == pointer, (slot, answer.json())
    assert _count(db) == (0, 0)


def test_a_walk_in_at_the_shop_needs_no_notice(client, retailer: Retailer, web_key, db) -> None:  # type: ignore[no-untyped-def]
    """Online, the service's hour of notice applies; at the shop's tablet (a walk-in) the next free
    quarter hour is offered, and booked."""
    shop_key = {"Authorization": f"Bearer {make_key(db, ['appointments:write'], channel=f'store:{RIVOLI}')}"}
    params = {"service_id": retailer.styling, "first_day": "2027-03-22", "days": 1, "place_id": RIVOLI}
    with clock_at(datetime(2027, 3, 22, 9, 30, tzinfo=UTC)):  # 10:30 in Paris
        online = client.get("/v1/appointments/slots", params=params, headers=web_key).json()
        at_shop = client.get("/v1/appointments/slots", params=params, headers=shop_key).json()
        assert online["places"][0]["days"][0]["times"][0] == "11:30"  # an hour of notice
        assert at_shop["places"][0]["days"][0]["times"][0] == "10:45"  # the next quarter
        walk_in = client.post(
            "/v1/appointments",
            json={
                "slot": _slot(retailer, starts_at="2027-03-22T10:45:00+01:00"),
                "person": {"given_name": "Léon", "phone": "06 12 34 56 70"},
            },
            headers=shop_key,
        )
        assert walk_in.status_code == 201, walk_in.text
