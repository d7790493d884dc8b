"""The counter's returns page (in the seller app, ``/pages/returns`` sends there): find the order, give
back units with their condition, refund, in French."""

from __future__ import annotations

from comptoir.core.uow import UnitOfWork
from tests.orders.conftest import LIN_M, RIVOLI, levels
from tests.returns.conftest import delivered_web_order
from tests.support.staff import sign_in_pages


def test_a_seller_takes_back_a_web_order_at_the_counter(client, stocked, marie, web, warehouse, db) -> None:  # type: ignore[no-untyped-def]
    # given Marie's delivered web order and a seller signed in at Rivoli, in French
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 2)])
    sign_in_pages(client, db, "seller", [RIVOLI])
    # when the seller searches Marie and opens her order
    found = client.get("/seller/returns", params={"q": "marie.curie@orange.fr", "lang": "fr"})
    assert found.status_code == 200
    assert "Commandes trouvées" in found.text and order["number"] in found.text
    page = client.get(f"/seller/returns/orders/{order['id']}", params={"lang": "fr"})
    assert "Retour de la commande" in page.text and "Reprendre et rembourser" in page.text
    # when they take back one dress, resaleable, refunded as a voucher
    line_id = order["lines"][0]["line_id"]
    done = client.post(
        f"/seller/returns/orders/{order['id']}?lang=fr",
        data={
            f"qty:{line_id}": "1",
            f"reason:{line_id}": "wrong_size",
            f"condition:{line_id}": "resaleable",
            "refund_to": "voucher",
        },
    )
    # then the page confirms the refund with the voucher code, and the dress is in Rivoli's stock
    assert done.status_code == 200, done.text
    assert "Remboursé" in done.text and "Code de l’avoir" in done.text
    assert "59,90\u00a0€" in done.text
    assert levels(stocked, LIN_M)[RIVOLI] == (1, 0)


def test_giving_back_nothing_asks_for_a_quantity(client, stocked, marie, web, warehouse, db) -> None:  # type: ignore[no-untyped-def]
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    sign_in_pages(client, db, "seller", [RIVOLI])
    response = client.post(f"/seller/returns/orders/{order['id']}?lang=en", data={"refund_to": "original"})
    assert response.status_code == 422 and "Enter how many units the customer gives back." in response.text
    with UnitOfWork(stocked) as uow:
        from comptoir.returns import service

        assert service.returns_of_order(uow, order["id"]) == []


def test_the_page_needs_a_signed_in_seller(client, stocked) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/seller/returns", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/pages/sign-in")


def test_the_old_address_leads_to_the_seller_app(client, stocked, db) -> None:  # type: ignore[no-untyped-def]
    sign_in_pages(client, db, "seller", [RIVOLI])
    found = client.get("/pages/returns", params={"q": "CMD-1"}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == "/seller/returns?q=CMD-1"
    order = client.get("/pages/returns/orders/ord_1", follow_redirects=False)
    assert order.headers["location"] == "/seller/returns/orders/ord_1"


def test_searching_an_order_reference_opens_it_at_once(client, stocked, marie, web, warehouse, db) -> None:  # type: ignore[no-untyped-def]
    order = delivered_web_order(client, web, warehouse, [(LIN_M, 1)])
    sign_in_pages(client, db, "seller", [RIVOLI])
    page = client.get("/seller/returns", params={"q": order["id"], "lang": "en"})
    assert page.status_code == 200
    assert f"Return for order {order['number']}" in page.text and "Take back and refund" in page.text
    nothing = client.get("/seller/returns", params={"q": "zzzz-nobody", "lang": "en"})
    assert "No order or customer matches" in nothing.text
