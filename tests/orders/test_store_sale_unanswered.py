"""A store sale whose shopper never answers the bank's 3-D Secure challenge: once older than a checkout
hold lasts, the orders job cancels it (stock released, card voided), in batches, once even when two
workers run it at the same time; a younger sale, or one the bank has answered for, is not cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import service as inventory
from comptoir.orders import jobs, service
from comptoir.orders.store_sales import cancel_unanswered
from tests.catalog.conftest import recorded
from tests.orders.conftest import LIN_S, RIVOLI, checkout, levels, new_cart
from tests.orders.test_store_sale_3ds import CARD_3DS, SYSTEM, _bank
from tests.storefront.conftest import deliver_sandbox_events
from tests.support.concurrency import race

HOLD = inventory.hold_lifetime("checkout")
assert HOLD is not None


@pytest.fixture()
def moments() -> Iterator[list[datetime]]:
    """The clock, frozen at ``moments[0]`` (moved by the test)."""
    now = [clock.now()]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


def _sale(client: Any, rivoli: dict[str, str]) -> dict[str, Any]:
    cart = new_cart(client, rivoli, [(LIN_S, 1)])
    response = checkout(client, rivoli, cart, mode="store_sale", tenders=[CARD_3DS])
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "placed"
    return dict(response.json())


def _run_job(db: Database) -> None:
    [job] = [j for j in jobs.jobs(get_settings()) if j.name == "orders.cancel_unanswered_store_sales"]
    with UnitOfWork(db, SYSTEM) as uow:
        job.run(uow)
        uow.commit()


def _cancelled(db: Database) -> list[str]:
    return [e["reason"] for e in recorded(db, "orders.order_cancelled")]


def test_an_unanswered_sale_is_cancelled_once_a_checkout_hold_would_have_lapsed(
    client: Any, stocked: Database, rivoli: dict[str, str], moments: list[datetime]
) -> None:
    sale = _sale(client, rivoli)
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 1)
    # while the hold lasts, the shopper may still answer: the job leaves the sale waiting
    moments[0] += HOLD - timedelta(seconds=1)
    _run_job(stocked)
    with UnitOfWork(stocked) as uow:
        assert service.get_order(uow, sale["id"]).status == "placed"
    # when the shopper has still not answered once the hold's lifetime has passed
    moments[0] += timedelta(seconds=2)
    _run_job(stocked)
    # then the sale is cancelled as a refused card cancels it: stock back on sale, card voided
    with UnitOfWork(stocked) as uow:
        order = service.get_order(uow, sale["id"])
    assert (order.status, order.payment_status) == ("cancelled", "voided")
    assert [f.status for f in order.fulfilments] == ["cancelled"]
    assert [p.state for p in order.payments] == ["voided"]
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
    assert _cancelled(stocked) == ["payment not confirmed in time"]
    # and running the job again does nothing more
    _run_job(stocked)
    assert _cancelled(stocked) == ["payment not confirmed in time"]


def test_the_job_works_in_batches_oldest_first(
    client: Any, stocked: Database, rivoli: dict[str, str], moments: list[datetime]
) -> None:
    first = _sale(client, rivoli)
    moments[0] += timedelta(minutes=1)
    second = _sale(client, rivoli)
    moments[0] += HOLD + timedelta(minutes=1)
    with UnitOfWork(stocked, SYSTEM) as uow:
        assert cancel_unanswered(uow, limit=1) == 1
        uow.commit()
    with UnitOfWork(stocked) as uow:
        assert service.get_order(uow, first["id"]).status == "cancelled"
        assert service.get_order(uow, second["id"]).status == "placed"
    with UnitOfWork(stocked, SYSTEM) as uow:
        assert cancel_unanswered(uow, limit=1) == 1
        assert cancel_unanswered(uow, limit=1) == 0
        uow.commit()
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)


def test_a_sale_the_bank_answered_for_is_settled_not_cancelled(
    client: Any, stocked: Database, rivoli: dict[str, str], moments: list[datetime]
) -> None:
    sale = _sale(client, rivoli)
    _bank(sale, "success")
    deliver_sandbox_events(client)  # the card is authorised; orders' handler has not run yet
    # when the job runs first (the hold not yet released by inventory)
    moments[0] += HOLD + timedelta(minutes=1)
    with UnitOfWork(stocked, SYSTEM) as uow:
        assert cancel_unanswered(uow) == 1
        uow.commit()
    # then the shopper's paid sale is completed, as the bank's answer says
    with UnitOfWork(stocked) as uow:
        order = service.get_order(uow, sale["id"])
    assert (order.status, order.payment_status) == ("completed", "paid")
    assert _cancelled(stocked) == []


@pytest.mark.postgres
def test_two_workers_running_the_job_at_once_cancel_a_sale_once(
    client: Any, stocked: Database, rivoli: dict[str, str], moments: list[datetime]
) -> None:
    sale = _sale(client, rivoli)
    moments[0] += HOLD + timedelta(minutes=1)

    def work(_: int) -> int:
        with UnitOfWork(stocked, SYSTEM) as uow:
            done = cancel_unanswered(uow)
            uow.commit()
        return done

    assert sorted(race(2, work)) == [0, 1]
    with UnitOfWork(stocked) as uow:
        assert service.get_order(uow, sale["id"]).status == "cancelled"
    assert _cancelled(stocked) == ["payment not confirmed in time"]
    assert levels(stocked, LIN_S)[RIVOLI] == (2, 0)
