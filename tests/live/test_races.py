"""Races on PostgreSQL, threads released at once on their own connections: routers running together in
several processes never offer one customer to two advisors nor two customers to one advisor; an offer
accepted twice at once (two tabs, a double click) starts one session; customers asking together are each
offered once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from comptoir.core.db import Database
from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.live import service
from comptoir.live.models import Request, Session
from comptoir.live.schemas import TalkNowIn
from tests.live.conftest import Studio, available
from tests.support.concurrency import race


@pytest.fixture(autouse=True)
def _postgres_only(db: Database) -> None:
    if not db.is_postgres:
        pytest.skip("PostgreSQL only: SQLite has one writer at a time")


def _ask(db: Database, settings, n: int) -> str:  # type: ignore[no-untyped-def]
    from comptoir.core.context import Actor

    with UnitOfWork(db) as uow:
        out, _ = service.ask(
            uow, TalkNowIn(topic="robe", language="fr"), Actor(kind="publishable", channel="live"), settings
        )
        uow.commit()
    return out.id


def _offers(db: Database) -> dict[str, str]:
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.execute(
            select(Request.id, Request.offered_to).where(Request.status == "offered")
        ).all()
    return {r: a for r, a in rows}


def test_routers_running_together_make_each_offer_once(client, db, settings, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    # five customers wait while nobody is available; then both advisors become available and eight
    # routers (the job in several processes, the presence changes) run at the same instant
    waiting = [_ask(db, settings, n) for n in range(5)]
    with UnitOfWork(db) as uow:
        for advisor in (studio.anne, studio.bruno):
            from comptoir.core import clock
            from comptoir.live.models import Presence

            now = clock.now()
            uow.session.add(
                Presence(
                    advisor_id=advisor, status="available", heartbeat_at=now, changed_at=now, idle_since=now
                )
            )
        uow.commit()

    def route(_: int) -> int:
        with UnitOfWork(db) as uow:
            told = service.route(uow)
            uow.commit()
        return len(told)

    results = race(8, route)
    assert not [r for r in results if isinstance(r, Exception)], results
    offers = _offers(db)
    assert len(offers) == 2 and set(offers) <= set(waiting)
    assert sorted(offers.values()) == sorted((studio.anne, studio.bruno))  # one customer each


def test_an_offer_accepted_twice_at_once_starts_one_session(client, db, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    request = client.post("/v1/live/requests", json={"topic": "robe"}, headers=studio.shopper).json()

    def accept(_: int) -> str:
        with UnitOfWork(db) as uow:
            out, _ = service.accept(uow, studio.anne, request["id"])
            uow.commit()
        return out.id

    results = race(6, accept)
    sessions = [r for r in results if isinstance(r, str)]
    assert len(sessions) == 1, results
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, str))
    with UnitOfWork(db, read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Session)) == 1


def test_customers_asking_together_are_each_offered_at_most_once(
    client, db, settings, studio: Studio
) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    available(client, studio, "bruno")
    results = race(10, lambda n: _ask(db, settings, n))
    assert not [r for r in results if isinstance(r, Exception)], results
    # never two customers for one advisor (a router that found both advisors locked by another offered
    # nobody: its customer waits for the next pass)
    assert max(Counter(_offers(db).values()).values()) == 1
    with UnitOfWork(db) as uow:  # the routing job's next pass
        service.route(uow)
        uow.commit()
    offers = _offers(db)
    assert len(offers) == 2  # two advisors: two offers, the eight others wait
    assert Counter(offers.values()) == Counter({studio.anne: 1, studio.bruno: 1})
