"""Checkout's stock steps: source an order against current stock, split it into fulfilments, hold them.

The plan is made from the stock levels read now (:mod:`comptoir.orders.sourcing_policy` decides who
may serve and how); holding is inventory's guarded ``UPDATE … WHERE available >= qty``. Between the two,
a concurrent checkout may take the units a plan counted on: the refused hold is then undone (one
savepoint around every hold) and the order is **planned again against fresh stock** — another place, or
the pickup store's shelf plus a transfer — before anything is refused. A checkout is refused only when
the network cannot serve it, or after :data:`REPLANS` fresh plans were each overtaken.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from comptoir.core.errors import Conflict
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import schemas as inventory_schemas
from comptoir.inventory import service as inventory_service
from comptoir.orders import cache, policies, sourcing_policy
from comptoir.orders.models import Fulfilment, FulfilmentLine
from comptoir.orders.schemas import CheckoutIn
from comptoir.orders.sourcing import Demand, Plan, Unservable
from comptoir.stores import service as stores_service
from comptoir.stores.schemas import PlaceOut

OPEN_LOAD_STATUSES = ("placed", "in_transit", "allocated", "picking")
REPLANS = 3  # fresh plans after a refused hold, before the checkout is refused


class OutOfStockForOrder(Conflict):
    slug = "out-of-stock"
    title = "Not enough stock"


@dataclass
class Places:
    """The places an order's mode names: the pickup store, or the till's store of a store sale."""

    pickup: PlaceOut | None = None
    till: PlaceOut | None = None


@dataclass
class Fulfilments:
    """The rows to write for a plan, and the holds (reference, kind, expiry, (sku, place, qty)…)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    holds: list[tuple[str, str, datetime | None, list[tuple[str, str, int]]]] = field(default_factory=list)


def _site(place: PlaceOut) -> sourcing_policy.Site:
    return sourcing_policy.Site(
        place.id, place.kind, place.status, list(place.services), place.latitude, place.longitude
    )


def _customer_point(uow: UnitOfWork, cmd: CheckoutIn) -> tuple[float, float] | None:
    if cmd.address is None:
        return None
    if cmd.address.latitude is not None and cmd.address.longitude is not None:
        return cmd.address.latitude, cmd.address.longitude
    return stores_service.geocode_postcode(uow, cmd.address.postcode)


def _open_load(uow: UnitOfWork, place_ids: list[str]) -> dict[str, int]:
    """Units each place still has to pick (its open fulfilments): what capacity is measured against."""
    if not place_ids:
        return {}
    rows = uow.session.execute(
        select(Fulfilment.source_place_id, func.sum(FulfilmentLine.quantity))
        .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
        .where(Fulfilment.source_place_id.in_(place_ids), Fulfilment.status.in_(OPEN_LOAD_STATUSES))
        .group_by(Fulfilment.source_place_id)
    ).all()
    return {pid: int(n or 0) for pid, n in rows}


def plan_order(
    uow: UnitOfWork, cmd: CheckoutIn, rules: policies.OrdersRules, demand: list[Demand], at: Places
) -> Plan:
    """The plan for the order from the stock levels read now; 409 ``out-of-stock`` when none serves it."""
    pickup_id, till_id = (at.pickup.id if at.pickup else None), (at.till.id if at.till else None)
    only = sourcing_policy.stock_places(cmd.mode, pickup_id, till_id)
    levels = inventory_service.stock_levels(uow, sorted({d.sku for d in demand}), only)
    stock: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, per_place in levels.items():
        for level in per_place:
            if level.available > 0:
                stock[level.place_id][sku] = int(level.available)
    for named in only or ():
        stock.setdefault(named, {})  # explained even when it holds none
    known = {p.id: p for p in (at.pickup, at.till) if p is not None}
    missing = sorted(set(stock) - set(known))
    places = {**known, **(cache.places(uow, missing) if missing else {})}
    sr = rules.sourcing
    load = _open_load(uow, sorted(places)) if sourcing_policy.needs_capacity(cmd.mode, sr) else {}
    origin = (
        _customer_point(uow, cmd)
        if cmd.mode == "home_delivery"
        else (at.pickup.latitude, at.pickup.longitude)
        if at.pickup
        else None
    )
    sites = {pid: _site(p) for pid, p in places.items()}
    found = sourcing_policy.candidates(cmd.mode, sites, stock, load, origin, pickup_id, till_id, sr)
    try:
        return sourcing_policy.plan(cmd.mode, demand, found, sr, pickup_id)
    except Unservable as refused:
        raise OutOfStockForOrder(
            "Not enough stock to serve the order: "
            + ", ".join(f"{sku} (missing {n})" for sku, n in sorted(refused.short.items()))
            + ".",
            skus=sorted(refused.short),
            places_considered=refused.candidates,
        ) from None


def fulfilments(
    order_id: str, cmd: CheckoutIn, plan: Plan, at: Places, rules: policies.OrdersRules, now: datetime
) -> Fulfilments:
    """One fulfilment per place of the plan, with its lines and the hold it needs."""
    by_place: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for a in plan.allocations:
        by_place[a.place_id].append((a.line_id, a.sku, a.quantity))
    kinds = {c["place_id"]: c.get("kind") for c in plan.candidates}
    pickup_id = at.pickup.id if at.pickup else None
    out = Fulfilments()
    for source_place_id in plan.places:
        fulfilment_id = new_id("ful")
        source_kind = "warehouse" if kinds.get(source_place_id) == "warehouse" else "store"
        kind = policies.fulfilment_kind(cmd.mode, source_kind, source_place_id, pickup_id)
        # Reserve & collect: inventory lets the units go at the deadline (the retailer's hours, passed to
        # the hold); the expiry job marks the fulfilment and tells the customer.
        expires_at = (
            now + timedelta(hours=rules.reserve_hold_hours) if kind == "reserve_and_collect" else None
        )
        out.rows.append(
            {
                "id": fulfilment_id,
                "order_id": order_id,
                "kind": kind,
                "place_id": pickup_id or (at.till.id if at.till else source_place_id),
                "source_place_id": source_place_id,
                "status": policies.INITIAL_STATUS[kind],
                "reservation_reference": fulfilment_id,
                "pickup_expires_at": expires_at,
                "tracking_number": None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        merged: dict[str, tuple[str, int]] = {}
        per_sku: dict[str, int] = defaultdict(int)
        for line_id, sku, qty in by_place[source_place_id]:
            prev = merged.get(line_id)
            merged[line_id] = (sku, qty + (prev[1] if prev else 0))
            per_sku[sku] += qty
        out.lines.extend(
            {"fulfilment_id": fulfilment_id, "line_id": line_id, "sku": sku, "quantity": qty}
            for line_id, (sku, qty) in merged.items()
        )
        held = [(sku, source_place_id, qty) for sku, qty in sorted(per_sku.items())]
        out.holds.append((fulfilment_id, policies.hold_kind(kind), expires_at, held))
    return out


def _hold_all(uow: UnitOfWork, planned: Fulfilments) -> None:
    """Every hold or none (one savepoint); places in id order, so concurrent checkouts never deadlock."""
    with uow.savepoint():
        by_place = sorted(planned.holds, key=lambda h: h[3][0][1])  # one source place per fulfilment
        for reference, kind, expires_at, held in by_place:
            inventory_service.reserve(
                uow,
                inventory_schemas.ReserveIn(
                    reference=reference,
                    lines=[
                        inventory_schemas.ReserveLine(sku=sku, place_id=place, quantity=qty)
                        for sku, place, qty in held
                    ],
                    kind=kind,
                    expires_at=expires_at,
                ),
                savepoint=False,  # the savepoint above undoes every hold of this plan together
            )


def hold(
    uow: UnitOfWork,
    order_id: str,
    cmd: CheckoutIn,
    rules: policies.OrdersRules,
    demand: list[Demand],
    at: Places,
    plan: Plan,
    now: datetime,
) -> tuple[Plan, Fulfilments]:
    """Hold the plan's stock; a refused hold re-plans against fresh stock (see the module's note)."""
    planned = fulfilments(order_id, cmd, plan, at, rules, now)
    for _ in range(REPLANS):
        try:
            _hold_all(uow, planned)
            return plan, planned
        except inventory_service.OutOfStock:
            plan = plan_order(uow, cmd, rules, demand, at)  # 409 here: the network cannot serve it now
            planned = fulfilments(order_id, cmd, plan, at, rules, now)
    _hold_all(uow, planned)  # the last fresh plan: a refusal now is the answer
    return plan, planned
