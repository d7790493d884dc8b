"""Scan & go exit passes: the signed token (tampering, expiry, another shop), the API for the shopper and
for the door, and the pass used once — also when two doors scan it at the same instant (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders import exit_passes, service
from comptoir.orders.schemas import OrderLineOut, OrderOut, ReturnedLine
from tests.conftest import make_key
from tests.orders.conftest import (  # noqa: F401 (fixtures)
    CARD,
    OPERA,
    RIVOLI,
    SOIE_M,
    checkout,
    headers,
    marie,
    new_cart,
    opera,
    rivoli,
    shop,
    stocked,
    web,
)
from tests.support.concurrency import race
from tests.support.staff import make_person, staff_headers

SECRET = "a-test-secret-key-of-at-least-32-characters"
NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
VERIFY = "/v1/orders/exit-passes/verify"


@pytest.fixture
def frozen() -> Any:
    moments = [NOW]
    clock.set_clock(lambda: moments[0])
    yield moments
    clock.set_clock(None)


# -- the token -------------------------------------------------------------------------------------


def test_a_pass_reads_back_until_it_expires(frozen: list[datetime]) -> None:
    token = exit_passes.sign_pass(SECRET, "ord_1", OPERA, 3, NOW + exit_passes.PASS_TTL)
    assert exit_passes.read_pass(SECRET, token, NOW) == (
        "valid",
        {"o": "ord_1", "s": OPERA, "n": 3, "x": int((NOW + timedelta(hours=2)).timestamp())},
    )
    assert exit_passes.read_pass(SECRET, token, NOW + timedelta(hours=2, seconds=1))[0] == "expired"


def test_a_tampered_or_foreign_pass_is_refused() -> None:
    token = exit_passes.sign_pass(SECRET, "ord_1", OPERA, 3, NOW + exit_passes.PASS_TTL)
    _, _, mac = token.partition(".")
    forged_body = exit_passes.sign_pass(SECRET, "ord_1", OPERA, 9, NOW).partition(".")[0]
    assert exit_passes.read_pass(SECRET, f"{forged_body}.{mac}", NOW) == ("invalid_signature", None)
    assert (
        exit_passes.read_pass("another-secret-key-of-32-characters!!", token, NOW)[0] == "invalid_signature"
    )
    assert exit_passes.read_pass(SECRET, "not a pass", NOW)[0] == "invalid_signature"
    assert exit_passes.read_pass(SECRET, token[:-2], NOW)[0] == "invalid_signature"


def sale(payment_status: str = "paid", returned: int = 0, channel: str = f"store:{OPERA}") -> OrderOut:
    line = OrderLineOut.model_construct(sku=SOIE_M, quantity=3, returned_quantity=returned)
    return OrderOut.model_construct(
        mode="store_sale", channel=channel, status="completed", payment_status=payment_status, lines=[line]
    )


def test_why_an_order_may_not_leave() -> None:
    claims: dict[str, object] = {"o": "ord_1", "s": OPERA, "n": 3, "x": 0}
    assert exit_passes.order_refusal(sale(), claims, OPERA) is None
    assert exit_passes.order_refusal(sale(), claims, RIVOLI) == "other_shop"
    assert exit_passes.order_refusal(sale(channel=f"store:{RIVOLI}"), claims, OPERA) == "other_shop"
    assert exit_passes.order_refusal(sale("pending"), claims, OPERA) == "not_paid"
    assert exit_passes.order_refusal(sale("partially_refunded"), claims, OPERA) == "refunded"
    assert exit_passes.order_refusal(sale(returned=1), claims, OPERA) == "refunded"
    assert exit_passes.order_refusal(sale(), {**claims, "n": 2}, OPERA) == "items_mismatch"


# -- through the API -------------------------------------------------------------------------------


def opera_sale(client: TestClient, opera_h: dict[str, str], customer_id: str | None = None) -> dict[str, Any]:
    cart = new_cart(client, opera_h, [(SOIE_M, 2)], customer_id=customer_id)
    sale = checkout(client, opera_h, cart, mode="store_sale", tenders=[CARD])
    assert sale.status_code == 201, sale.text
    return {**sale.json(), "cart_token": cart.get("cart_token")}


def test_the_pass_is_shown_to_its_customer_and_checked_once_at_the_right_door(
    client: TestClient,
    stocked: Database,  # noqa: F811
    opera: dict[str, str],  # noqa: F811
    rivoli: dict[str, str],  # noqa: F811
    web: dict[str, str],  # noqa: F811
    marie: str,  # noqa: F811
) -> None:
    # given Marie's scan & go sale at Opéra (two silk dresses)
    sale = opera_sale(client, opera, marie)
    got = client.get(f"/v1/orders/{sale['id']}/exit-pass", headers=web)
    assert got.status_code == 200, got.text
    issued = got.json()
    assert (issued["order_number"], issued["shop_id"], issued["items"]) == (sale["number"], OPERA, 2)
    # asked again, it is the same pass
    assert client.get(f"/v1/orders/{sale['id']}/exit-pass", headers=web).json()["token"] == issued["token"]
    # when Rivoli's door scans it: another shop's
    other = client.post(VERIFY, json={"token": issued["token"]}, headers=rivoli).json()
    assert (other["valid"], other["outcome"]) == (False, "other_shop")
    # when an Opéra seller scans it: valid, with what the bag should hold
    seller = make_person(stocked, "seller", [OPERA])
    seller_h = staff_headers_for(stocked, seller)
    ok = client.post(VERIFY, json={"token": issued["token"]}, headers=seller_h).json()
    assert (ok["valid"], ok["outcome"], ok["items"]) == (True, "valid", 2)
    assert ok["lines"] == [{"sku": SOIE_M, "quantity": 2}]
    # a second scan says who let it through, and when
    again = client.post(VERIFY, json={"token": issued["token"]}, headers=opera).json()
    assert (again["valid"], again["outcome"], again["used_by_name"]) == (False, "already_used", seller.name)
    assert again["used_at"] == ok["used_at"]
    # a tampered pass is refused
    forged = client.post(VERIFY, json={"token": issued["token"][:-3] + "AAA"}, headers=opera).json()
    assert forged["outcome"] == "invalid_signature"


def staff_headers_for(db: Database, person: Any) -> dict[str, str]:
    from tests.support.staff import open_session

    return {"Authorization": f"Bearer {open_session(db, person).token}"}


def test_an_anonymous_shopper_reaches_the_pass_with_the_cart_token_only(
    client: TestClient,
    stocked: Database,  # noqa: F811
    opera: dict[str, str],  # noqa: F811
) -> None:
    sale = opera_sale(client, opera)
    shopper = headers(make_key(stocked, ["*:read", "carts:write", "orders:write"], channel="web"))
    url = f"/v1/orders/{sale['id']}/exit-pass"
    assert client.get(url, headers=shopper).status_code == 404
    assert client.get(url, headers={**shopper, "X-Cart-Token": "wrong"}).status_code == 404
    mine = client.get(url, headers={**shopper, "X-Cart-Token": sale["cart_token"]})
    assert mine.status_code == 200 and mine.json()["items"] == 2


def test_only_paid_store_sales_have_a_pass(
    client: TestClient,
    stocked: Database,  # noqa: F811
    web: dict[str, str],  # noqa: F811
) -> None:
    cart = new_cart(client, web, [(SOIE_M, 1)])
    order = checkout(
        client, web, cart, mode="click_and_collect", pickup_place_id=OPERA, tenders=[CARD]
    ).json()
    refused = client.get(f"/v1/orders/{order['id']}/exit-pass", headers=web)
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:comptoir:problem:exit-pass-unavailable"


def test_expired_refunded_and_unbound_doors(
    client: TestClient,
    stocked: Database,  # noqa: F811
    opera: dict[str, str],  # noqa: F811
    frozen: list[datetime],
) -> None:
    sale = opera_sale(client, opera)
    token = client.get(f"/v1/orders/{sale['id']}/exit-pass", headers=opera).json()["token"]
    # two hours later, the pass has expired
    frozen[0] = NOW + timedelta(hours=2, minutes=1)
    assert client.post(VERIFY, json={"token": token}, headers=opera).json()["outcome"] == "expired"
    # asked again, a fresh pass is issued; once part of the sale comes back, it is refused
    token = client.get(f"/v1/orders/{sale['id']}/exit-pass", headers=opera).json()["token"]
    with UnitOfWork(stocked) as uow:
        service.record_returned(
            uow, sale["id"], [ReturnedLine(line_id=sale["lines"][0]["line_id"], quantity=1)]
        )
        uow.commit()
    assert client.post(VERIFY, json={"token": token}, headers=opera).json()["outcome"] == "refunded"
    # an unbound employee names the door; without it, a clear 422
    admin = staff_headers(stocked, "admin")
    missing = client.post(VERIFY, json={"token": token}, headers=admin)
    assert missing.status_code == 422 and missing.json()["errors"][0]["pointer"] == "#/place_id"
    named = client.post(VERIFY, json={"token": token, "place_id": OPERA}, headers=admin).json()
    assert named["outcome"] == "refunded"
    # a seller of Rivoli may not keep Opéra's door
    rivoli_seller = staff_headers(stocked, "seller", [RIVOLI])
    assert (
        client.post(VERIFY, json={"token": token, "place_id": OPERA}, headers=rivoli_seller).status_code
        == 403
    )


# -- two doors at once -----------------------------------------------------------------------------


@pytest.mark.postgres
def test_two_doors_scanning_the_same_pass_at_once_let_it_through_once(
    client: TestClient,
    stocked: Database,  # noqa: F811
    opera: dict[str, str],  # noqa: F811
    settings: Settings,
) -> None:
    if not stocked.is_postgres:
        pytest.skip("concurrent writers: PostgreSQL")
    sale = opera_sale(client, opera)
    token = client.get(f"/v1/orders/{sale['id']}/exit-pass", headers=opera).json()["token"]

    def door(i: int) -> str:
        with UnitOfWork(stocked) as uow:
            verdict = service.verify_exit_pass(
                uow, token, OPERA, settings.secret_key, verifier_id=f"door-{i}", verifier_name=f"Door {i}"
            )
            uow.commit()
        return verdict.outcome

    outcomes = race(4, door)
    assert sorted(outcomes) == ["already_used", "already_used", "already_used", "valid"]
