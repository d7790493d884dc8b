"""In the session: the advisor pushes products (image, price with promotions, stock near the customer),
the customer compares and adds to the cross-channel cart (lines on channel ``live``) and checks out through
orders; the order is credited to the advisor and their shop; the report is stored and published."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from comptoir.core.dispatcher import Dispatcher, dispatcher_config
from comptoir.core.settings import Settings
from comptoir.domains import build_bus
from tests.live.conftest import LIN_M, LIN_S, SOIE_S, Studio, ask, available, ticket
from tests.orders.conftest import RIVOLI, checkout, customer_token


def recorded(db: Any, event_type: str) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "select payload from core_outbox_events where type = ? order by seq"
            if db.dialect == "sqlite"
            else "select payload from core_outbox_events where type = %(t)s order by seq",
            (event_type,) if db.dialect == "sqlite" else {"t": event_type},
        ).all()
    import json

    return [p if isinstance(p, dict) else json.loads(p) for (p,) in rows]


def test_a_session_from_push_to_order_and_report(
    client, db, settings: Settings, studio: Studio, marie: str, caplog
) -> None:  # type: ignore[no-untyped-def]
    shopper = {**studio.shopper, "X-Customer-Token": customer_token(settings, marie)}
    available(client, studio, "anne")
    response = client.post(
        "/v1/live/requests",
        json={"topic": "robe", "language": "fr", "postcode": "75001", "share_profile": True},
        headers=shopper,
    )
    assert response.status_code == 201, response.text
    request = response.json()
    customer = {**shopper, **ticket(request)}
    taken = client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne"))
    assert taken.status_code == 201, taken.text
    session_id = taken.json()["id"]
    assert taken.json()["customer_id"] == marie and taken.json()["profile_shared"]  # she shared her profile
    anne = studio.staff("anne")

    # the advisor pushes the linen dress: price, delivery, the shops near 75001
    pushed = client.post(f"/v1/live/sessions/{session_id}/pushes", json={"sku": LIN_S}, headers=anne)
    assert pushed.status_code == 201, pushed.text
    card = pushed.json()
    assert card["price"] == "59.90" and card["currency"] == "EUR"
    assert card["available_online"] > 0
    assert card["shops"] and card["shops"][0]["place_id"].startswith("st_paris")
    # an unknown product is refused, naming the field; the session goes on
    unknown = client.post(f"/v1/live/sessions/{session_id}/pushes", json={"sku": "NOPE-42"}, headers=anne)
    assert unknown.status_code == 422 and "sku" in unknown.text
    assert any(r.getMessage() == "live push refused" for r in caplog.records)
    assert (
        client.post(f"/v1/live/sessions/{session_id}/pushes", json={"sku": LIN_M}, headers=anne).status_code
        == 201
    )

    # the customer compares, then fills the cross-channel cart on the live channel and checks out
    compared = client.post(
        f"/v1/live/sessions/{session_id}/items", json={"sku": LIN_M, "kind": "compared"}, headers=customer
    )
    assert compared.status_code == 204, compared.text
    cart = client.post("/v1/carts", json={"lines": [{"sku": LIN_S, "quantity": 1}]}, headers=shopper)
    assert cart.status_code == 201, cart.text
    assert cart.json()["lines"][0]["channel_added"] == "live"
    added = client.post(
        f"/v1/live/sessions/{session_id}/items",
        json={"sku": LIN_S, "kind": "added", "cart_id": cart.json()["id"]},
        headers=customer,
    )
    assert added.status_code == 204, added.text
    order = checkout(client, shopper, cart.json(), mode="click_and_collect", pickup_place_id=RIVOLI)
    assert order.status_code == 201, order.text
    assert order.json()["channel"] == "live"
    Dispatcher(db, build_bus(settings), dispatcher_config(settings)).drain()  # live.credit_order

    notes = client.put(
        f"/v1/live/sessions/{session_id}/notes",
        json={"notes": "Taille S, préfère le lin.", "recommended": [SOIE_S]},
        headers=anne,
    )
    assert notes.status_code == 200, notes.text
    ended = client.post(f"/v1/live/sessions/{session_id}/end", headers=customer)
    assert ended.status_code == 200, ended.text
    report = ended.json()["report"]
    assert report["shown"] == [LIN_S, LIN_M] and report["compared"] == [LIN_M]
    assert report["added"] == [LIN_S] and report["bought"] == [LIN_S]
    assert report["orders"] == [order.json()["id"]] and report["recommended"] == [SOIE_S]
    assert report["notes"] == "Taille S, préfère le lin."
    [published] = recorded(db, "live.session_ended")
    assert published["customer_id"] == marie and published["bought"] == [LIN_S]
    [credited] = recorded(db, "live.sale_credited")
    assert credited["advisor_id"] == studio.anne and credited["shop_id"] == RIVOLI
    assert credited["order_id"] == order.json()["id"]
    # the session shows in Marie's 360° with its report
    section = client.get(f"/v1/customers/{marie}/360", headers=studio.staff("anne"))
    assert section.status_code == 200, section.text
    assert section.json()["sections"]["live"]["sessions"][0]["report"]["bought"] == [LIN_S]


def test_a_session_is_reached_by_its_two_sides_only(client, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    available(client, studio, "anne")
    mine, other = ask(client, studio, language="fr"), ask(client, studio, language="fr")
    session_id = client.post(f"/v1/live/requests/{mine['id']}/accept", headers=studio.staff("anne")).json()[
        "id"
    ]
    as_customer = client.get(f"/v1/live/sessions/{session_id}", headers={**studio.shopper, **ticket(mine)})
    assert as_customer.status_code == 200 and as_customer.json()["media"]["kind"] == "p2p"
    for headers in ({**studio.shopper, **ticket(other)}, studio.staff("bruno"), studio.shopper):
        response = client.get(f"/v1/live/sessions/{session_id}", headers=headers)
        assert response.status_code in (401, 404), (headers, response.text)
    # a customer cannot push: that is the advisor's
    push = client.post(
        f"/v1/live/sessions/{session_id}/pushes",
        json={"sku": LIN_S},
        headers={**studio.shopper, **ticket(mine)},
    )
    assert push.status_code == 403
    chat = client.post(
        f"/v1/live/sessions/{session_id}/chat",
        json={"text": "Bonjour !"},
        headers={**studio.shopper, **ticket(mine)},
    )
    assert chat.status_code == 204


def test_the_advisor_sees_who_the_customer_is_only_when_they_share_it(  # type: ignore[no-untyped-def]
    client, settings: Settings, studio: Studio, marie: str
) -> None:
    shopper = {**studio.shopper, "X-Customer-Token": customer_token(settings, marie)}
    available(client, studio, "anne")
    request = client.post("/v1/live/requests", json={"topic": "robe"}, headers=shopper).json()
    offer = client.get("/v1/live/offers/me", headers=studio.staff("anne")).json()[0]
    assert offer["customer_id"] is None
    taken = client.post(f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne")).json()
    assert taken["customer_id"] is None and not taken["profile_shared"]
    own = client.get(f"/v1/live/sessions/{taken['id']}", headers={**shopper, **ticket(request)}).json()
    assert own["customer_id"] == marie  # her own view names her


def test_the_advisor_sends_a_basket_as_a_checkout_link(client, db, studio: Studio) -> None:  # type: ignore[no-untyped-def]
    from comptoir.core.uow import UnitOfWork
    from comptoir.live.models import Session

    available(client, studio, "anne")
    request = ask(client, studio, language="fr")
    session_id = client.post(
        f"/v1/live/requests/{request['id']}/accept", headers=studio.staff("anne")
    ).json()["id"]
    url = f"/v1/live/sessions/{session_id}/basket"
    unknown = client.post(url, json={"lines": [{"sku": "NOPE-42"}]}, headers=studio.staff("anne"))
    assert unknown.status_code == 422 and "lines" in unknown.text
    refused = client.post(
        url, json={"lines": [{"sku": LIN_S}]}, headers={**studio.shopper, **ticket(request)}
    )
    assert refused.status_code == 403  # the advisor's, not the customer's
    made = client.post(url, json={"lines": [{"sku": LIN_S, "quantity": 2}]}, headers=studio.staff("anne"))
    assert made.status_code == 201, made.text
    link = made.json()["url"]
    assert "/shop/live/basket/" in link and made.json()["lines"] == [{"sku": LIN_S, "quantity": 2}]
    # whoever opens it gets the lines in their own cart (on the live channel), then the cart page
    opened = client.get(urlsplit(link).path, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/shop/cart", opened.text
    cart_token = opened.cookies.get("comptoir_cart")
    assert cart_token
    with UnitOfWork(db, read_only=True) as uow:
        from comptoir.carts import service as carts

        cart = carts.cart_of_token(uow, cart_token)
        assert [(line.sku, line.quantity, line.channel_added) for line in cart.lines] == [(LIN_S, 2, "live")]
        assert uow.session.get(Session, session_id).cart_id == cart.id  # type: ignore[union-attr]
    forged = client.get("/shop/live/basket/" + link.rsplit("/", 1)[1][:-3] + "abc", follow_redirects=False)
    assert forged.status_code == 404
