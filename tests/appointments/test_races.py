"""Races on PostgreSQL through two real API processes sharing one database: the claims (a row per
5-minute bucket, inserted with ON CONFLICT DO NOTHING) and the workshop's guarded seat update make double
booking impossible whichever process each client reaches.

The servers run on the real clock: the slots are on the next working days a little ahead of today."""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select, text

from comptoir.appointments import service as appointments
from comptoir.appointments.models import Appointment, Claim, Session
from comptoir.appointments.schemas import BookIn, SlotIn
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from tests.appointments.conftest import RIVOLI, Retailer, build
from tests.conftest import make_key
from tests.support.concurrency import race
from tests.support.processes import launch_server, stop, wait_ready

pytestmark = pytest.mark.postgres

PARIS = ZoneInfo("Europe/Paris")
SERVERS = 2


@pytest.fixture(scope="module")
def servers(database: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two API processes on the test database, started together once for this file's tests."""
    if not database.is_postgres:
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")
    logs = tmp_path_factory.mktemp("appointment-servers")
    started: list[tuple[subprocess.Popen[bytes], str]] = []
    try:
        for i in range(SERVERS):
            started.append(launch_server(database.url, logs / f"server-{i}.log"))
        for i, (proc, base) in enumerate(started):
            wait_ready(proc, base, logs / f"server-{i}.log", wait_seconds=90)
        yield [base for _, base in started]
    finally:
        for proc, _ in started:
            stop(proc)


def working_days(count: int) -> list[date]:
    """The next ``count`` days the shop and its advisors work (Monday to Saturday), from the day after
    tomorrow in Paris: far enough for the hour's notice, well inside the 60 days offered."""
    day = datetime.now(PARIS).date() + timedelta(days=2)
    out = []
    while len(out) < count:
        if day.weekday() < 6:
            out.append(day)
        day += timedelta(days=1)
    return out


def paris(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS).isoformat()


def clients(bases: list[str], headers: dict[str, str], count: int) -> list[httpx.Client]:
    """One HTTP client per racer, alternating between the servers, connected before the race."""
    out = []
    for i in range(count):
        http = httpx.Client(base_url=bases[i % len(bases)], headers=headers, timeout=60)
        assert http.get("/readyz").status_code == 200
        out.append(http)
    return out


def statuses(results: list[Any]) -> Counter[int]:
    for r in results:
        if isinstance(r, Exception):
            raise r
    return Counter(r.status_code for r in results)


def assert_refusals_are_problems(results: list[httpx.Response]) -> None:
    for r in results:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith("application/problem+json"), r.text
            assert r.json()["status"] == 409 and r.json()["type"].endswith(":slot-unavailable")


def assert_no_overlapping_blocks(db: Database) -> None:
    """No advisor has two live appointments whose blocks (with buffers) overlap — a workshop's seats
    share their session's block — and every live appointment's time is claimed, bucket by bucket."""
    with db.engine.connect() as conn:
        overlaps = conn.execute(
            text(
                """
                SELECT a.id, b.id
                FROM appointments_appointments a
                JOIN appointments_appointments b
                  ON a.advisor_id = b.advisor_id AND a.id < b.id
                 AND a.block_start < b.block_end AND b.block_start < a.block_end
                WHERE a.status IN ('booked', 'checked_in') AND b.status IN ('booked', 'checked_in')
                  AND (a.session_id IS NULL OR b.session_id IS NULL OR a.session_id <> b.session_id)
                """
            )
        ).all()
        assert overlaps == []
        claimed = dict(
            conn.execute(
                select(Claim.holder_id, func.count())
                .where(Claim.subject.like("advisor:%"))
                .group_by(Claim.holder_id)
            ).all()
        )
        live = conn.execute(
            select(
                Appointment.id, Appointment.session_id, Appointment.block_start, Appointment.block_end
            ).where(Appointment.status.in_(("booked", "checked_in")))
        ).all()
    for appointment_id, session_id, start, end in live:
        assert claimed.get(session_id or appointment_id) == (end - start) // timedelta(minutes=5)


@pytest.fixture
def retailer_now(db: Database) -> Retailer:
    """The retailer of the other tests, built on the real clock (the servers'); no frozen time here."""
    return build(db)


def test_sixteen_clients_on_two_processes_booking_one_advisors_slot_get_one_booking(  # type: ignore[no-untyped-def]
    servers: list[str], db: Database, retailer_now: Retailer
) -> None:
    # Given Camille's 11:00 slot, offered to everybody
    day = working_days(1)[0]
    web = {
        "Authorization": f"Bearer {make_key(db, ['appointments:write', 'customers:write'], channel='web')}"
    }
    slot = {"service_id": retailer_now.styling, "place_id": RIVOLI, "starts_at": paris(day, 11)}
    racers = clients(servers, web, 16)
    try:
        # When sixteen customers on two API processes book it at the same instant
        results = race(
            16,
            lambda i: racers[i].post(
                "/v1/appointments",
                json={
                    "slot": {**slot, "advisor_id": retailer_now.camille},
                    "person": {"given_name": f"Client{i}", "email": f"client{i}@example.com"},
                },
            ),
        )
    finally:
        for http in racers:
            http.close()

    # Then exactly one got it; the fifteen others were told it is taken, as a problem
    assert statuses(results) == {201: 1, 409: 15}, [
        r.text for r in results if r.status_code not in (201, 409)
    ]
    assert_refusals_are_problems(results)
    winner = next(r.json() for r in results if r.status_code == 201)
    assert winner["advisor_id"] == retailer_now.camille
    with db.engine.connect() as conn:
        booked = conn.execute(select(Appointment.id).where(Appointment.status == "booked")).scalars().all()
        assert booked == [winner["id"]]
        assert conn.execute(select(func.count()).select_from(Appointment)).scalar_one() == 1
    assert_no_overlapping_blocks(db)


def test_thirty_bookers_of_a_workshop_of_eight_seats_get_eight(  # type: ignore[no-untyped-def]
    servers: list[str], db: Database, retailer_now: Retailer
) -> None:
    # Given Camille's tie knot workshop of 8 seats at 15:00, not opened yet
    day = working_days(1)[0]
    web = {
        "Authorization": f"Bearer {make_key(db, ['appointments:write', 'customers:write'], channel='web')}"
    }
    slot = {
        "service_id": retailer_now.workshop,
        "place_id": RIVOLI,
        "starts_at": paris(day, 15),
        "advisor_id": retailer_now.camille,
    }
    racers = clients(servers, web, 30)
    try:
        # When thirty people book a seat at the same instant, through two processes
        results = race(
            30,
            lambda i: racers[i].post(
                "/v1/appointments",
                json={"slot": slot, "person": {"given_name": f"Guest{i}", "email": f"guest{i}@example.com"}},
            ),
        )
    finally:
        for http in racers:
            http.close()

    # Then eight seats were sold, twenty-two refused, and the session counts eight
    assert statuses(results) == {201: 8, 409: 22}, [
        r.text for r in results if r.status_code not in (201, 409)
    ]
    assert_refusals_are_problems(results)
    seats = [r.json() for r in results if r.status_code == 201]
    with db.engine.connect() as conn:
        sessions = conn.execute(select(Session.id, Session.booked, Session.capacity)).all()
        assert [(booked, capacity) for _, booked, capacity in sessions] == [(8, 8)]
        in_session = conn.execute(
            select(Appointment.id).where(
                Appointment.session_id == sessions[0][0], Appointment.status == "booked"
            )
        ).scalars()
        assert sorted(in_session) == sorted(s["id"] for s in seats)
    assert_no_overlapping_blocks(db)


def test_a_reschedule_racing_a_booking_for_the_same_time_never_both_win(  # type: ignore[no-untyped-def]
    servers: list[str], db: Database, retailer_now: Retailer
) -> None:
    day = working_days(2)[1]
    staff = {"Authorization": f"Bearer {make_key(db, ['*'])}"}
    web = {
        "Authorization": f"Bearer {make_key(db, ['appointments:write', 'customers:write'], channel='web')}"
    }
    mover, booker = clients(servers, staff, 1)[0], clients(servers[::-1], web, 1)[0]
    camille = retailer_now.camille
    slot = {"service_id": retailer_now.styling, "place_id": RIVOLI, "advisor_id": camille}
    outcomes = []
    try:
        for round_ in range(4):
            # Given Camille's appointment at 11:00 (13:00, 15:00, 17:00), the hour after it free
            first, target = paris(day, 11 + 2 * round_), paris(day, 12 + 2 * round_)
            with UnitOfWork(db) as uow:
                existing = appointments.book(
                    uow,
                    BookIn(
                        slot=SlotIn(
                            service_id=retailer_now.styling,
                            place_id=RIVOLI,
                            starts_at=datetime.fromisoformat(first),
                            advisor_id=camille,
                        ),
                        person={"given_name": f"Moved{round_}", "email": f"moved{round_}@example.com"},
                    ),
                )
                uow.commit()
            # When the shop moves it to the next hour while a customer books that hour with Camille
            move = (
                f"/v1/appointments/{existing.id}/reschedule",
                {"starts_at": target, "advisor_id": camille},
            )
            book = (
                "/v1/appointments",
                {
                    "slot": {**slot, "starts_at": target},
                    "person": {"given_name": f"New{round_}", "email": f"new{round_}@example.com"},
                },
            )
            requests = [(mover, *move), (booker, *book)]
            results = race(
                2, lambda i, requests=requests: requests[i][0].post(requests[i][1], json=requests[i][2])
            )
            moved, booked = results
            assert not isinstance(moved, Exception) and not isinstance(booked, Exception)
            # Then exactly one of them has the hour: never both
            assert sorted((moved.status_code, booked.status_code)) in ([200, 409], [201, 409]), (
                moved.text,
                booked.text,
            )
            assert_refusals_are_problems([moved, booked])
            with db.engine.connect() as conn:
                at_target = (
                    conn.execute(
                        select(Appointment.id).where(
                            Appointment.advisor_id == camille,
                            Appointment.status == "booked",
                            Appointment.starts_at == datetime.fromisoformat(target).astimezone(UTC),
                        )
                    )
                    .scalars()
                    .all()
                )
                still = conn.execute(
                    select(Appointment.starts_at).where(Appointment.id == existing.id)
                ).scalar_one()
            if moved.status_code == 200:
                assert at_target == [existing.id]
            else:
                assert at_target == [booked.json()["id"]]
                assert still == datetime.fromisoformat(first).astimezone(UTC)  # a lost move keeps its time
            outcomes.append("moved" if moved.status_code == 200 else "booked")
    finally:
        mover.close()
        booker.close()
    assert len(outcomes) == 4
    assert_no_overlapping_blocks(db)
