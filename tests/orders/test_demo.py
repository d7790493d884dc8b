"""The demo loads past orders in every mode and live ones through the real checkout, once."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from comptoir.core.uow import UnitOfWork
from comptoir.orders import demo
from comptoir.orders.models import Order


def test_demo_orders_cover_every_mode_and_load_once(stocked, marie, settings) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(stocked) as uow:
        demo.load_demo(uow, settings)
        uow.commit()
    with UnitOfWork(stocked) as uow:
        demo.load_demo(uow, settings)  # a second run adds nothing
        uow.commit()
    with stocked.engine.connect() as conn:
        rows = conn.execute(select(Order.mode, Order.status, Order.cart_id)).all()
    past = [r for r in rows if r.cart_id is None]
    live = [r for r in rows if r.cart_id is not None]
    assert len(past) == demo.PAST_ORDERS
    assert set(Counter(r.mode for r in past)) == {
        "home_delivery",
        "click_and_collect",
        "reserve_and_collect",
        "store_sale",
    }
    assert {r.status for r in past} == {"completed", "cancelled"}
    assert live, "some live orders went through checkout"
    assert {r.status for r in live} <= {"placed", "in_progress", "ready_for_pickup"}
