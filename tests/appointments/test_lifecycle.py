"""An appointment's life through the API: holds and who may confirm them, expiry giving the time back,
check-in / complete / no-show and the transitions refused, the customer's cut-off, the waitlist, rooms
booked with the advisor, the events every step records, a place closing over booked appointments, and a
move that overlaps its own old time (free for it, but not a leave taken since, nor another's room)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from comptoir.appointments import service as appointments
from comptoir.appointments.models import Appointment, Claim, Session, WaitlistEntry
from comptoir.appointments.schemas import ResourceIn
from comptoir.core import clock, tokens
from comptoir.core.api import CUSTOMER_TOKEN_PURPOSE
from comptoir.core.db import Database
from comptoir.core.dispatcher import Dispatcher
from comptoir.core.models import OutboxEvent
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from tests.appointments.conftest import MARSEILLE, NOW, RIVOLI, Retailer
from tests.conftest import make_key

TUESDAY_11 = "2027-03-23T11:00:00+01:00"


def _slot(service_id: str, starts_at: str, place_id: str = RIVOLI, **extra: Any) -> dict[str, Any]:
    return {"service_id": service_id, "place_id": place_id, "starts_at": starts_at, **extra}


def _person(name: str) -> dict[str, Any]:
    return {"given_name": name, "email": f"{name.lower()}@example.com"}


def _book(client: TestClient, headers: dict[str, str], slot: dict[str, Any], **body: Any) -> Any:
    return client.post("/v1/appointments", json={"slot": slot, **body}, headers=headers)


def _events(db: Database, event_type: str) -> list[dict[str, Any]]:
    with UnitOfWork(db, read_only=True) as uow:
        return list(
            uow.session.scalars(
                select(OutboxEvent.payload).where(OutboxEvent.type == event_type).order_by(OutboxEvent.seq)
            )
        )


def _slug(answer: Any) -> str:
    """The problem's stable type, ``urn:comptoir:problem:<slug>``, by its slug."""
    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
    return str(answer.json()["type"]).rsplit(":", 1)[-1]


def _rows(db: Database, model: Any) -> list[Any]:
    with db.engine.connect() as conn:
        return list(conn.execute(select(model.__table__)).mappings())


def _at(moment: datetime) -> None:
    clock.set_clock(lambda: moment)


def _customer(db: Database, settings: Settings, given_name: str) -> tuple[str, str]:
    """A customer and the token their signed-in session on the website carries."""
    with UnitOfWork(db) as uow:
        customer_id = customers.ingest(
            uow,
            "web",
            CustomerRecord(given_name=given_name, email=f"{given_name.lower()}@example.com"),
        ).customer_id
        uow.commit()
    return customer_id, tokens.sign(
        settings.secret_key, CUSTOMER_TOKEN_PURPOSE, {"sub": customer_id}, 7 * 86400
    )


# -- holds --------------------------------------------------------------------------------------------------


def test_a_hold_is_confirmed_by_its_holder_only_and_its_time_is_reclaimed_once_expired(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, web_key, staff_key, db
) -> None:
    other_key = {"Authorization": f"Bearer {make_key(db, ['appointments:write'], channel='web')}"}
    # A web visitor holds Tuesday 11:00 with Camille while filling in the form
    held = client.post(
        "/v1/appointments/holds",
        json=_slot(retailer.styling, TUESDAY_11, advisor_id=retailer.camille),
        headers=web_key,
    )
    assert held.status_code == 201, held.text
    hold = held.json()
    assert hold["status"] == "held" and hold["invitation_url"] is None
    assert datetime.fromisoformat(hold["hold_expires_at"]) == NOW + timedelta(minutes=10)
    # the time is taken meanwhile: nobody else gets Camille then, and the search no longer offers it
    taken = _book(
        client,
        other_key,
        _slot(retailer.styling, TUESDAY_11, advisor_id=retailer.camille),
        person=_person("Paul"),
    )
    assert taken.status_code == 409, taken.text
    found = client.get(
        "/v1/appointments/slots",
        params={
            "service_id": retailer.styling,
            "first_day": "2027-03-23",
            "days": 1,
            "place_id": RIVOLI,
            "advisor_id": retailer.camille,
        },
        headers=web_key,
    ).json()
    assert "11:00" not in found["places"][0]["days"][0]["times"]
    # another principal cannot confirm it
    stolen = client.post(
        "/v1/appointments", json={"hold_id": hold["id"], "person": _person("Paul")}, headers=other_key
    )
    assert stolen.status_code == 404, stolen.text
    # its holder does
    confirmed = client.post(
        "/v1/appointments",
        json={"hold_id": hold["id"], "person": _person("Inès"), "note": "Pour un mariage"},
        headers=web_key,
    )
    assert confirmed.status_code == 201, confirmed.text
    out = confirmed.json()
    assert (out["id"], out["status"], out["sequence"]) == (hold["id"], "booked", 0)
    assert out["hold_expires_at"] is None and out["invitation_url"]
    assert out["customer_note"] == "Pour un mariage"
    # a booked appointment is no hold any more
    twice = client.post(
        "/v1/appointments", json={"hold_id": hold["id"], "person": _person("Inès")}, headers=web_key
    )
    assert twice.status_code == 404

    # Two more holds, left to expire
    late = client.post(
        "/v1/appointments/holds",
        json=_slot(retailer.styling, "2027-03-23T14:00:00+01:00", advisor_id=retailer.camille),
        headers=web_key,
    ).json()
    swept = client.post(
        "/v1/appointments/holds",
        json=_slot(retailer.styling, "2027-03-23T16:00:00+01:00", advisor_id=retailer.camille),
        headers=web_key,
    ).json()
    _at(NOW + timedelta(minutes=11))
    # confirming too late says so
    too_late = client.post(
        "/v1/appointments", json={"hold_id": late["id"], "person": _person("Inès")}, headers=web_key
    )
    assert too_late.status_code == 409 and _slug(too_late) == "hold-expired", too_late.text
    # someone else books the expired hold's time: the hold is swept, its claims given back
    reclaimed = _book(
        client,
        other_key,
        _slot(retailer.styling, "2027-03-23T16:00:00+01:00", advisor_id=retailer.camille),
        person=_person("Paul"),
    )
    assert reclaimed.status_code == 201, reclaimed.text
    assert reclaimed.json()["advisor_id"] == retailer.camille
    gone = client.get(f"/v1/appointments/{swept['id']}", headers=staff_key).json()
    assert gone["status"] == "expired"
    assert (
        client.post(
            "/v1/appointments", json={"hold_id": swept["id"], "person": _person("Inès")}, headers=web_key
        ).status_code
        == 404
    )
    # the job expires the other one
    with UnitOfWork(db) as uow:
        assert appointments.expire_holds(uow) == 1
        uow.commit()
    assert client.get(f"/v1/appointments/{late['id']}", headers=staff_key).json()["status"] == "expired"
    with UnitOfWork(db, read_only=True) as uow:
        holders = set(uow.session.scalars(select(Claim.holder_id).distinct()))
    assert holders == {out["id"], reclaimed.json()["id"]}
    # and its time is free again
    assert (
        _book(
            client,
            other_key,
            _slot(retailer.styling, "2027-03-23T14:00:00+01:00", advisor_id=retailer.camille),
            person=_person("Zoé"),
        ).status_code
        == 201
    )


# -- the day of the appointment -----------------------------------------------------------------------------


def test_check_in_complete_no_show_and_the_transitions_refused(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, staff_key
) -> None:
    def act(appointment_id: str, action: str, **body: Any) -> Any:
        return client.post(f"/v1/appointments/{appointment_id}/{action}", json=body, headers=staff_key)

    first = _book(
        client, staff_key, _slot(retailer.styling, "2027-03-22T11:00:00+01:00"), person=_person("Ana")
    ).json()
    second = _book(
        client, staff_key, _slot(retailer.styling, "2027-03-22T14:00:00+01:00"), person=_person("Bob")
    ).json()
    held = client.post(
        "/v1/appointments/holds",
        json=_slot(retailer.styling, "2027-03-22T16:00:00+01:00"),
        headers=staff_key,
    ).json()
    # a hold is not checked in, completed nor marked as a no-show
    for action in ("check-in", "complete", "no-show"):
        refused = act(held["id"], action)
        assert refused.status_code == 409 and _slug(refused) == "wrong-status", (action, refused.text)

    # Ana arrives, is advised, and the advisor writes what was done
    checked = act(first["id"], "check-in")
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "checked_in"
    # checked in: no second check-in, no cancel, no move, no no-show
    assert _slug(act(first["id"], "check-in")) == "wrong-status"
    assert _slug(act(first["id"], "cancel")) == "not-cancellable"
    assert _slug(act(first["id"], "reschedule", starts_at="2027-03-24T11:00:00+01:00")) == "not-booked"
    assert _slug(act(first["id"], "no-show")) == "wrong-status"
    done = act(first["id"], "complete", notes="Essayé la veste en lin ; rappeler pour le pantalon.")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert done.json()["advisor_notes"] == "Essayé la veste en lin ; rappeler pour le pantalon."
    for action in ("check-in", "complete", "no-show", "cancel"):
        assert act(first["id"], action).status_code == 409, action

    # Bob does not come: not before his start time, then yes
    early = act(second["id"], "no-show")
    assert early.status_code == 409 and _slug(early) == "not-started"
    _at(datetime(2027, 3, 22, 13, 10, tzinfo=UTC))  # 14:10 in Paris
    missed = act(second["id"], "no-show")
    assert missed.status_code == 200 and missed.json()["status"] == "no_show"
    for action in ("check-in", "complete", "no-show", "cancel"):
        assert act(second["id"], action).status_code == 409, action


def test_the_customer_cancels_before_the_cut_off_and_the_shop_after(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, web_key, staff_key, db, settings: Settings
) -> None:
    marie, marie_token = _customer(db, settings, "Marie")
    _, other_token = _customer(db, settings, "Jeanne")
    marie_web = {**web_key, "X-Customer-Token": marie_token}
    other_web = {**web_key, "X-Customer-Token": other_token}
    # Marie books for tomorrow 11:00 (26 h ahead) and today 15:00 (6 h ahead); the cut-off is 24 h
    tomorrow = _book(client, marie_web, _slot(retailer.styling, TUESDAY_11))
    today = _book(client, marie_web, _slot(retailer.styling, "2027-03-22T15:00:00+01:00"))
    assert tomorrow.status_code == 201 and today.status_code == 201, (tomorrow.text, today.text)
    assert tomorrow.json()["customer_id"] == marie
    tomorrow_id, today_id = tomorrow.json()["id"], today.json()["id"]

    # another customer sees neither
    assert client.get(f"/v1/appointments/{today_id}", headers=other_web).status_code == 404
    assert (
        client.post(f"/v1/appointments/{tomorrow_id}/cancel", json={}, headers=other_web).status_code == 404
    )

    # too late to cancel or move today's online
    late = client.post(f"/v1/appointments/{today_id}/cancel", json={}, headers=marie_web)
    assert late.status_code == 409 and _slug(late) == "past-cutoff", late.text
    assert late.headers["content-type"].startswith("application/problem+json")
    moved = client.post(
        f"/v1/appointments/{today_id}/reschedule",
        json={"starts_at": "2027-03-25T11:00:00+01:00"},
        headers=marie_web,
    )
    assert moved.status_code == 409 and _slug(moved) == "past-cutoff"
    # tomorrow's she cancels herself
    cancelled = client.post(
        f"/v1/appointments/{tomorrow_id}/cancel", json={"reason": "empêchement"}, headers=marie_web
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    # the shop still may cancel today's
    by_shop = client.post(f"/v1/appointments/{today_id}/cancel", json={}, headers=staff_key)
    assert by_shop.status_code == 200, by_shop.text
    assert [(e["appointment_id"], e["by"]) for e in _events(db, "appointments.cancelled")] == [
        (tomorrow_id, "customer"),
        (today_id, "staff"),
    ]
    # one minute past tomorrow's cut-off, a new booking can no longer be cancelled online either
    again = _book(client, marie_web, _slot(retailer.styling, "2027-03-23T11:00:00+01:00")).json()
    _at(datetime(2027, 3, 22, 10, 1, tzinfo=UTC))
    assert (
        _slug(client.post(f"/v1/appointments/{again['id']}/cancel", json={}, headers=marie_web))
        == "past-cutoff"
    )


# -- the waitlist -------------------------------------------------------------------------------------------


def test_a_freed_seat_is_offered_to_the_first_customer_waiting(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, web_key, staff_key, db, settings: Settings
) -> None:
    workshop = _slot(retailer.workshop, "2027-03-24T15:00:00+01:00", advisor_id=retailer.camille)
    seats = [_book(client, staff_key, workshop, person=_person(f"Guest{n}")) for n in range(8)]
    assert [s.status_code for s in seats] == [201] * 8
    assert len({s.json()["advisor_id"] for s in seats}) == 1
    full = _book(client, staff_key, workshop, person=_person("Late"))
    assert full.status_code == 409, full.text

    # Two customers wait for it, in this order; a third waits elsewhere
    first, first_token = _customer(db, settings, "Alice")
    second, second_token = _customer(db, settings, "Berthe")
    elsewhere, elsewhere_token = _customer(db, settings, "Chloé")
    for token, place in ((first_token, RIVOLI), (second_token, None), (elsewhere_token, MARSEILLE)):
        _at(clock.now() + timedelta(seconds=1))
        joined = client.post(
            "/v1/appointments/waitlist",
            json={
                "service_id": retailer.workshop,
                "place_id": place,
                "first_day": "2027-03-23",
                "last_day": "2027-03-26",
            },
            headers={**web_key, "X-Customer-Token": token},
        )
        assert joined.status_code == 201, joined.text
        assert joined.json()["status"] == "waiting"

    # A guest cancels: the seat goes back, and the first in line is told
    cancelled = client.post(f"/v1/appointments/{seats[3].json()['id']}/cancel", json={}, headers=staff_key)
    assert cancelled.status_code == 200, cancelled.text
    assert [s["booked"] for s in _rows(db, Session)] == [7]
    entries = {e["customer_id"]: e for e in _rows(db, WaitlistEntry)}
    assert entries[first]["status"] == "offered"
    assert entries[first]["offered_start"] == datetime(2027, 3, 24, 14, 0, tzinfo=UTC)
    assert entries[first]["offered_place_id"] == RIVOLI
    assert (entries[second]["status"], entries[elsewhere]["status"]) == ("waiting", "waiting")
    offered = _events(db, "appointments.waitlist_offered")
    assert [(e["customer_id"], e["service_id"], e["place_id"]) for e in offered] == [
        (first, retailer.workshop, RIVOLI)
    ]
    assert offered[0]["starts_at"] == "2027-03-24T14:00:00+00:00"
    listed = client.get(
        "/v1/appointments/waitlist", headers={**web_key, "X-Customer-Token": first_token}
    ).json()
    assert [e["status"] for e in listed] == ["offered"]
    # the seat is bookable again (first to book gets it), once
    assert _book(client, staff_key, workshop, person=_person("Alice")).status_code == 201
    assert _book(client, staff_key, workshop, person=_person("Other")).status_code == 409
    # the next freed seat goes to the next in line
    client.post(f"/v1/appointments/{seats[0].json()['id']}/cancel", json={}, headers=staff_key)
    assert [e["customer_id"] for e in _events(db, "appointments.waitlist_offered")] == [first, second]


# -- rooms --------------------------------------------------------------------------------------------------


def test_a_fitting_needs_a_free_room_as_well_as_an_advisor(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, staff_key, db
) -> None:
    fitting = _slot(retailer.fitting, TUESDAY_11)
    first = _book(client, staff_key, fitting, person=_person("Ana"))
    assert first.status_code == 201, first.text
    assert first.json()["resource_id"] == retailer.room
    # Hugo or Camille is still free, but the only fitting room is not
    second = _book(client, staff_key, fitting, person=_person("Bob"))
    assert second.status_code == 409, second.text
    assert second.headers["content-type"].startswith("application/problem+json")
    # nor is any start whose half hour overlaps it
    overlapping = _book(
        client, staff_key, _slot(retailer.fitting, "2027-03-23T11:15:00+01:00"), person=_person("Bob")
    )
    assert overlapping.status_code == 409
    found = client.get(
        "/v1/appointments/slots",
        params={"service_id": retailer.fitting, "first_day": "2027-03-23", "days": 1, "place_id": RIVOLI},
        headers=staff_key,
    ).json()
    times = found["places"][0]["days"][0]["times"]
    assert "10:30" in times and "11:30" in times
    assert not {"10:45", "11:00", "11:15"} & set(times)
    # right after it, the room is free
    assert (
        _book(
            client, staff_key, _slot(retailer.fitting, "2027-03-23T11:30:00+01:00"), person=_person("Bob")
        ).status_code
        == 201
    )

    # A second room: a second fitting at 11:00, with the other advisor
    with UnitOfWork(db) as uow:
        room2 = appointments.create_resource(
            uow, ResourceIn(place_id=RIVOLI, kind="fitting_room", name="Cabine 2")
        ).id
        uow.commit()
    again = _book(client, staff_key, fitting, person=_person("Bob"))
    assert again.status_code == 201, again.text
    assert again.json()["resource_id"] == room2
    assert again.json()["advisor_id"] != first.json()["advisor_id"]
    # both advisors are busy now
    assert _book(client, staff_key, fitting, person=_person("Chloé")).status_code == 409


# -- events -------------------------------------------------------------------------------------------------


def test_every_step_records_its_event_with_what_journeys_and_analytics_need(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, web_key, staff_key, db
) -> None:
    booked = _book(client, web_key, _slot(retailer.styling, TUESDAY_11), person=_person("Ana")).json()
    moved = client.post(
        f"/v1/appointments/{booked['id']}/reschedule",
        json={"starts_at": "2027-03-23T14:00:00+01:00", "advisor_id": retailer.hugo},
        headers=staff_key,
    ).json()
    assert moved["advisor_id"] == retailer.hugo
    other = _book(
        client, web_key, _slot(retailer.styling, "2027-03-24T11:00:00+01:00"), person=_person("Bob")
    )
    missed = _book(
        client, web_key, _slot(retailer.styling, "2027-03-24T14:00:00+01:00"), person=_person("Chloé")
    )
    for path in (f"{booked['id']}/check-in", f"{booked['id']}/complete", f"{other.json()['id']}/cancel"):
        assert client.post(f"/v1/appointments/{path}", json={}, headers=staff_key).status_code == 200
    _at(datetime(2027, 3, 24, 13, 30, tzinfo=UTC))
    assert (
        client.post(f"/v1/appointments/{missed.json()['id']}/no-show", headers=staff_key).status_code == 200
    )

    expected = {
        "appointments.booked": [booked["id"], other.json()["id"], missed.json()["id"]],
        "appointments.rescheduled": [booked["id"]],
        "appointments.checked_in": [booked["id"]],
        "appointments.completed": [booked["id"]],
        "appointments.cancelled": [other.json()["id"]],
        "appointments.no_show": [missed.json()["id"]],
    }
    customers_of = {a["id"]: a["customer_id"] for a in (booked, other.json(), missed.json())}
    for event_type, ids in expected.items():
        payloads = _events(db, event_type)
        assert [p["appointment_id"] for p in payloads] == ids, event_type
        for p in payloads:
            assert p["service_id"] == retailer.styling and p["service_code"] == "conseil-style"
            assert p["place_id"] == RIVOLI and p["timezone"] == "Europe/Paris"
            assert p["advisor_id"] in (retailer.camille, retailer.hugo)
            assert p["channel"] == "web"  # the channel it was booked on, whoever changes it later
            assert p["customer_id"] == customers_of[p["appointment_id"]] and p["customer_id"]
            assert p["invitation_url"].startswith("http") and "token=" in p["invitation_url"]
    rescheduled = _events(db, "appointments.rescheduled")[0]
    assert rescheduled["previous_starts_at"] == "2027-03-23T10:00:00+00:00"
    assert rescheduled["starts_at"] == "2027-03-23T13:00:00+00:00"
    assert rescheduled["advisor_id"] == retailer.hugo and rescheduled["sequence"] == 1
    assert [p["advisor_id"] for p in _events(db, "appointments.completed")] == [retailer.hugo]


# -- a place closing over booked appointments ---------------------------------------------------------------


def test_a_bulk_closure_flags_the_appointments_inside_it_with_alternatives(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, staff_key, db, dispatcher: Dispatcher
) -> None:
    def book(starts_at: str, place_id: str = RIVOLI) -> str:
        answer = _book(client, staff_key, _slot(retailer.styling, starts_at, place_id), person=_person("Ana"))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    inside = [book("2027-03-24T11:00:00+01:00"), book("2027-03-24T17:00:00+01:00")]
    day_after = book("2027-03-25T11:00:00+01:00")
    elsewhere = book("2027-03-24T11:00:00+01:00", MARSEILLE)
    dispatcher.drain()
    assert _events(db, "appointments.disrupted") == []

    # The retailer closes the Rivoli shop on Wednesday 24 March (a strike)
    closed = client.post(
        "/v1/stores/bulk/special-days",
        json={
            "selector": {"place_ids": [RIVOLI]},
            "days": [{"date": "2027-03-24", "closed": True, "reason": "Grève"}],
        },
        headers=staff_key,
    )
    assert closed.status_code == 200, closed.text
    dispatcher.drain()

    disrupted = _events(db, "appointments.disrupted")
    assert sorted(e["appointment_id"] for e in disrupted) == sorted(inside)
    rows = {r["id"]: r for r in _rows(db, Appointment)}
    closure = (datetime(2027, 3, 23, 23, 0, tzinfo=UTC), datetime(2027, 3, 24, 23, 0, tzinfo=UTC))
    for event in disrupted:
        row = rows[event["appointment_id"]]
        assert row["status"] == "booked" and row["disrupted_at"] is not None and row["disruption"] == "Grève"
        assert event["reason"] == row["disruption"]
        assert event["alternatives"] == row["alternatives"] and len(row["alternatives"]) == 3
        for alternative in row["alternatives"]:
            at = datetime.fromisoformat(alternative["starts_at"])
            assert alternative["place_id"] in (RIVOLI, MARSEILLE)
            assert not (alternative["place_id"] == RIVOLI and closure[0] <= at < closure[1])
            assert at > NOW
        shown = client.get(f"/v1/appointments/{row['id']}", headers=staff_key).json()
        assert shown["disrupted_at"] and len(shown["alternatives"]) == 3
    for untouched in (day_after, elsewhere):
        assert rows[untouched]["disrupted_at"] is None and rows[untouched]["alternatives"] == []

    # Moving a disrupted appointment to one of its alternatives clears the flag
    alternative = rows[inside[0]]["alternatives"][0]
    moved = client.post(
        f"/v1/appointments/{inside[0]}/reschedule",
        json={"starts_at": alternative["starts_at"], "place_id": alternative["place_id"]},
        headers=staff_key,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["disrupted_at"] is None and moved.json()["alternatives"] == []
    # A second drain flags nothing again
    dispatcher.drain()
    assert len(_events(db, "appointments.disrupted")) == 2


def test_a_move_within_its_own_time_still_respects_a_leave_taken_since(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, staff_key
) -> None:
    # Booked with Camille at 11:00 (her time 10:55–11:55 with the buffers); she is then away from 11:00
    booked = _book(
        client,
        staff_key,
        _slot(retailer.styling, TUESDAY_11, advisor_id=retailer.camille),
        person=_person("Ana"),
    ).json()
    leave = client.post(
        f"/v1/appointments/advisors/{retailer.camille}/leaves",
        json={"starts_at": "2027-03-23T11:00:00+01:00", "ends_at": "2027-03-23T13:00:00+01:00"},
        headers=staff_key,
    )
    assert leave.status_code == 201, leave.text
    # Moving it half an hour earlier, still inside its own old time, would put it on her leave (the
    # service to 11:15, then its buffer): refused, as a new booking then would be
    for starts_at in ("2027-03-23T10:30:00+01:00", "2027-03-23T11:00:00+01:00", "2027-03-23T10:15:00+01:00"):
        moved = client.post(
            f"/v1/appointments/{booked['id']}/reschedule",
            json={"starts_at": starts_at, "advisor_id": retailer.camille},
            headers=staff_key,
        )
        assert moved.status_code == 409, (starts_at, moved.text)
        fresh = _book(
            client,
            staff_key,
            _slot(retailer.styling, starts_at, advisor_id=retailer.camille),
            person=_person("Bob"),
        )
        assert fresh.status_code == 409, (starts_at, fresh.text)
    # Moving it to end with its buffer when her leave begins is fine: its own old time counts as free
    earlier = client.post(
        f"/v1/appointments/{booked['id']}/reschedule",
        json={"starts_at": "2027-03-23T10:05:00+01:00", "advisor_id": retailer.camille},
        headers=staff_key,
    )
    assert earlier.status_code == 200, earlier.text
    assert earlier.json()["sequence"] == 1


def test_a_fitting_moves_a_quarter_later_into_its_own_room_time(  # type: ignore[no-untyped-def]
    client: TestClient, retailer: Retailer, staff_key
) -> None:
    # One fitting room, booked 11:00–11:30: moving the fitting to 11:15 overlaps only its own time
    booked = _book(client, staff_key, _slot(retailer.fitting, TUESDAY_11), person=_person("Ana")).json()
    assert booked["resource_id"] == retailer.room
    moved = client.post(
        f"/v1/appointments/{booked['id']}/reschedule",
        json={"starts_at": "2027-03-23T11:15:00+01:00"},
        headers=staff_key,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["resource_id"] == retailer.room
    # and the room's 11:00 is free again, 11:30 not
    assert (
        _book(
            client, staff_key, _slot(retailer.fitting, "2027-03-23T10:45:00+01:00"), person=_person("Bob")
        ).status_code
        == 201
    )
    assert (
        _book(
            client, staff_key, _slot(retailer.fitting, "2027-03-23T11:30:00+01:00"), person=_person("Chloé")
        ).status_code
        == 409
    )
