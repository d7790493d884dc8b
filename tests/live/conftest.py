"""The order tests' retailer (:mod:`tests.orders.conftest`: a warehouse, shops in Paris and Marseille,
linen and silk dresses in stock and priced) with a live video studio at Rivoli: the live service
(``consultation-video``), two of its advisors (Anne speaks French and English, Bruno French) and a stylist
who is not one of them; the clock starts on Monday 22 March 2027, 10:00 UTC (11:00 in Paris)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AdvisorIn, ServiceIn
from comptoir.core import clock, staff
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from tests.conftest import make_key
from tests.orders.conftest import LIN_M, LIN_S, SOIE_S, _fresh_rules, marie, shop, stocked
from tests.support.staff import make_person, open_session

NOW = datetime(2027, 3, 22, 10, 0, tzinfo=UTC)
RIVOLI = "st_paris_rivoli"
WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
__all__ = ["LIN_M", "LIN_S", "NOW", "SOIE_S", "_fresh_rules", "marie", "shop", "stocked"]


@dataclass
class Studio:
    service: str
    anne: str
    bruno: str
    stylist: str
    tokens: dict[str, str]  # staff session tokens by name
    key: str  # the live channel's publishable key

    def staff(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    @property
    def shopper(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def moving_clock() -> Iterator[Clock]:
    c = Clock(NOW)
    clock.set_clock(c)
    yield c
    clock.set_clock(None)


def week(place_id: str) -> list[dict[str, str]]:
    return [{"day": d, "start": "10:00", "end": "19:00", "place_id": place_id} for d in WEEK]


def build(db: Database) -> Studio:
    people = {
        name: make_person(db, Role.ADVISOR, [RIVOLI], email=f"{name}@comptoir.example")
        for name in ("anne", "bruno", "stylist")
    }
    with UnitOfWork(db) as uow:
        service = appointments.create_service(
            uow,
            ServiceIn(
                code="consultation-video",
                kind="video",
                names={"fr": "Consultation vidéo en direct", "en": "Live video consultation"},
                duration_min=30,
                channels=["web", "app", "live"],
                skills=["video"],
                languages=["fr", "en"],
                location="virtual",
                min_notice_min=0,
            ),
        )
        for name, skills, languages in (
            ("anne", ["video", "styling"], ["fr", "en"]),
            ("bruno", ["video"], ["fr"]),
            ("stylist", ["styling"], ["fr", "en"]),
        ):
            appointments.put_advisor(
                uow,
                people[name].id,
                AdvisorIn(skills=skills, languages=languages, place_ids=[RIVOLI], weekly=week(RIVOLI)),
            )
        uow.commit()
    tokens = {name: open_session(db, person).token for name, person in people.items()}
    key = make_key(
        db, ["live:write", "carts:write", "orders:write", "catalog:read", "customers:write"], channel="live"
    )
    return Studio(service.id, people["anne"].id, people["bruno"].id, people["stylist"].id, tokens, key)


@pytest.fixture
def studio(stocked: Database, moving_clock: Clock) -> Studio:
    return build(stocked)


def ask(client: Any, studio: Studio, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/live/requests", json={"topic": "robe", **body}, headers=studio.shopper)
    assert response.status_code == 201, response.text
    return dict(response.json())


def available(client: Any, studio: Studio, name: str, status: str = "available") -> dict[str, Any]:
    response = client.put("/v1/live/presence/me", json={"status": status}, headers=studio.staff(name))
    assert response.status_code == 200, response.text
    return dict(response.json())


def offers(client: Any, studio: Studio, name: str) -> list[str]:
    response = client.get("/v1/live/offers/me", headers=studio.staff(name))
    assert response.status_code == 200, response.text
    return [o["request_id"] for o in response.json()]


def ticket(request: dict[str, Any]) -> dict[str, str]:
    return {"X-Live-Ticket": request["ticket"]}
