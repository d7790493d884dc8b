"""Keys of three kinds; minting never widens a key; keys, webhooks and the event log are staff business."""

from __future__ import annotations

import pytest

from tests.conftest import make_key
from tests.support.staff import staff_headers


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_shop_bound_key_cannot_mint_an_unbound_key(client, db) -> None:  # type: ignore[no-untyped-def]
    bound = bearer(make_key(db, ["*"], channel=None, shop_id="st_paris_rivoli"))
    wider = client.post("/v1/keys", json={"name": "escape", "scopes": ["*"]}, headers=bound)
    assert wider.status_code == 403 and "shop" in wider.json()["detail"]
    other_shop = client.post(
        "/v1/keys", json={"name": "x", "scopes": ["orders:read"], "shop_id": "st_paris_opera"}, headers=bound
    )
    assert other_shop.status_code == 403
    own = client.post(
        "/v1/keys",
        json={"name": "till 2", "scopes": ["orders:write"], "channel": "store:st_paris_rivoli"},
        headers=bound,
    )
    assert own.status_code == 201, own.text
    assert own.json()["kind"] == "shop" and own.json()["shop_id"] == "st_paris_rivoli"
    # and the minted key changes no retailer-wide rule
    rules = client.get("/v1/orders/rules", headers=bearer(own.json()["token"]))
    assert rules.status_code in (403, 200)
    put = client.put("/v1/orders/rules", json={}, headers=bearer(own.json()["token"]))
    assert put.status_code == 403


def test_minted_scopes_are_a_subset_of_the_creators(client, db) -> None:  # type: ignore[no-untyped-def]
    creator = bearer(make_key(db, ["keys:write", "orders:read"]))
    assert (
        client.post("/v1/keys", json={"name": "a", "scopes": ["orders:read"]}, headers=creator).status_code
        == 201
    )
    for wider in (["orders:write"], ["*:read"], ["*"], ["customers:read"]):
        response = client.post("/v1/keys", json={"name": "b", "scopes": wider}, headers=creator)
        assert response.status_code == 403, (wider, response.text)
    admin = bearer(make_key(db, ["*"]))
    assert client.post("/v1/keys", json={"name": "c", "scopes": ["*"]}, headers=admin).status_code == 201


def test_publishable_keys_are_safe_to_ship(client, db) -> None:  # type: ignore[no-untyped-def]
    admin = bearer(make_key(db, ["*"]))
    for scopes in (["*"], ["*:write"], ["keys:read"], ["events:read"], ["webhooks:write"]):
        response = client.post(
            "/v1/keys",
            json={"name": "w", "scopes": scopes, "channel": "web", "kind": "publishable"},
            headers=admin,
        )
        assert response.status_code == 422, (scopes, response.text)


@pytest.mark.parametrize(
    "path", ["/v1/keys", "/v1/events", "/v1/webhooks/subscriptions", "/v1/webhooks/deliveries"]
)
def test_channel_and_shop_keys_never_read_keys_events_or_webhooks(client, db, path) -> None:  # type: ignore[no-untyped-def]
    web = bearer(make_key(db, ["*:read"], channel="web"))
    shop = bearer(make_key(db, ["*:read"], channel="store:st_paris_rivoli"))
    seller = staff_headers(db, "seller")
    for caller in (web, shop, seller):
        assert client.get(path, headers=caller).status_code == 403, caller
    assert client.get(path, headers=bearer(make_key(db, ["*"]))).status_code == 200


def test_a_customer_token_goes_with_a_publishable_key_only(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.orders.conftest import customer_token

    secret = make_key(db, ["*"])
    response = client.get(
        "/v1/me", headers={**bearer(secret), "X-Customer-Token": customer_token(settings, "cus_x")}
    )
    assert response.status_code == 401


def test_me_describes_each_principal(client, db, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.orders.conftest import customer_token

    web = make_key(db, ["carts:write"], channel="web")
    assert client.get("/v1/me", headers=bearer(web)).json()["principal"] == "publishable"
    signed_in = {**bearer(web), "X-Customer-Token": customer_token(settings, "cus_abc")}
    me = client.get("/v1/me", headers=signed_in).json()
    assert me["principal"] == "customer" and me["customer_id"] == "cus_abc"
    shop = client.get("/v1/me", headers=bearer(make_key(db, ["*:read"], channel="store:st_lyon"))).json()
    assert shop["principal"] == "shop" and shop["shops"] == ["st_lyon"]
    seller = client.get("/v1/me", headers=staff_headers(db, "seller", ["st_lyon"])).json()
    assert seller["principal"] == "staff" and seller["role"] == "seller" and seller["shops"] == ["st_lyon"]
    assert client.get("/v1/me").status_code == 401
