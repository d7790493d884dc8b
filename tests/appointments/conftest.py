"""A small retailer taking appointments: two Paris shops and one in Marseille, three advisors, a 1:1
styling service with buffers, a workshop of 8 seats, a fitting that needs a fitting room; the clock is
fixed on Monday 22 March 2027, 08:00 UTC (09:00 in Paris, a week before the spring clock change)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AdvisorIn, ResourceIn, ServiceIn
from comptoir.core import clock, staff
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from tests.conftest import make_key
from tests.stores.factories import place_in
from tests.support.staff import make_person

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)
RIVOLI, OPERA, MARSEILLE = "st_paris_rivoli", "st_paris_opera", "st_marseille"
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


@dataclass
class Retailer:
    styling: str
    workshop: str
    fitting: str
    camille: str
    hugo: str
    lea: str
    room: str


def week(place_id: str, start: str = "10:00", end: str = "19:00") -> list[dict[str, str]]:
    return [{"day": d, "start": start, "end": end, "place_id": place_id} for d in WEEK]


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Advisors are staff people with passwords: hashed here with argon2's cheapest settings (a hash
    names its own settings, so signing in still verifies), which saves a second per retailer built."""
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def fixed_clock() -> Iterator[datetime]:
    clock.set_clock(lambda: NOW)
    yield NOW
    clock.set_clock(None)


def build(db: Database) -> Retailer:
    people = {
        name: make_person(db, Role.ADVISOR, [place], email=f"{name}@comptoir.example")
        for name, place in (("camille", RIVOLI), ("hugo", RIVOLI), ("lea", MARSEILLE))
    }
    with UnitOfWork(db) as uow:
        stores.create_place(uow, place_in(RIVOLI, name="Comptoir Rivoli", latitude=48.8606, longitude=2.3376))
        stores.create_place(uow, place_in(OPERA, name="Comptoir Opéra", latitude=48.8719, longitude=2.3316))
        stores.create_place(
            uow,
            place_in(
                MARSEILLE,
                name="Comptoir Marseille",
                address={
                    "lines": ["1 La Canebière"],
                    "postal_code": "13001",
                    "locality": "Marseille",
                    "region": "Provence-Alpes-Côte d'Azur",
                },
                latitude=43.2965,
                longitude=5.3698,
            ),
        )
        styling = appointments.create_service(
            uow,
            ServiceIn(
                code="conseil-style",
                kind="styling",
                names={"fr": "Conseil en style", "en": "Styling advice"},
                duration_min=45,
                buffer_before_min=5,
                buffer_after_min=10,
                channels=["web", "app", "store", "call-centre"],
                skills=["styling"],
                languages=["fr", "en"],
                location="places",
                place_ids=[RIVOLI, OPERA, MARSEILLE],
                min_notice_min=60,
                cancel_cutoff_min=24 * 60,
            ),
        )
        workshop = appointments.create_service(
            uow,
            ServiceIn(
                code="atelier-noeud",
                kind="workshop",
                names={"fr": "Atelier nœud de cravate", "en": "Tie knot workshop"},
                duration_min=60,
                capacity=8,
                channels=["web", "store"],
                skills=["styling"],
                languages=["fr"],
                location="places",
                place_ids=[RIVOLI],
                min_notice_min=0,
            ),
        )
        fitting = appointments.create_service(
            uow,
            ServiceIn(
                code="essayage",
                kind="fitting",
                names={"fr": "Essayage privé", "en": "Private fitting"},
                duration_min=30,
                channels=["store"],
                languages=["fr"],
                location="places",
                place_ids=[RIVOLI],
                resource_kind="fitting_room",
                min_notice_min=0,
            ),
        )
        room = appointments.create_resource(
            uow, ResourceIn(place_id=RIVOLI, kind="fitting_room", name="Cabine 1")
        )
        for name, place, languages in (
            ("camille", RIVOLI, ["fr", "en"]),
            ("hugo", RIVOLI, ["fr"]),
            ("lea", MARSEILLE, ["fr"]),
        ):
            appointments.put_advisor(
                uow,
                people[name].id,
                AdvisorIn(skills=["styling"], languages=languages, place_ids=[place], weekly=week(place)),
            )
        uow.commit()
    return Retailer(
        styling=styling.id,
        workshop=workshop.id,
        fitting=fitting.id,
        camille=people["camille"].id,
        hugo=people["hugo"].id,
        lea=people["lea"].id,
        room=room.id,
    )


@pytest.fixture
def retailer(db: Database, fixed_clock: datetime) -> Retailer:
    return build(db)


@pytest.fixture
def staff_key(db: Database) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_key(db, ['*'])}"}


@pytest.fixture
def web_key(db: Database) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {make_key(db, ['appointments:write', 'customers:write'], channel='web')}"
    }
