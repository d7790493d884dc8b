"""The demo's return policy and returns, and the demo's receipts, on a small shop's orders."""

from __future__ import annotations

from comptoir.core.uow import UnitOfWork
from comptoir.receipts import demo as receipts_demo
from comptoir.receipts import service as receipts
from comptoir.returns import demo, service
from tests.orders.conftest import LIN_M, LIN_S, WAREHOUSE
from tests.returns.conftest import delivered_web_order, store_sale


def test_demo_policy_returns_and_receipts(client, stocked, marie, web, warehouse, rivoli, settings) -> None:  # type: ignore[no-untyped-def]
    orders = [delivered_web_order(client, web, warehouse, [(LIN_M, 1)]) for _ in range(6)]
    sale = store_sale(client, rivoli, [(LIN_S, 1)], customer_id=marie)
    with UnitOfWork(stocked) as uow:
        demo.load_demo(uow, settings)
        receipts_demo.load_demo(uow, settings)
        uow.commit()
    with UnitOfWork(stocked) as uow:
        policy = service.get_policy(uow)
        assert policy.version == 1 and policy.returns_warehouse_id == WAREHOUSE
        made = [r for o in [*orders, sale] for r in service.returns_of_order(uow, o["id"])]
        assert made and all(r.status in ("requested", "refunded", "received") for r in made)
        receipt = receipts.receipt_for_order(uow, sale["id"], settings)
        assert receipt is not None and receipt.customer_id == marie
    # loading again changes nothing
    with UnitOfWork(stocked) as uow:
        demo.load_demo(uow, settings)
        assert service.get_policy(uow).version == 1
