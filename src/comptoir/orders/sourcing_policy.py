"""Which places may serve an order of each mode, and how: the sourcing policy. Pure, no I/O.

The engine (:mod:`comptoir.orders.sourcing`) finds the cheapest plan among candidate places; this
module says who the candidates are for each mode and where the engine is not asked at all:

- **home delivery**: warehouses, and stores offering ship-from-store within the configured radius;
- **click & collect**: the pickup store's own stock comes first whenever it covers the lines (the
  pickup promise is made from its shelves), and only what it lacks is transferred, by the engine, from
  places within the transfer radius — the split is explained;
- **reserve & collect**, **store sale**: the pickup store (or the till's store) alone, one parcel.

Capacity is the picking a place does for others (parcels, transfers): a store serving its own counter
(click & collect from its stock, reserve & collect, a till sale) is not refused for its load.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from comptoir.orders.sourcing import (
    Allocation,
    Candidate,
    Demand,
    Plan,
    SourcingRules,
    Unservable,
    covers,
    haversine_km,
    place_cost,
    plan_cost,
    source,
    unit_cost,
)

STRATEGIES = {
    "home_delivery": "cheapest plan: parcels, distance, handling cost, capacity",
    "click_and_collect": "pickup store first, then transfers by cost",
    "reserve_and_collect": "held at the pickup store",
    "store_sale": "carried out of the till's store",
}
ON_THE_SHELF = ("reserve_and_collect", "store_sale")  # nothing to pick: the goods are there


@dataclass(frozen=True)
class Site:
    """What sourcing needs to know of a place (from ``stores``)."""

    id: str
    kind: str  # store | warehouse | pickup_point
    status: str
    services: Sequence[str]
    latitude: float
    longitude: float


def stock_places(mode: str, pickup_id: str | None, till_id: str | None) -> list[str] | None:
    """Where stock is read for a mode: the one store for goods on its shelf, else everywhere (None)."""
    if mode == "reserve_and_collect" and pickup_id:
        return [pickup_id]
    if mode == "store_sale" and till_id:
        return [till_id]
    return None


def needs_capacity(mode: str, rules: SourcingRules) -> bool:
    """Whether places' open picking load must be read (capacity limits configured and something to pick)."""
    limited = bool(rules.capacities) or (
        rules.default_store_capacity is not None or rules.default_warehouse_capacity is not None
    )
    return limited and mode not in ON_THE_SHELF


def exclusion(
    mode: str,
    site: Site,
    pickup_id: str | None,
    till_id: str | None,
    distance: float | None,
    rules: SourcingRules,
) -> str | None:
    """Why ``site`` may not serve an order of ``mode`` at all, or None."""
    if site.status != "open":
        return site.status.replace("_", " ")
    if mode == "store_sale":
        return None if site.id == till_id else "not the till's store"
    if mode == "reserve_and_collect":
        return None if site.id == pickup_id else "reserve & collect holds stock in the pickup store only"
    if site.kind == "pickup_point":
        return "a pickup point holds no stock to ship"
    if mode == "home_delivery":
        return _ship_exclusion(site, distance, rules)
    if site.id == pickup_id:  # click & collect: the pickup store itself, or a transfer from elsewhere
        return None
    if not rules.transfer_for_pickup:
        return "transfers for click & collect are off in the sourcing rules"
    if distance is not None and distance > rules.transfer_max_km:
        return f"{distance:.0f} km from the pickup store, beyond the {rules.transfer_max_km:.0f} km transfer radius"
    return None


def _ship_exclusion(site: Site, distance: float | None, rules: SourcingRules) -> str | None:
    if site.kind == "warehouse":
        return None
    if not rules.ship_from_store:
        return "ship-from-store is off in the sourcing rules"
    if "ship_from_store" not in site.services:
        return "this store does not ship orders"
    if distance is not None and distance > rules.ship_from_store_max_km:
        return (
            f"{distance:.0f} km away, beyond the {rules.ship_from_store_max_km:.0f} km ship-from-store radius"
        )
    return None


def candidates(
    mode: str,
    sites: Mapping[str, Site],
    stock: Mapping[str, Mapping[str, int]],
    load: Mapping[str, int],
    origin: tuple[float, float] | None,
    pickup_id: str | None,
    till_id: str | None,
    rules: SourcingRules,
) -> list[Candidate]:
    """Every place holding stock, as the engine sees it: distance to ``origin`` (the customer or the
    pickup store), why it is excluded, the picking capacity it has left after its open ``load``."""
    out: list[Candidate] = []
    for place_id, held in sorted(stock.items()):
        site = sites.get(place_id)
        if site is None:
            continue
        distance = None if origin is None else haversine_km(*origin, site.latitude, site.longitude)
        total = rules.capacities.get(
            place_id,
            rules.default_warehouse_capacity if site.kind == "warehouse" else rules.default_store_capacity,
        )
        capacity = None if total is None else max(total - load.get(place_id, 0), 0)
        if mode in ON_THE_SHELF or (mode == "click_and_collect" and place_id == pickup_id):
            capacity = None  # its own counter: nothing picked for anyone else
        out.append(
            Candidate(
                place_id=place_id,
                kind="warehouse" if site.kind == "warehouse" else "store",
                distance_km=distance,
                stock=held,
                capacity=capacity,
                fixed_cost=rules.place_costs.get(place_id, 0.0),
                excluded=exclusion(mode, site, pickup_id, till_id, distance, rules),
            )
        )
    return out


def plan(
    mode: str,
    demand: Sequence[Demand],
    found: Sequence[Candidate],
    rules: SourcingRules,
    pickup_id: str | None,
) -> Plan:
    """The plan for an order of ``mode``; raises :class:`~comptoir.orders.sourcing.Unservable`."""
    if mode in ON_THE_SHELF:
        return source(demand, found, rules.model_copy(update={"max_parcels": 1}))
    if mode == "click_and_collect" and pickup_id is not None:
        return pickup_first(demand, found, pickup_id, rules)
    return source(demand, found, rules)


def _take_at(
    pickup: Candidate | None, demand: Sequence[Demand], split: bool
) -> tuple[list[Allocation], list[Demand]]:
    """What the pickup store serves from its own stock (line by line, all it can), and what is left."""
    if pickup is None or pickup.excluded is not None:
        return [], list(demand)
    left = dict(pickup.stock)
    room = pickup.capacity
    own: list[Allocation] = []
    rest: list[Demand] = []
    for d in demand:
        can = min(left.get(d.sku, 0), d.quantity, d.quantity if room is None else room)
        if not split and can < d.quantity:
            can = 0
        if can > 0:
            own.append(Allocation(pickup.place_id, d.line_id, d.sku, can))
            left[d.sku] = left.get(d.sku, 0) - can
            room = None if room is None else room - can
        if can < d.quantity:
            rest.append(Demand(d.line_id, d.sku, d.quantity - can))
    return own, rest


def pickup_first(
    demand: Sequence[Demand], found: Sequence[Candidate], pickup_id: str, rules: SourcingRules
) -> Plan:
    """Click & collect: the pickup store serves all it holds; the engine sources only what it lacks,
    as transfers within the remaining parcel limit. When that cannot complete the order, the engine
    plans the whole order (another split may still serve it) or says what is missing."""
    demand = [d for d in demand if d.quantity > 0]
    pickup = next((c for c in found if c.place_id == pickup_id), None)
    own, rest = _take_at(pickup, demand, rules.split_lines)
    if not rest:
        assert pickup is not None
        return _combined(pickup, own, None, found, demand, rules)
    others = [c for c in found if c.place_id != pickup_id]
    parcels = rules.max_parcels - (1 if own else 0)
    transfers: Plan | None = None
    if parcels >= 1:
        try:
            transfers = source(rest, others, rules.model_copy(update={"max_parcels": parcels}))
        except Unservable:
            transfers = None
    if transfers is None:  # the shelf plus transfers cannot complete it: the engine plans the whole order
        return source(demand, found, rules)
    if pickup is None:
        return transfers
    if not own:  # the pickup store holds none of it: every unit is transferred
        entry = {**_not_needed(pickup, demand), "reason": _empty_shelf(pickup)}
        transfers.candidates = [entry, *(c for c in transfers.candidates if c["place_id"] != pickup_id)]
        return transfers
    return _combined(pickup, own, transfers, found, demand, rules)


def _combined(
    pickup: Candidate,
    own: list[Allocation],
    transfers: Plan | None,
    found: Sequence[Candidate],
    demand: Sequence[Demand],
    rules: SourcingRules,
) -> Plan:
    total = sum(d.quantity for d in demand)
    held = sum(a.quantity for a in own)
    allocations = own + (transfers.allocations if transfers else [])
    by_id = {c.place_id: c for c in found}
    cost = plan_cost(allocations, by_id, rules)
    explained = _pickup_entry(pickup, held, total, rules)
    if transfers is None:
        others = [_not_needed(c, demand) for c in found if c.place_id != pickup.place_id]
        summary = f"1 parcel: the pickup store {pickup.place_id} holds all {total} unit(s)"
        return Plan(own, cost, [pickup.place_id], [explained, *others], summary)
    sources = ", ".join(transfers.places)
    summary = (
        f"the pickup store {pickup.place_id} serves {held} of {total} unit(s) from its shelves; "
        f"{total - held} transferred from {sources}"
    )
    rest = [c for c in transfers.candidates if c["place_id"] != pickup.place_id]
    return Plan(allocations, cost, [pickup.place_id, *transfers.places], [explained, *rest], summary)


def _pickup_entry(pickup: Candidate, held: int, total: int, rules: SourcingRules) -> dict[str, Any]:
    lacks = "" if held == total else f"; the {total - held} it lacks are transferred"
    return {
        "place_id": pickup.place_id,
        "kind": pickup.kind,
        "score": round(place_cost(pickup, rules) + held * unit_cost(pickup, rules), 4),
        "distance_km": None if pickup.distance_km is None else round(pickup.distance_km, 1),
        "covers": held,
        "chosen": True,
        "reason": f"chosen: the pickup store serves {held} of {total} unit(s) from its own stock{lacks}",
    }


def _empty_shelf(pickup: Candidate) -> str:
    if pickup.excluded:
        return f"excluded: {pickup.excluded}"
    return "not chosen: the pickup store holds none of this order; it is transferred"


def _not_needed(c: Candidate, demand: Sequence[Demand]) -> dict[str, Any]:
    return {
        "place_id": c.place_id,
        "kind": c.kind,
        "score": None,
        "distance_km": None if c.distance_km is None else round(c.distance_km, 1),
        "covers": covers(c, demand),
        "chosen": False,
        "reason": f"excluded: {c.excluded}"
        if c.excluded
        else "not needed: the pickup store holds every unit",
    }
