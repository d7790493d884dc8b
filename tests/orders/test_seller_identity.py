"""A seller's in-store sale is recorded with the seller's identity: who sold, in the order and the audit."""

from __future__ import annotations

from sqlalchemy import select

from comptoir.core.models import StaffAudit
from comptoir.core.uow import UnitOfWork
from tests.orders.conftest import CARD, LIN_S, RIVOLI, checkout, new_cart
from tests.support.staff import make_person, open_session


def test_a_sellers_store_sale_names_the_seller(client, stocked, db, rivoli) -> None:  # type: ignore[no-untyped-def]
    # given Léa, a seller at Rivoli, signed in on the tablet
    lea = make_person(db, "seller", [RIVOLI])
    tablet = {"Authorization": f"Bearer {open_session(db, lea).token}"}
    # when she sells a shirt at the till
    cart = new_cart(client, tablet, [(LIN_S, 1)])
    sold = checkout(client, tablet, cart, mode="store_sale", tenders=[CARD])
    # then the order is Rivoli's and hers, and the audit says she placed it
    assert sold.status_code == 201, sold.text
    order = sold.json()
    assert order["channel"] == f"store:{RIVOLI}" and order["seller_id"] == lea.id
    with UnitOfWork(db) as uow:
        audited = uow.session.scalars(select(StaffAudit).where(StaffAudit.person_id == lea.id)).all()
        events = [e["type"] for row in audited for e in row.events]
    assert "orders.order_placed" in events
    # she cannot sell in a colleague's name
    again = new_cart(client, tablet, [(LIN_S, 1)])
    claimed = checkout(client, tablet, again, mode="store_sale", tenders=[CARD], seller_id="stf_someone_else")
    assert claimed.status_code == 422 and claimed.json()["errors"][0]["pointer"] == "#/seller_id"


def test_a_till_names_a_seller_who_works_in_its_shop(client, stocked, db, rivoli) -> None:  # type: ignore[no-untyped-def]
    lea = make_person(db, "seller", [RIVOLI])
    elsewhere = make_person(db, "seller", ["st_paris_opera"])
    for seller, status in (("vendeuse-012", 422), (elsewhere.id, 422), (lea.id, 201)):
        cart = new_cart(client, rivoli, [(LIN_S, 1)])
        sold = checkout(client, rivoli, cart, mode="store_sale", tenders=[CARD], seller_id=seller)
        assert sold.status_code == status, (seller, sold.text)
    assert sold.json()["seller_id"] == lea.id
