"""The carts API: validation naming the field, who may reach a cart, If-Match, Idempotency-Key, coupons."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from comptoir.carts import service
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from tests.carts.conftest import COUPON, DRAFT, LIN_M, LIN_S, SOIE_S, headers, sign_up
from tests.catalog.conftest import recorded
from tests.conftest import make_key


def anonymous_cart(client: Any, key: str, **body: Any) -> dict[str, Any]:
    response = client.post(
        "/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": 1}], **body}, headers=headers(key)
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("body", "pointer", "detail"),
    [
        ({"lines": [{"sku": "NOPE-1", "quantity": 1}]}, "#/lines/0/sku", "No product has the SKU NOPE-1."),
        ({"lines": [{"sku": DRAFT, "quantity": 1}]}, "#/lines/0/sku", f"SKU {DRAFT} is not for sale."),
        ({"lines": [{"sku": LIN_S, "quantity": 0}]}, "#/lines/0/quantity", None),
        ({"lines": [{"sku": LIN_S, "quantity": 100}]}, "#/lines/0/quantity", None),
        (
            {"lines": [{"sku": LIN_S, "quantity": 60}, {"sku": LIN_S, "quantity": 40}]},
            "#/lines/0/quantity",
            "A line holds at most 99 of one SKU.",
        ),
        ({"currency": "XXY"}, "#/currency", None),
        ({"coupons": ["NOT-A-COUPON"]}, "#/coupons", "Coupon NOT-A-COUPON cannot be used (unknown)."),
    ],
    ids=["unknown-sku", "draft-product", "zero", "over-cap", "summed-over-cap", "currency", "unknown-coupon"],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(  # type: ignore[no-untyped-def]
    client, db, shop, web_key, body, pointer, detail
) -> None:
    response = client.post("/v1/carts", json=body, headers=headers(web_key))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert [e["pointer"] for e in problem["errors"]] == [pointer]
    if detail:
        assert problem["detail"] == detail
    assert recorded(db, "carts.cart_created") == []


def test_who_may_reach_a_cart(client, db, marie, web_key, store_key) -> None:  # type: ignore[no-untyped-def]
    # given an anonymous web cart, Marie's cart and another customer's cart
    anon = anonymous_cart(client, web_key)
    session = sign_up(client, web_key)
    mine = client.post("/v1/carts", json={}, headers=headers(web_key, customer_token=session["token"])).json()
    assert mine["customer_id"] == marie
    other_customer = client.post(
        "/v1/customers/ingest",
        json={
            "source": "pos",
            "given_name": "Jean",
            "family_name": "Dupont",
            "email": "jean.dupont@gmail.com",
        },
        headers=headers(make_key(db, ["*"])),
    ).json()["customer_id"]
    theirs = client.post("/v1/carts", json={"customer_id": other_customer}, headers=headers(store_key)).json()
    web_marie = headers(web_key, customer_token=session["token"])

    # then a public web key alone reaches no customer cart, and an anonymous one only with its token
    assert client.get(f"/v1/carts/{mine['id']}", headers=headers(web_key)).status_code == 404
    assert (
        client.get(f"/v1/carts/{anon['id']}", headers=headers(web_key, cart_token="forged")).status_code
        == 404
    )
    # and Marie's token reaches her cart only
    assert client.get(f"/v1/carts/{mine['id']}", headers=web_marie).status_code == 200
    assert client.get(f"/v1/carts/{theirs['id']}", headers=web_marie).status_code == 404
    denied = client.post(
        f"/v1/carts/{theirs['id']}/lines", json={"sku": LIN_S, "quantity": 1}, headers=web_marie
    )
    assert denied.status_code == 404
    # and a web key cannot start a cart for a named customer, nor a customer for someone else
    named = client.post("/v1/carts", json={"customer_id": marie}, headers=headers(web_key))
    assert named.status_code == 403
    impostor = client.post("/v1/carts", json={"customer_id": other_customer}, headers=web_marie)
    assert impostor.status_code == 403
    # and the seller's tablet reaches every cart
    for cart in (anon, mine, theirs):
        assert client.get(f"/v1/carts/{cart['id']}", headers=headers(store_key)).status_code == 200
    # and a key without carts scopes gets 403
    no_scope = make_key(db, ["customers:read"], channel="web")
    assert (
        client.get(
            f"/v1/carts/{anon['id']}", headers=headers(no_scope, cart_token=anon["cart_token"])
        ).status_code
        == 403
    )
    # and an unknown customer named by staff is a 422 on the field
    unknown = client.post("/v1/carts", json={"customer_id": "cus_nobody"}, headers=headers(store_key))
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["pointer"] == "#/customer_id"


def test_if_match_and_line_changes(client, shop, web_key) -> None:  # type: ignore[no-untyped-def]
    cart = anonymous_cart(client, web_key)
    own = headers(web_key, cart_token=cart["cart_token"])
    line_id = cart["lines"][0]["line_id"]

    # a stale version is refused with 412 and changes nothing
    added = client.post(
        f"/v1/carts/{cart['id']}/lines",
        json={"sku": SOIE_S, "quantity": 1},
        headers={**own, "If-Match": '"1"'},
    )
    assert added.status_code == 200 and added.headers["etag"] == '"2"'
    stale = client.patch(
        f"/v1/carts/{cart['id']}/lines/{line_id}", json={"quantity": 5}, headers={**own, "If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    malformed = client.patch(
        f"/v1/carts/{cart['id']}/lines/{line_id}", json={"quantity": 5}, headers={**own, "If-Match": "v2"}
    )
    assert malformed.status_code == 422

    # the same SKU again adds to its line, up to 99
    again = client.post(
        f"/v1/carts/{cart['id']}/lines", json={"sku": LIN_S, "quantity": 3}, headers=own
    ).json()
    assert [(x["sku"], x["quantity"]) for x in again["lines"]] == [(LIN_S, 4), (SOIE_S, 1)]
    too_many = client.post(f"/v1/carts/{cart['id']}/lines", json={"sku": LIN_S, "quantity": 96}, headers=own)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["pointer"] == "#/quantity"

    # quantities are validated, lines removed, unknown lines 404
    assert (
        client.patch(f"/v1/carts/{cart['id']}/lines/{line_id}", json={"quantity": 0}, headers=own).status_code
        == 422
    )
    removed = client.delete(f"/v1/carts/{cart['id']}/lines/{line_id}", headers=own)
    assert removed.status_code == 200 and [x["sku"] for x in removed.json()["lines"]] == [SOIE_S]
    assert removed.json()["priced"]["total"] == "89.00"
    assert client.delete(f"/v1/carts/{cart['id']}/lines/{line_id}", headers=own).status_code == 404


def test_coupons_on_the_cart(client, shop, web_key) -> None:  # type: ignore[no-untyped-def]
    cart = anonymous_cart(client, web_key, lines=[{"sku": SOIE_S, "quantity": 2}])
    own = headers(web_key, cart_token=cart["cart_token"])

    with_coupon = client.post(f"/v1/carts/{cart['id']}/coupons", json={"code": " bienvenue10 "}, headers=own)
    assert with_coupon.status_code == 200, with_coupon.text
    body = with_coupon.json()
    assert body["coupons"] == [COUPON] and body["priced"]["applied_coupons"] == [COUPON]
    assert body["priced"]["total"] == "160.20"  # 178.00 − 10 %

    unknown = client.post(f"/v1/carts/{cart['id']}/coupons", json={"code": "NOPE10"}, headers=own)
    assert unknown.status_code == 422 and unknown.json()["reason"] == "unknown"
    assert unknown.json()["errors"][0]["pointer"] == "#/code"

    removed = client.delete(f"/v1/carts/{cart['id']}/coupons/{COUPON.lower()}", headers=own)
    assert removed.status_code == 200 and removed.json()["coupons"] == []
    assert removed.json()["priced"]["total"] == "178.00"


def test_idempotency_key_starts_one_cart(client, db, shop, web_key) -> None:  # type: ignore[no-untyped-def]
    body = {"lines": [{"sku": LIN_M, "quantity": 1}]}
    first = client.post("/v1/carts", json=body, headers={**headers(web_key), "Idempotency-Key": "k-1"})
    replay = client.post("/v1/carts", json=body, headers={**headers(web_key), "Idempotency-Key": "k-1"})
    assert first.status_code == replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true" and replay.json()["id"] == first.json()["id"]
    added = client.post(
        f"/v1/carts/{first.json()['id']}/lines",
        json={"sku": LIN_M, "quantity": 1},
        headers={**headers(web_key, cart_token=first.json()["cart_token"]), "Idempotency-Key": "k-2"},
    )
    client.post(
        f"/v1/carts/{first.json()['id']}/lines",
        json={"sku": LIN_M, "quantity": 1},
        headers={**headers(web_key, cart_token=first.json()["cart_token"]), "Idempotency-Key": "k-2"},
    )
    assert added.json()["lines"][0]["quantity"] == 2
    with UnitOfWork(db) as uow:
        assert service.get_cart(uow, first.json()["id"]).lines[0].quantity == 2


def test_an_ordered_cart_refuses_changes(client, db, shop, web_key) -> None:  # type: ignore[no-untyped-def]
    cart = anonymous_cart(client, web_key)
    with UnitOfWork(db) as uow:
        service.mark_ordered(uow, cart["id"], "ord_1", total=Decimal("59.90"))
        service.mark_ordered(uow, cart["id"], "ord_1")  # idempotent
        with pytest.raises(Problem) as other_order:
            service.mark_ordered(uow, cart["id"], "ord_2")
        assert other_order.value.status == 409 and other_order.value.extensions["order_id"] == "ord_1"
        uow.commit()
    assert recorded(db, "carts.cart_ordered") == [
        {
            "cart_id": cart["id"],
            "customer_id": None,
            "channel": "system",
            "currency": "EUR",
            "lines_count": 1,
            "items_count": 1,
            "total": "59.90",
            "order_id": "ord_1",
        }
    ]
    own = headers(web_key, cart_token=cart["cart_token"])
    refused = client.post(f"/v1/carts/{cart['id']}/lines", json={"sku": LIN_S, "quantity": 1}, headers=own)
    assert refused.status_code == 409 and refused.json()["type"] == "urn:comptoir:problem:cart-closed"
    assert (refused.json()["status"], refused.json()["state"]) == (409, "ordered")
    read = client.get(f"/v1/carts/{cart['id']}", headers=own).json()
    assert read["status"] == "ordered" and read["order_id"] == "ord_1" and read["version"] == 2


def test_current_cart_needs_a_customer(client, shop, web_key, store_key) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/v1/carts/current", headers=headers(web_key)).status_code == 401
    session = sign_up(client, web_key)
    none = client.get("/v1/carts/current", headers=headers(web_key, customer_token=session["token"]))
    assert none.status_code == 404 and none.json()["type"].endswith("no-open-cart")
    merge = client.post("/v1/carts/merge", headers=headers(web_key))
    assert merge.status_code == 401 and "X-Customer-Token" in merge.json()["detail"]
