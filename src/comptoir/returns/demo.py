"""returns: the demo retailer's return policy and a few returns of its demo orders, on every path.

Bath linen is not taken back (hygiene), home goods have 60 days, parcels go to the first warehouse.
Among the demo's completed orders, some come back to a store, some by post; most are received and
refunded (to the card or as a voucher), a few are still on their way.
"""

from __future__ import annotations

import random

from comptoir.catalog import service as catalog_service
from comptoir.core.errors import Problem
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.orders import service as orders_service
from comptoir.returns import service
from comptoir.returns.schemas import (
    CategoryWindowIn,
    InspectionIn,
    ReceiveIn,
    RefundReturnIn,
    ReturnIn,
    ReturnLineIn,
    ReturnPolicyIn,
)
from comptoir.stores import service as stores_service

DEMO_RETURNS = 24
REASONS = ("changed_mind", "wrong_size", "wrong_size", "not_as_described", "faulty", "late")


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if service.get_policy(uow).version > 0:
        return
    categories = {c.code: c.id for c in catalog_service.list_categories(uow)}
    warehouses = stores_service.all_places(uow, kind="warehouse")
    stores = [p.id for p in stores_service.all_places(uow, kind="store")]
    service.set_policy(
        uow,
        ReturnPolicyIn(
            online_window_days=30,
            store_window_days=30,
            category_windows=[CategoryWindowIn(category_id=categories["maison"], days=60)]
            if "maison" in categories
            else [],
            excluded_category_ids=[categories["maison-bain"]] if "maison-bain" in categories else [],
            returns_warehouse_id=warehouses[0].id if warehouses else None,
        ),
        expected_version=None,
    )
    if not stores:
        return
    rng = random.Random(2026)
    made = 0
    for order in orders_service.list_orders(uow, status="completed", limit=200):
        if made >= DEMO_RETURNS:
            break
        if rng.random() < 0.6:
            continue
        full = orders_service.get_order(uow, order.id)
        by_post = full.mode != "store_sale" and warehouses and rng.random() < 0.4
        lines = [line for line in full.lines if rng.random() < 0.7][:2] or full.lines[:1]
        try:
            with uow.savepoint():
                created = service.create_return(
                    uow,
                    ReturnIn(
                        order_id=full.id,
                        lines=[
                            ReturnLineIn(line_id=line.line_id, quantity=1, reason=rng.choice(REASONS))
                            for line in lines
                        ],
                        method="by_post" if by_post else "in_store",
                        place_id=None if by_post else rng.choice(stores),
                        refund_to="voucher" if rng.random() < 0.3 else "original",
                    ),
                )
                made += 1
                if rng.random() < 0.2:
                    continue  # still on its way
                inspections = [
                    InspectionIn(
                        line_id=x.line_id, condition="damaged" if rng.random() < 0.15 else "resaleable"
                    )
                    for x in created.lines
                ]
                received = service.receive(uow, created.id, ReceiveIn(inspections=inspections))
                if received.status == "received":
                    service.refund(uow, created.id, RefundReturnIn())
        except Problem:
            continue  # outside the policy (window, excluded category): the demo moves on
