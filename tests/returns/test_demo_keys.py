"""The demo's keys do what their names say: the live channel checks out, the website and the app exchange
points for a voucher (issue 15, item 16), and none of them reaches staff operations."""

from __future__ import annotations

import pytest

from comptoir.core.auth import create_key
from comptoir.core.uow import UnitOfWork
from comptoir.demo import DEMO_KEYS
from comptoir.loyalty import service as loyalty
from comptoir.loyalty.schemas import AdjustmentIn
from tests.orders.conftest import CARD, LIN_S, PARIS_ADDRESS, checkout, customer_token, headers, new_cart

pytestmark = pytest.mark.usefixtures("programme")


@pytest.fixture
def demo_keys(db):  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        made = {k.name: create_key(uow, k).token for k in DEMO_KEYS}
        uow.commit()
    return made


@pytest.mark.parametrize("name", ["demo: live shopping", "demo: website", "demo: mobile app"])
def test_each_shopping_key_checks_out_and_exchanges_points(
    client, stocked, marie, settings, demo_keys, name
) -> None:  # type: ignore[no-untyped-def]
    shopper = headers(demo_keys[name], customer_token(settings, marie))
    cart = new_cart(client, shopper, [(LIN_S, 1)])
    placed = checkout(client, shopper, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD])
    assert placed.status_code == 201, placed.text
    with UnitOfWork(stocked) as uow:
        loyalty.adjust(uow, marie, AdjustmentIn(points=1000, reason="demo"))
        uow.commit()
    reward = client.get("/v1/loyalty/rewards", headers=shopper).json()[0]["code"]
    exchanged = client.post(
        f"/v1/loyalty/accounts/{marie}/rewards",
        json={"reward": reward, "reference": f"x-{name}"},
        headers=shopper,
    )
    assert exchanged.status_code == 201, exchanged.text


def test_shopping_keys_reach_no_staff_operation(client, stocked, demo_keys) -> None:  # type: ignore[no-untyped-def]
    for name in ("demo: live shopping", "demo: website", "demo: mobile app"):
        key = headers(demo_keys[name])
        assert client.get("/v1/keys", headers=key).status_code == 403
        assert client.get("/v1/customers", headers=key).status_code == 403
        assert client.put("/v1/returns/policy", json={}, headers=key).status_code == 403
