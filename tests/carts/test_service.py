"""Carts as other domains and the worker see them: the contract, abandonment, customers merged or
erased, the 360° section."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from comptoir.carts import jobs, service
from comptoir.carts.config import CartSettings
from comptoir.carts.models import Cart
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.errors import Problem
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from comptoir.pricing import service as pricing
from tests.carts.conftest import LIN_S, SOIE_M, SOIE_S, STORE, headers
from tests.catalog.conftest import recorded
from tests.conftest import make_key

TABLET = Actor(key_id="key_tablet", channel=f"store:{STORE}", scopes=frozenset({"*"}))
WEB = Actor(key_id="key_web", channel="web", scopes=frozenset({"*"}))
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> Iterator[list[datetime]]:
    now = [T0]
    clock.set_clock(lambda: now[0])
    yield now
    clock.set_clock(None)


def start(db, actor: Actor, customer_id: str | None, *lines: tuple[str, int]) -> str:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, actor) as uow:
        out, _ = service.create_cart(
            uow, CartIn(customer_id=customer_id, lines=[LineIn(sku=s, quantity=q) for s, q in lines])
        )
        uow.commit()
    return out.id


def test_get_cart_is_priced_and_refuses_an_unpriceable_cart(db, marie) -> None:  # type: ignore[no-untyped-def]
    cart_id = start(db, TABLET, marie, (LIN_S, 2))
    with UnitOfWork(db, TABLET) as uow:
        cart = service.get_cart(uow, cart_id)
    assert cart.customer_id == marie and cart.channel_started == f"store:{STORE}"
    assert [(x.sku, x.quantity, x.channel_added) for x in cart.lines] == [(LIN_S, 2, f"store:{STORE}")]
    assert cart.priced is not None and str(cart.priced.total) == "110.00"
    assert cart.priced.lines[0].line_id == cart.lines[0].line_id

    # when the silk dress (no shop price) … SOIE_M has a base price; remove it, the cart cannot be priced
    with UnitOfWork(db) as uow:
        from comptoir.pricing.schemas import PriceIn, PricesIn

        service.add_line(uow, cart_id, LineIn(sku=SOIE_M, quantity=1))
        pricing.set_prices(uow, "base", PricesIn(prices=[PriceIn(sku=SOIE_M, amount=None)]))
        uow.commit()
    with UnitOfWork(db, TABLET) as uow:
        with pytest.raises(Problem) as refused:
            service.get_cart(uow, cart_id)
        assert refused.value.slug == "sku-not-priced"
        shown = service.read_cart(uow, cart_id)
    assert shown.priced is None and shown.pricing_problem is not None and SOIE_M in shown.pricing_problem


def test_order_cart_converts_once_and_applies_the_access_rules(db, marie) -> None:  # type: ignore[no-untyped-def]
    # given an anonymous web cart (version 1) and its token
    with UnitOfWork(db, WEB) as uow:
        created, _ = service.create_cart(uow, CartIn(lines=[LineIn(sku=LIN_S, quantity=2)]))
        uow.commit()
    token = created.cart_token
    assert token is not None

    # a web key without the token does not reach it (404), and nothing changes
    with pytest.raises(Problem) as hidden, UnitOfWork(db, WEB) as uow:
        service.order_cart(uow, created.id, "ord_1")
    assert hidden.value.status == 404

    # when the checkout converts it with the token
    with UnitOfWork(db, WEB) as uow:
        cart = service.order_cart(uow, created.id, "ord_1", token)
        uow.commit()
    # then it comes back ordered, one version on, with its lines and unpriced; one cart_ordered is recorded
    assert (cart.status, cart.order_id, cart.version, cart.priced) == ("ordered", "ord_1", 2, None)
    assert [(x.sku, x.quantity) for x in cart.lines] == [(LIN_S, 2)]
    [fact] = recorded(db, "carts.cart_ordered")
    assert (fact["cart_id"], fact["order_id"], fact["items_count"], fact["channel"]) == (
        created.id,
        "ord_1",
        2,
        "web",
    )

    # the same order again is a replay (no second event); another order is refused
    with UnitOfWork(db, WEB) as uow:
        assert service.order_cart(uow, created.id, "ord_1", token).version == 2
        service.mark_ordered(uow, created.id, "ord_1")
        uow.commit()
    assert len(recorded(db, "carts.cart_ordered")) == 1
    with pytest.raises(Problem) as closed, UnitOfWork(db, WEB) as uow:
        service.order_cart(uow, created.id, "ord_2", token)
    assert (closed.value.slug, closed.value.extensions) == (
        "cart-closed",
        {"cart_id": created.id, "state": "ordered", "order_id": "ord_1"},
    )
    with pytest.raises(Problem) as missing, UnitOfWork(db, WEB) as uow:
        service.mark_ordered(uow, "cart_missing", "ord_3")
    assert missing.value.status == 404


def test_mark_ordered_refreshes_a_cart_already_loaded(db, marie) -> None:  # type: ignore[no-untyped-def]
    cart_id = start(db, TABLET, marie, (LIN_S, 1))
    with UnitOfWork(db, TABLET) as uow:
        loaded = uow.session.get(Cart, cart_id)
        assert loaded is not None and loaded.status == "open"
        service.mark_ordered(uow, cart_id, "ord_1")
        assert (loaded.status, loaded.order_id, loaded.version) == ("ordered", "ord_1", 2)


def test_untouched_carts_are_marked_abandoned_and_a_change_reopens_them(db, marie, frozen) -> None:  # type: ignore[no-untyped-def]
    # given Marie's cart changed at 10:00, an empty anonymous cart, and a cart changed at 10:45
    cart_id = start(db, TABLET, marie, (LIN_S, 1), (SOIE_S, 2))
    start(db, WEB, None)
    frozen[0] = T0 + timedelta(minutes=45)
    recent = start(db, WEB, None, (SOIE_S, 1))

    # when the job runs at 11:00 with a 60-minute delay
    frozen[0] = T0 + timedelta(minutes=60)
    job = jobs.jobs(Settings(), CartSettings(abandoned_after_minutes=60))[0]
    with UnitOfWork(db) as uow:
        job.run(uow)
        uow.commit()

    # then only Marie's cart is abandoned, once, with what a journey needs
    assert job.name == "carts.abandon_idle_carts"
    events = recorded(db, "carts.cart_abandoned")
    assert events == [
        {
            "cart_id": cart_id,
            "customer_id": marie,
            "channel": f"store:{STORE}",
            "currency": "EUR",
            "lines_count": 2,
            "items_count": 3,
            "total": "233.00",
            "channel_started": f"store:{STORE}",
            "skus": [LIN_S, SOIE_S],
            "idle_seconds": 3600,
        }
    ]
    with UnitOfWork(db) as uow:
        job.run(uow)
        uow.commit()
        assert service.get_cart(uow, cart_id).status == "abandoned"
        assert service.get_cart(uow, recent).status == "open"
    assert len(recorded(db, "carts.cart_abandoned")) == 1

    # and when Marie comes back on the website, the change re-opens it
    with UnitOfWork(db, Actor(key_id="k", channel="web", scopes=frozenset({"*"}), customer_id=marie)) as uow:
        current = service.current_cart(uow)
        assert current is not None and current.id == cart_id and current.status == "abandoned"
        out = service.add_line(uow, cart_id, LineIn(sku=LIN_S, quantity=1))
        uow.commit()
    assert out.status == "open" and out.version == 2


def test_the_env_configures_the_abandonment_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTOIR_CARTS_ABANDONED_AFTER_MINUTES", "30")
    monkeypatch.setenv("COMPTOIR_CARTS_ABANDONMENT_CHECK_SECONDS", "15")
    assert CartSettings().abandoned_after_minutes == 30
    assert jobs.jobs(Settings())[0].every_seconds == 15


def test_merged_customers_keep_one_open_cart(client, db, marie, store_key, dispatcher) -> None:  # type: ignore[no-untyped-def]
    # given Marie's cart from the shop and a duplicate Marie's cart from the app
    with UnitOfWork(db) as uow:
        duplicate = customers.ingest(
            uow,
            "app",
            CustomerRecord(given_name="M.", family_name="Curie-Sklodowska", email="m.sklodowska@example.org"),
        ).customer_id
        uow.commit()
    assert duplicate != marie
    mine = start(db, TABLET, marie, (LIN_S, 1))
    app = Actor(key_id="key_app", channel="app", scopes=frozenset({"*"}), customer_id=duplicate)
    theirs = start(db, app, None, (LIN_S, 1), (SOIE_S, 1))

    # when staff merge the duplicate into Marie
    admin = headers(make_key(db, ["*"]))
    merged = client.post(
        "/v1/customers/merges", json={"survivor_id": marie, "merged_ids": [duplicate]}, headers=admin
    )
    assert merged.status_code == 201, merged.text
    dispatcher.drain()

    # then Marie has one open cart, hers, holding both; the other is closed as merged into it
    with UnitOfWork(db) as uow:
        cart = service.get_cart(uow, mine)
        other = service.get_cart(uow, theirs)
    assert [(x.sku, x.quantity, x.channel_added) for x in cart.lines] == [
        (LIN_S, 2, f"store:{STORE}"),
        (SOIE_S, 1, "app"),
    ]
    assert other.status == "merged" and other.merged_into == mine and other.customer_id == marie
    assert [(e["cart_id"], e["merged_cart_id"], e["reason"]) for e in recorded(db, "carts.cart_merged")] == [
        (mine, theirs, "customers_merged")
    ]

    # and the duplicate's customer token, issued before the merge, reaches the surviving cart
    with UnitOfWork(db, app) as uow:
        current = service.current_cart(uow)
        assert current is not None and current.id == mine
        assert service.read_cart(uow, mine).id == mine


def test_an_erased_customer_s_carts_go(client, db, marie, store_key, dispatcher) -> None:  # type: ignore[no-untyped-def]
    cart_id = start(db, TABLET, marie, (LIN_S, 1))
    admin = headers(make_key(db, ["*"]))
    assert client.delete(f"/v1/customers/{marie}", headers=admin).status_code == 200
    dispatcher.drain()
    with UnitOfWork(db) as uow, pytest.raises(Problem) as gone:
        service.get_cart(uow, cart_id)
    assert gone.value.status == 404


def test_the_360_view_shows_the_open_cart(client, db, marie) -> None:  # type: ignore[no-untyped-def]
    cart_id = start(db, TABLET, marie, (LIN_S, 2))
    admin = headers(make_key(db, ["*"]))
    view = client.get(f"/v1/customers/{marie}/360", headers=admin)
    assert view.status_code == 200, view.text
    section = view.json()["sections"]["carts"]["open_cart"]
    assert section["id"] == cart_id and section["channel_started"] == f"store:{STORE}"
    # seen from the back office: priced with the channel it started on (the shops' 55.00)
    assert section["items_count"] == 2 and section["total"] == "110.00"
    assert [(x["sku"], x["name"], x["quantity"], x["channel_added"]) for x in section["lines"]] == [
        (LIN_S, "Robe en lin d'été", 2, f"store:{STORE}")
    ]
    with UnitOfWork(db) as uow:
        service.mark_ordered(uow, cart_id, "ord_1")
        uow.commit()
    assert client.get(f"/v1/customers/{marie}/360", headers=admin).json()["sections"]["carts"] == {
        "open_cart": None,
        "wishlist": [],
    }


def test_stale_anonymous_and_merged_carts_are_purged(db, marie, frozen) -> None:  # type: ignore[no-untyped-def]
    # given, 31 days ago, an anonymous cart, another merged into Marie's at sign-in, and Marie's cart
    forgotten = start(db, WEB, None, (LIN_S, 1))
    mine = start(db, TABLET, marie, (LIN_S, 1))
    with UnitOfWork(db, WEB) as uow:
        anonymous, _ = service.create_cart(uow, CartIn(lines=[LineIn(sku=SOIE_S, quantity=1)]))
        assert anonymous.cart_token is not None
        merged = service.merge_anonymous(uow, marie, anonymous.cart_token)
        uow.commit()
    assert merged is not None and merged.merged_cart_id == anonymous.id

    # and a recent anonymous cart
    frozen[0] = T0 + timedelta(days=31)
    recent = start(db, WEB, None, (LIN_S, 1))

    # when the purge job runs with a 30-day retention
    job = jobs.jobs(Settings(), CartSettings(stale_after_days=30))[1]
    assert job.name == "carts.purge_stale_carts"
    with UnitOfWork(db) as uow:
        job.run(uow)
        uow.commit()

    # then the forgotten and merged carts are gone; Marie's and the recent anonymous one stay
    with UnitOfWork(db) as uow:
        assert set(uow.session.scalars(select(Cart.id))) == {mine, recent}
        assert [x.sku for x in service.get_cart(uow, mine).lines] == [LIN_S, SOIE_S]
    assert forgotten not in (mine, recent)
