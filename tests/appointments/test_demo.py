"""The demo's appointments: services named in French and English, rooms, advisors in the shops offering
appointments (inside their opening hours), bookings of demo customers ahead of the real clock and inside
the shops' hours — and a second load adding nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from comptoir.appointments import demo, importer, schedule_text
from comptoir.appointments import service as appointments
from comptoir.appointments.models import Advisor, Appointment, Resource, Service
from comptoir.appointments.policies import WEEKDAYS, parse_hhmm
from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.models import StaffPerson
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.domains import declaration
from comptoir.stores import service as stores

TABLES = (Service, Resource, Advisor, Appointment, StaffPerson)


def _load(db: Database, settings: Settings, *names: str) -> None:
    for name in names:
        with UnitOfWork(db) as uow:
            declaration(name).load_demo(uow, settings)
            uow.commit()


def _counts(db: Database) -> list[int]:
    with db.engine.connect() as conn:
        return [int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in TABLES]


@pytest.fixture
def loaded(db: Database, settings: Settings) -> Database:
    _load(db, settings, "stores", "customers", "appointments")
    return db


def test_the_services_are_named_in_french_and_english_with_the_rooms_they_need(loaded: Database) -> None:
    with UnitOfWork(loaded, read_only=True) as uow:
        services = {s.code: s for s in appointments.list_services(uow)}
        rooms = appointments.list_resources(uow)
    assert sorted(services) == sorted(code for code, *_ in demo.SERVICES)
    assert services["essayage-prive"].names.fr == "Essayage privé"
    assert services["consultation-video"].names.en == "Live video consultation"
    assert all(
        s.names.fr and s.names.en and s.descriptions.fr and s.descriptions.en for s in services.values()
    )
    assert services["atelier-groupe"].capacity == 8
    video = services["consultation-video"]
    assert (video.location, video.resource_kind, "live" in video.channels) == ("virtual", "studio", True)
    kinds = {(r.place_id, r.kind) for r in rooms}
    assert {(p, "fitting_room") for p in demo.SHOPS} <= kinds
    assert {(demo.RIVOLI, "studio"), (demo.LYON, "studio")} <= kinds
    for s in services.values():  # every room a service needs is in each of its shops
        if s.resource_kind and s.location == "places":
            assert {(p, s.resource_kind) for p in s.place_ids} <= kinds, s.code


def test_each_shop_has_two_to_four_advisors_working_inside_its_opening_hours(loaded: Database) -> None:
    with UnitOfWork(loaded, read_only=True) as uow:
        advisors = appointments.list_advisors(uow)
        people = {
            p.id: (p.role, p.shops, p.name, p.email, p.password_hash)
            for p in uow.session.scalars(select(StaffPerson))
        }
        places = importer.load_places(uow)
    for shop in demo.SHOPS:
        assert 2 <= sum(1 for a in advisors if shop in a.place_ids) <= 4, shop
    for a in advisors:
        role, shops, name, email, password_hash = people[a.id]
        assert (role, shops, name) == ("advisor", sorted(a.place_ids), a.name)
        assert email.endswith("@comptoir.localhost") and password_hash is None
        for place_id in a.place_ids:
            weekly: dict[int, list[schedule_text.TextRange]] = {}
            for r in a.weekly:
                if r.place_id == place_id:
                    weekly.setdefault(WEEKDAYS.index(r.day), []).append(
                        schedule_text.TextRange(parse_hhmm(r.start), parse_hhmm(r.end), place_id)
                    )
            assert weekly, (a.name, place_id)
            assert schedule_text.outside_opening(weekly, places.opening[place_id]) == [], a.name


def test_every_service_is_offered_in_the_coming_fortnight(loaded: Database) -> None:
    tomorrow = clock.now().date() + timedelta(days=1)
    with UnitOfWork(loaded, read_only=True) as uow:
        for s in appointments.list_services(uow):
            query = appointments.SlotQuery(s.id, tomorrow, days=14, places_limit=20)
            found = appointments.search_slots(uow, query, "system", clock.now())
            offered = {p.place_id for p in found.places if any(d.times for d in p.days)}
            wanted = set(s.place_ids) if s.location == "places" else {demo.RIVOLI, demo.LYON}
            assert offered == wanted, s.code


def test_the_bookings_are_ahead_inside_opening_hours_and_a_second_load_adds_nothing(
    loaded: Database, settings: Settings
) -> None:
    now = clock.now()
    with UnitOfWork(loaded, read_only=True) as uow:
        booked = appointments.list_appointments(uow)
        opening = {a.id: stores.opening_status(uow, [a.place_id], a.starts_at)[a.place_id] for a in booked}
    assert len(booked) >= len(demo.BOOKINGS) - 2  # a shop closed on the chosen days may drop one
    channels = {a.channel for a in booked}
    assert {"web", "app", "call-centre", f"store:{demo.RIVOLI}"} <= channels
    for a in booked:
        assert a.status == "booked" and a.customer_id is not None
        assert a.starts_at > now
        status = opening[a.id]
        assert status.open and status.closes_at is not None and a.ends_at <= status.closes_at, a
    workshop = [a for a in booked if a.service_code == "atelier-groupe"]
    assert len(workshop) == 3 and len({(a.starts_at, a.advisor_id) for a in workshop}) == 1
    assert len({a.customer_id for a in workshop}) == 3

    before = _counts(loaded)
    _load(loaded, settings, "appointments")
    assert _counts(loaded) == before
