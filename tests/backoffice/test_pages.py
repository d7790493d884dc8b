"""The back office's pages through the test client: each page in French and English; the dashboard's
figures equal the orders made here (two shops, two channels); a shop manager sees their shop only;
sellers, customers and anonymous visitors are refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.orders import service as orders
from comptoir.returns import service as returns
from tests.orders.conftest import (
    CARD,
    LIN_M,
    LIN_S,
    OPERA,
    PARIS_ADDRESS,
    RIVOLI,
    SOIE_M,
    SOIE_S,
    checkout,
    new_cart,
    step,
)
from tests.returns.conftest import store_sale
from tests.support.staff import sign_in_pages

PAGES = [
    "/back-office",
    "/back-office/catalogue",
    "/back-office/stores",
    "/back-office/stock",
    "/back-office/promotions",
    "/back-office/orders",
]


def money_fr(amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    return f"{int(whole):,}".replace(",", "\u202f") + f",{cents}\u00a0€"


@pytest.fixture
def sales(client, stocked, marie, web, rivoli, opera, rivoli_staff) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Four orders: Marie's click & collect at Rivoli (made ready) and home delivery on the website;
    a till sale at Rivoli (one dress brought back, wrong size) and one at Opéra."""
    cart = new_cart(client, web, [(LIN_S, 1)])
    collect = checkout(client, web, cart, mode="click_and_collect", pickup_place_id=RIVOLI).json()
    parcel = collect["fulfilments"][0]["id"]
    step(client, rivoli, parcel, "allocate")
    step(client, rivoli, parcel, "pick")
    step(client, rivoli, parcel, "ready")
    cart = new_cart(client, web, [(LIN_M, 2)])
    delivery = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    at_rivoli = store_sale(client, rivoli, [(SOIE_S, 1)])
    at_opera = store_sale(client, opera, [(SOIE_M, 1)])
    line = at_rivoli["lines"][0]["line_id"]
    started = client.post(
        "/v1/returns",
        json={
            "order_id": at_rivoli["id"],
            "lines": [{"line_id": line, "quantity": 1, "reason": "wrong_size"}],
            "method": "in_store",
        },
        headers=rivoli_staff,
    )
    assert started.status_code == 201, started.text
    received = client.post(f"/v1/returns/{started.json()['id']}/receive", json={}, headers=rivoli_staff)
    assert received.status_code == 200, received.text
    return {"collect": collect, "delivery": delivery, "rivoli": at_rivoli, "opera": at_opera}


def total(*orders_: dict[str, Any]) -> Decimal:
    return sum((Decimal(o["totals"]["total"]) for o in orders_), Decimal(0))


def test_the_dashboard_adds_up_the_orders_made(client, db: Database, sales) -> None:  # type: ignore[no-untyped-def]
    # given four orders in the last 30 days, in two shops and two channels
    now = clock.now()
    with UnitOfWork(db) as uow:
        rows = orders.sales_summary(uow, now - timedelta(days=30), now + timedelta(minutes=1))
        parcels = orders.pickup_readiness(uow, now - timedelta(days=30), now + timedelta(minutes=1))
        reasons = returns.returns_by_reason(uow, now - timedelta(days=30), now + timedelta(minutes=1))
    # then the aggregates are exactly those orders
    by = {(r.channel, r.shop_id, r.mode): (r.orders, r.revenue, r.units, r.units_returned) for r in rows}
    assert by == {
        ("store", OPERA, "store_sale"): (1, total(sales["opera"]), 1, 0),
        ("store", RIVOLI, "store_sale"): (1, total(sales["rivoli"]), 1, 1),
        ("web", None, "home_delivery"): (1, total(sales["delivery"]), 2, 0),
        ("web", RIVOLI, "click_and_collect"): (1, total(sales["collect"]), 1, 0),
    }
    [parcel] = parcels
    assert parcel.shop_id == RIVOLI and parcel.ready_at is not None and parcel.on_time is True
    assert [(r.reason, r.returns, r.units) for r in reasons] == [("wrong_size", 1, 1)]

    # when the back office opens the dashboard in French
    sign_in_pages(client, db, Role.BACK_OFFICE)
    page = client.get("/back-office?lang=fr")
    assert page.status_code == 200
    html = page.text
    # then it shows the same figures, money in French
    web_total = total(sales["collect"], sales["delivery"])
    store_total = total(sales["rivoli"], sales["opera"])
    rivoli_total = total(sales["collect"], sales["rivoli"])
    for amount in (web_total, store_total, rivoli_total, total(sales["opera"]), total(*sales.values())):
        assert money_fr(amount) in html, amount
    assert "Comptoir Rivoli" in html and "Comptoir Opéra" in html and "Site web" in html
    assert "25 %" in html  # one order of four collected in a shop
    assert "Mauvaise taille" in html
    assert "20 %" in html  # one unit of five came back
    assert html.count("<svg") + html.count("<canvas") >= 4
    assert "st_paris_rivoli" not in html.replace('value="st_paris_rivoli"', "")


def test_a_shop_manager_sees_their_shop_only(client, db: Database, sales) -> None:  # type: ignore[no-untyped-def]
    # given a manager of Opéra
    sign_in_pages(client, db, Role.SHOP_MANAGER, [OPERA])
    # when they open the dashboard and the orders
    html = client.get("/back-office?lang=en").text
    listed = client.get("/back-office/orders?lang=en").text
    # then only Opéra's sale counts and is listed
    assert "Comptoir Rivoli" not in html
    assert f"{total(sales['opera']):.2f}" in html.replace(",", "")
    assert sales["opera"]["number"] in listed
    assert sales["rivoli"]["number"] not in listed and sales["collect"]["number"] not in listed
    # and another shop's order, or another shop asked for, is not shown
    assert client.get(f"/back-office/orders/{sales['rivoli']['id']}").status_code == 404
    assert "Comptoir Rivoli" not in client.get(f"/back-office?shop={RIVOLI}").text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_in_each_language(client, db: Database, sales, lang: str) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, Role.ADMIN)
    words = {"fr": ("Tableau de bord", "Commandes"), "en": ("Dashboard", "Orders")}[lang]
    for url in [*PAGES, f"/back-office/orders/{sales['collect']['id']}"]:
        page = client.get(f"{url}?lang={lang}")
        assert page.status_code == 200, (url, page.text[:400])
        assert all(w in page.text for w in words), url
        assert "st_paris_rivoli<" not in page.text and "ROBE-LIN-S-BLEU" not in page.text, url


def test_an_orders_detail_page(client, db: Database, sales) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, Role.BACK_OFFICE)
    html = client.get(f"/back-office/orders/{sales['rivoli']['id']}?lang=en").text
    assert sales["rivoli"]["number"] in html
    assert "Comptoir Rivoli" in html  # the shop, by name
    assert "Wrong size" in html  # the return and its reason
    assert "Order placed" in html  # the timeline
    assert "Card" in html  # the payment


def test_the_order_list_filters(client, db: Database, sales) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, Role.BACK_OFFICE)
    web_only = client.get("/back-office/orders?channel=web").text
    assert sales["collect"]["number"] in web_only and sales["delivery"]["number"] in web_only
    assert sales["opera"]["number"] not in web_only
    at_rivoli = client.get(f"/back-office/orders?shop={RIVOLI}").text
    assert sales["collect"]["number"] in at_rivoli and sales["rivoli"]["number"] in at_rivoli
    assert sales["opera"]["number"] not in at_rivoli
    today = clock.now().date()
    later = client.get(f"/back-office/orders?from={(today + timedelta(days=1)).isoformat()}").text
    assert sales["collect"]["number"] not in later
    bad = client.get("/back-office/orders?from=yesterday&lang=en")
    assert bad.status_code == 200 and "Give the first day as a date." in bad.text


def test_closing_shops_over_a_range_of_dates(client, db: Database, stocked) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, Role.BACK_OFFICE)
    start = clock.now().date() + timedelta(days=10)
    end = start + timedelta(days=2)
    answer = client.post(
        "/back-office/stores/close?lang=en",
        data={
            "start": start.isoformat(),
            "end": end.isoformat(),
            "reason": "Inventaire",
            "place_ids": [RIVOLI, OPERA],
        },
    )
    assert answer.status_code == 200, answer.text
    assert "2 shops closed" in answer.text
    from comptoir.stores import service as stores

    with UnitOfWork(db) as uow:
        for place in (RIVOLI, OPERA):
            closed = [d.date for d in stores.get_place(uow, place).special_days if d.closed]
            assert closed == [start, start + timedelta(days=1), end]
    wrong = client.post(
        "/back-office/stores/close?lang=fr",
        data={"start": end.isoformat(), "end": start.isoformat(), "place_ids": [RIVOLI]},
    )
    assert wrong.status_code == 422 and "Le dernier jour" in wrong.text


@pytest.mark.parametrize("role", [Role.SELLER, Role.ADVISOR, Role.SERVICE_AGENT])
def test_shop_floor_roles_are_refused(client, db: Database, stocked, role: Role) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, role, [RIVOLI])
    for url in PAGES:
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_sign_in(client, stocked) -> None:  # type: ignore[no-untyped-def]
    for url in PAGES:
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and "/pages/sign-in" in answer.headers["location"], url
