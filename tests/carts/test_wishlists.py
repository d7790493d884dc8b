"""Wishlists: the signed-in customer's own list of SKUs, through the API; staff read it for a customer;
it joins the 360° view and the export, follows a customer merge and is erased with the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from comptoir.carts import service
from comptoir.carts.models import WishlistItem
from comptoir.carts.policies import MAX_WISHLIST_ITEMS
from comptoir.core import clock
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerRecord
from tests.carts.conftest import DRAFT, LIN_M, LIN_S, SOIE_M, headers
from tests.conftest import make_key
from tests.orders.conftest import customer_token

URL = "/v1/carts/wishlist"


@pytest.fixture
def marie_web(db: Database, settings: Settings, shop: Database, marie: str) -> dict[str, str]:
    key = make_key(db, ["carts:read", "carts:write"], channel="web")
    return headers(key, customer_token(settings, marie))


def _paul(db: Database) -> str:
    with UnitOfWork(db) as uow:
        paul = customers.ingest(
            uow, "pos", CustomerRecord(given_name="Paul", family_name="Autre", email="paul.autre@example.org")
        )
        uow.commit()
    return paul.customer_id


def _skus(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["sku"] for item in answer.json()["items"]]


def test_a_customer_keeps_skus_for_later(client, marie_web, marie) -> None:  # type: ignore[no-untyped-def]
    # when Marie keeps two dresses (one twice), then her list holds each once, newest first, named
    assert _skus(client.put(f"{URL}/{LIN_S}", headers=marie_web)) == [LIN_S]
    client.put(f"{URL}/{SOIE_M}?locale=en_GB", headers=marie_web)
    answer = client.put(f"{URL}/{LIN_S}?locale=en_GB", headers=marie_web)
    assert answer.json()["customer_id"] == marie
    items = answer.json()["items"]
    assert {i["sku"] for i in items} == {LIN_S, SOIE_M}
    first = next(i for i in items if i["sku"] == LIN_S)
    assert (first["name"], first["size"], first["colour"], first["sellable"], first["channel_added"]) == (
        "Summer linen dress",
        "S",
        "bleu",
        True,
        "web",
    )
    # when she takes one off (twice: the second changes nothing), then one is left
    assert _skus(client.delete(f"{URL}/{LIN_S}", headers=marie_web)) == [SOIE_M]
    assert _skus(client.delete(f"{URL}/{LIN_S}", headers=marie_web)) == [SOIE_M]
    assert _skus(client.get(URL, headers=marie_web)) == [SOIE_M]


def test_an_unknown_sku_is_refused_and_a_draft_is_kept_unsellable(client, marie_web) -> None:  # type: ignore[no-untyped-def]
    answer = client.put(f"{URL}/NOPE-42", headers=marie_web)
    assert answer.status_code == 422 and answer.json()["errors"][0]["pointer"] == "#/sku"
    items = client.put(f"{URL}/{DRAFT}", headers=marie_web).json()["items"]
    assert [(i["sku"], i["sellable"]) for i in items] == [(DRAFT, False)]


def test_a_full_wishlist_refuses_one_more(db, client, marie_web, marie) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db) as uow:
        for n in range(MAX_WISHLIST_ITEMS):
            uow.session.add(
                WishlistItem(customer_id=marie, sku=f"OLD-{n}", channel_added="web", added_at=_now())
            )
        uow.commit()
    answer = client.put(f"{URL}/{LIN_M}", headers=marie_web)
    assert answer.status_code == 422 and answer.json()["type"].endswith("wishlist-full")


def _now() -> datetime:
    return clock.now()


def test_each_customer_reaches_only_their_own_list(db, client, settings, marie_web, marie) -> None:  # type: ignore[no-untyped-def]
    client.put(f"{URL}/{LIN_S}", headers=marie_web)
    paul = _paul(db)
    paul_web = headers(
        make_key(db, ["carts:read", "carts:write"], channel="web"), customer_token(settings, paul)
    )
    # Paul naming Marie still gets his own (empty) list
    answer = client.get(URL, params={"customer_id": marie}, headers=paul_web)
    assert answer.json() == {"customer_id": paul, "items": []}
    # a web key without a customer token is refused; staff name the customer
    anonymous = headers(make_key(db, ["carts:read", "carts:write"], channel="web"))
    assert client.get(URL, headers=anonymous).status_code in (401, 403)
    assert client.put(f"{URL}/{LIN_S}", headers=anonymous).status_code in (401, 403)
    staff = headers(make_key(db, ["*:read"]))
    assert _skus(client.get(URL, params={"customer_id": marie}, headers=staff)) == [LIN_S]
    assert client.get(URL, headers=staff).status_code == 422


def test_the_wishlist_is_in_the_360_view_and_follows_a_merge_and_erasure(db, marie) -> None:  # type: ignore[no-untyped-def]
    paul = _paul(db)
    with UnitOfWork(db) as uow:
        service.add_to_wishlist(uow, marie, LIN_S)
        service.add_to_wishlist(uow, paul, LIN_S)
        service.add_to_wishlist(uow, paul, SOIE_M)
        uow.commit()
    with UnitOfWork(db) as uow:
        section = service.customer_section(uow, marie)
        assert [i["sku"] for i in section["wishlist"]] == [LIN_S]
        # Paul merged into Marie: his SKUs join hers, once each
        assert service.follow_wishlist_merge(uow, marie, [paul]) == 1
        uow.commit()
    with UnitOfWork(db) as uow:
        assert sorted(i.sku for i in service.wishlist(uow, marie).items) == [LIN_S, SOIE_M]
        assert service.erase_wishlists(uow, [marie]) == 2
        uow.commit()
    with db.engine.connect() as conn:
        assert conn.execute(select(WishlistItem)).all() == []


def test_a_wishlist_is_shared_at_a_signed_link_showing_its_products_only(  # type: ignore[no-untyped-def]
    client, db, settings, marie_web, marie
) -> None:
    from comptoir.core import tokens

    client.put(f"{URL}/{LIN_S}", headers=marie_web)
    client.put(f"{URL}/{DRAFT}", headers=marie_web)  # no longer sold: not shown to others
    answer = client.post(f"{URL}/share", headers=marie_web)
    assert answer.status_code == 200, answer.text
    link = answer.json()
    assert link["url"].endswith(f"/shop/wishlists/{link['token']}")
    # anyone holding the link sees the products, nothing of whose list it is
    seen = client.get(f"{URL}/shared/{link['token']}")
    assert seen.status_code == 200, seen.text
    assert [i["sku"] for i in seen.json()["items"]] == [LIN_S]
    assert marie not in seen.text and "customer_id" not in seen.text
    # a forged or expired link shows nothing; only a signed-in customer shares
    forged = link["token"][:-3] + "abc"
    assert client.get(f"{URL}/shared/{forged}").status_code == 404
    expired = tokens.sign(settings.secret_key, "wishlist-share", {"sub": marie}, -1)
    assert client.get(f"{URL}/shared/{expired}").status_code == 404
    assert client.post(f"{URL}/share").status_code == 401
    # once she is erased, her link shows nothing of hers
    with UnitOfWork(db) as uow:
        service.erase_customers(uow, [marie])
        service.erase_wishlists(uow, [marie])
        uow.commit()
    assert client.get(f"{URL}/shared/{link['token']}").json()["items"] == []
