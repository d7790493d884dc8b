"""The sourcing engine: which place(s) serve each line of an order. Pure, no I/O.

A plan's cost, in the retailer's currency-like units, is what the retailer configures
(:class:`SourcingRules`):

    Σ over places used   parcel_cost + place fixed cost + distance_km × cost_per_km
  + Σ over units         unit handling cost of the place (warehouse or store)

so "fewer parcels" is the parcel cost, "distance to the customer" the per-km cost, "cost" the
handling and fixed costs, and "capacity" a hard limit (units a place can still pick today).

Search: candidate places are ranked and the best ``max_candidates`` kept; every combination of at
most ``max_parcels`` of them is evaluated with an exact min-cost assignment of units to places
(a small min-cost flow, since stock is per SKU and capacity per place). Within the kept candidates
this is optimal; the ranking cut is what the configured ``tolerance`` bounds, and
``tests/orders/test_sourcing.py`` checks the engine against an exhaustive search.
Which places may serve an order of each mode, and the pickup store's precedence for click & collect,
are :mod:`comptoir.orders.sourcing_policy`'s.
Every candidate gets a reason, chosen or not.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ConfigDict, Field

from comptoir.core.geo import distance_km
from comptoir.core.types import Schema


class SourcingRules(Schema):
    """A retailer's sourcing rules (``PUT /v1/orders/sourcing-rules``)."""

    model_config = ConfigDict(extra="forbid")
    parcel_cost: float = Field(default=6.0, ge=0, description="Cost of one more parcel (or transfer)")
    cost_per_km: float = Field(default=0.02, ge=0, description="Cost per km between place and customer")
    warehouse_unit_cost: float = Field(
        default=0.5, ge=0, description="Handling cost per unit picked in a warehouse"
    )
    store_unit_cost: float = Field(default=1.5, ge=0, description="Handling cost per unit picked in a store")
    place_costs: dict[str, float] = Field(default_factory=dict, description="Extra fixed cost per place id")
    ship_from_store: bool = Field(
        default=True, description="Stores with the ship_from_store service may ship"
    )
    ship_from_store_max_km: float = Field(default=300.0, gt=0)
    transfer_for_pickup: bool = Field(
        default=True, description="Click & collect may bring stock from elsewhere"
    )
    transfer_max_km: float = Field(default=500.0, gt=0)
    max_parcels: int = Field(default=3, ge=1, le=6)
    split_lines: bool = Field(default=True, description="One line's units may come from two places")
    default_store_capacity: int | None = Field(
        default=200, ge=0, description="Units a store may pick per day"
    )
    default_warehouse_capacity: int | None = Field(default=None, ge=0)
    capacities: dict[str, int] = Field(default_factory=dict, description="Units per day, per place id")
    max_candidates: int = Field(default=10, ge=1, le=16)
    tolerance: float = Field(default=0.0, ge=0, le=1, description="Accepted relative gap to the optimum")


@dataclass(frozen=True)
class Demand:
    line_id: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class Candidate:
    place_id: str
    kind: str  # "warehouse" | "store"
    distance_km: float | None
    stock: Mapping[str, int]  # sku -> units available to promise
    capacity: int | None = None  # units it can still pick; None = no limit
    fixed_cost: float = 0.0
    excluded: str | None = None  # why it may not serve at all (closed, too far, no service…)


@dataclass
class Allocation:
    place_id: str
    line_id: str
    sku: str
    quantity: int


@dataclass
class Plan:
    allocations: list[Allocation]
    cost: float
    places: list[str]
    candidates: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""

    @property
    def parcels(self) -> int:
        return len(self.places)

    def explanation(self, strategy: str) -> dict[str, Any]:
        return {
            "strategy": strategy,
            "parcels": self.parcels,
            "cost": round(self.cost, 4),
            "candidates": self.candidates,
            "summary": self.summary,
        }


class Unservable(Exception):
    """No combination of places can serve the order; ``short`` names sku -> units missing."""

    def __init__(self, short: dict[str, int], candidates: list[dict[str, Any]]) -> None:
        self.short = short
        self.candidates = candidates
        super().__init__("not enough stock: " + ", ".join(f"{s} ×{n}" for s, n in short.items()))


def place_cost(c: Candidate, rules: SourcingRules) -> float:
    """The cost of using a place at all (one parcel from it)."""
    return rules.parcel_cost + c.fixed_cost + (c.distance_km or 0.0) * rules.cost_per_km


def unit_cost(c: Candidate, rules: SourcingRules) -> float:
    return rules.warehouse_unit_cost if c.kind == "warehouse" else rules.store_unit_cost


def _assign(
    demand: Sequence[Demand], places: Sequence[Candidate], rules: SourcingRules
) -> tuple[float, list[Allocation]] | None:
    """Min-cost assignment of every demanded unit to the given places (all must be used), or None.

    Without line splitting each line goes whole to one place (tiny search over places per line);
    with splitting it is a min-cost flow: source → line (quantity) → place (stock) → sink (capacity).
    """
    if not rules.split_lines:
        return _assign_whole_lines(demand, places, rules)
    # Lines of the same SKU share its stock: the flow runs per SKU, then units go back to lines.
    skus: dict[str, int] = {}
    for d in demand:
        skus[d.sku] = skus.get(d.sku, 0) + d.quantity
    flowed = _min_cost_flow(skus, places, rules)
    if flowed is None:
        return None
    flow_cost, sent = flowed
    allocations: list[Allocation] = []
    used: set[int] = set()
    for d in demand:
        need = d.quantity
        pool = sent.get(d.sku, [])
        while need > 0:
            j, q = pool[0]
            take = min(q, need)
            allocations.append(Allocation(places[j].place_id, d.line_id, d.sku, take))
            used.add(j)
            need -= take
            if take == q:
                pool.pop(0)
            else:
                pool[0] = (j, q - take)
    if len(used) != len(places):
        return None  # a smaller combination does the same job cheaper; it is evaluated on its own
    return flow_cost + sum(place_cost(p, rules) for p in places), allocations


def _min_cost_flow(
    skus: dict[str, int], places: Sequence[Candidate], rules: SourcingRules
) -> tuple[float, dict[str, list[tuple[int, int]]]] | None:
    """Units per SKU to places at least handling cost: source → SKU (units wanted) → place (its stock)
    → sink (its capacity). Returns the cost and, per SKU, (place index, units); None when infeasible."""
    sku_list = list(skus)
    n_skus, n_places = len(sku_list), len(places)
    # nodes: 0 source, 1..S skus, S+1..S+P places, S+P+1 sink
    sink = n_skus + n_places + 1
    size = sink + 1
    graph: list[list[int]] = [[] for _ in range(size)]
    to: list[int] = []
    cap: list[int] = []
    cost: list[float] = []

    def edge(u: int, v: int, c: int, w: float) -> None:
        graph[u].append(len(to))
        to.append(v)
        cap.append(c)
        cost.append(w)
        graph[v].append(len(to))
        to.append(u)
        cap.append(0)
        cost.append(-w)

    total = sum(skus.values())
    for i, sku in enumerate(sku_list):
        edge(0, 1 + i, skus[sku], 0.0)
        for j, p in enumerate(places):
            have = p.stock.get(sku, 0)
            if have > 0:
                edge(1 + i, 1 + n_skus + j, min(have, skus[sku]), unit_cost(p, rules))
    for j, p in enumerate(places):
        edge(1 + n_skus + j, sink, total if p.capacity is None else max(p.capacity, 0), 0.0)
    flow, flow_cost = 0, 0.0
    while flow < total:
        dist = [math.inf] * size
        prev_edge = [-1] * size
        dist[0] = 0.0
        changed = True
        while changed:  # Bellman-Ford: the graph has a few dozen edges
            changed = False
            for u in range(size):
                if dist[u] == math.inf:
                    continue
                for e in graph[u]:
                    if cap[e] > 0 and dist[u] + cost[e] < dist[to[e]] - 1e-12:
                        dist[to[e]] = dist[u] + cost[e]
                        prev_edge[to[e]] = e
                        changed = True
        if dist[sink] == math.inf:
            return None
        push, v = total - flow, sink
        while v != 0:
            e = prev_edge[v]
            push = min(push, cap[e])
            v = to[e ^ 1]
        v = sink
        while v != 0:
            e = prev_edge[v]
            cap[e] -= push
            cap[e ^ 1] += push
            v = to[e ^ 1]
        flow += push
        flow_cost += push * dist[sink]
    # units per (sku, place), handed to the lines of that sku in order
    sent: dict[str, list[tuple[int, int]]] = {}
    for i, sku in enumerate(sku_list):
        for e in graph[1 + i]:
            j = to[e] - 1 - n_skus
            if 0 <= j < n_places and e % 2 == 0 and cap[e ^ 1] > 0:
                sent.setdefault(sku, []).append((j, cap[e ^ 1]))
    return flow_cost, sent


def _assign_whole_lines(
    demand: Sequence[Demand], places: Sequence[Candidate], rules: SourcingRules
) -> tuple[float, list[Allocation]] | None:
    best: tuple[float, list[Allocation]] | None = None
    options = [[j for j, p in enumerate(places) if p.stock.get(d.sku, 0) >= d.quantity] for d in demand]
    if any(not o for o in options):
        return None
    for choice in itertools.product(*options):
        if set(choice) != set(range(len(places))):
            continue
        load = [0] * len(places)
        taken: dict[tuple[int, str], int] = {}
        for d, j in zip(demand, choice, strict=True):
            load[j] += d.quantity
            taken[j, d.sku] = taken.get((j, d.sku), 0) + d.quantity
        if any(p.capacity is not None and load[j] > p.capacity for j, p in enumerate(places)):
            continue
        if any(q > places[j].stock.get(sku, 0) for (j, sku), q in taken.items()):
            continue
        c = sum(d.quantity * unit_cost(places[j], rules) for d, j in zip(demand, choice, strict=True))
        c += sum(place_cost(p, rules) for p in places)
        if best is None or c < best[0] - 1e-12:
            best = (
                c,
                [
                    Allocation(places[j].place_id, d.line_id, d.sku, d.quantity)
                    for d, j in zip(demand, choice, strict=True)
                ],
            )
    return best


def covers(c: Candidate, demand: Sequence[Demand]) -> int:
    wanted: dict[str, int] = {}
    for d in demand:
        wanted[d.sku] = wanted.get(d.sku, 0) + d.quantity
    units = sum(min(c.stock.get(sku, 0), n) for sku, n in wanted.items())
    return units if c.capacity is None else min(units, c.capacity)


def _rank_key(c: Candidate, demand: Sequence[Demand], rules: SourcingRules) -> tuple[float, float]:
    covered = covers(c, demand)
    # Best first: whoever covers most units, then cheapest per unit it covers.
    per_unit = (place_cost(c, rules) + covered * unit_cost(c, rules)) / max(covered, 1)
    return (-covered, per_unit)


def source(demand: Sequence[Demand], candidates: Sequence[Candidate], rules: SourcingRules) -> Plan:
    """The cheapest plan (within the rules) serving every unit of ``demand``; raises :class:`Unservable`."""
    demand = [d for d in demand if d.quantity > 0]
    eligible = [c for c in candidates if c.excluded is None and covers(c, demand) > 0]
    eligible.sort(key=lambda c: (_rank_key(c, demand, rules), c.place_id))
    kept = eligible[: rules.max_candidates]
    best: tuple[float, list[Allocation], tuple[Candidate, ...]] | None = None
    total_units = sum(d.quantity for d in demand)
    cheapest_unit = min((unit_cost(c, rules) for c in kept), default=0.0)
    # A plan within ``tolerance`` of the optimum is good enough: prune what cannot beat best / (1 + tol).
    slack = 1.0 + rules.tolerance
    for size in range(1, min(rules.max_parcels, len(kept)) + 1):
        if best is not None and (size * rules.parcel_cost + total_units * cheapest_unit) * slack >= best[0]:
            break  # every larger combination pays at least this many parcels
        for combo in itertools.combinations(kept, size):
            if sum(covers(c, demand) for c in combo) < total_units:
                continue
            bound = sum(place_cost(c, rules) for c in combo) + total_units * min(
                unit_cost(c, rules) for c in combo
            )
            if best is not None and bound * slack >= best[0]:
                continue
            result = _assign(demand, combo, rules)
            if result is not None and (best is None or result[0] < best[0] - 1e-9):
                best = (result[0], result[1], combo)
    explained = _explain(candidates, kept, demand, rules, best[2] if best else (), best[1] if best else [])
    if best is None:
        wanted: dict[str, int] = {}
        for d in demand:
            wanted[d.sku] = wanted.get(d.sku, 0) + d.quantity
        short: dict[str, int] = {}
        for sku, n in wanted.items():
            have = sum(c.stock.get(sku, 0) for c in eligible)
            if have < n:
                short[sku] = n - have
        if not short:  # stock exists, but not within the parcel or capacity limits
            short = {d.sku: d.quantity for d in demand}
        raise Unservable(short, explained)
    cost, allocations, combo = best
    names = ", ".join(c.place_id for c in combo)
    summary = f"{len(combo)} parcel(s) from {names}, cost {cost:.2f}, among {len(kept)} candidate place(s)"
    return Plan(
        allocations=allocations,
        cost=cost,
        places=[c.place_id for c in combo],
        candidates=explained,
        summary=summary,
    )


def plan_cost(
    allocations: Sequence[Allocation], candidates: Mapping[str, Candidate], rules: SourcingRules
) -> float:
    """The cost of any plan under the rules (the exhaustive search and tests use it)."""
    used = {a.place_id for a in allocations if a.quantity > 0}
    return sum(place_cost(candidates[p], rules) for p in used) + sum(
        a.quantity * unit_cost(candidates[a.place_id], rules) for a in allocations
    )


def _explain(
    candidates: Sequence[Candidate],
    kept: Sequence[Candidate],
    demand: Sequence[Demand],
    rules: SourcingRules,
    chosen: Sequence[Candidate],
    allocations: Sequence[Allocation],
) -> list[dict[str, Any]]:
    chosen_ids = {c.place_id for c in chosen}
    kept_ids = {c.place_id for c in kept}
    units = {pid: sum(a.quantity for a in allocations if a.place_id == pid) for pid in chosen_ids}
    total_units = sum(d.quantity for d in demand)
    out: list[dict[str, Any]] = []
    for c in candidates:
        held = covers(c, demand)
        score = round(place_cost(c, rules) + held * unit_cost(c, rules), 4) if c.excluded is None else None
        if c.excluded is not None:
            reason = f"excluded: {c.excluded}"
        elif held == 0:
            reason = "no stock for this order" if c.capacity != 0 else "no picking capacity left today"
        elif c.place_id in chosen_ids:
            reason = (
                f"chosen: ships {units[c.place_id]} of {total_units} unit(s); "
                f"{c.kind} at {_km(c.distance_km)}, parcel cost {place_cost(c, rules):.2f}"
            )
        elif c.place_id not in kept_ids:
            reason = f"not chosen: {rules.max_candidates} places covering more units or cheaper were compared first"
        elif held < total_units and not chosen_ids:
            reason = "not chosen: cannot complete the order within the parcel limit"
        elif held < total_units:
            reason = f"not chosen: holds {held} of {total_units} unit(s); combinations with it cost more"
        else:
            reason = "not chosen: could serve everything, but the chosen plan costs less"
        out.append(
            {
                "place_id": c.place_id,
                "kind": c.kind,
                "score": score,
                "distance_km": None if c.distance_km is None else round(c.distance_km, 1),
                "covers": held,
                "chosen": c.place_id in chosen_ids,
                "reason": reason,
            }
        )
    out.sort(key=lambda e: (not e["chosen"], e["score"] is None, e["score"] or 0.0, e["place_id"]))
    return out


def _km(distance: float | None) -> str:
    return "unknown distance" if distance is None else f"{distance:.1f} km"


# The kernel's great-circle distance, under the name the checkout imports it by.
haversine_km = distance_km
