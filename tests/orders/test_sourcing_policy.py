"""The sourcing policy: click & collect serves from the pickup store's own shelves first and transfers
only what it lacks, explained; who may serve each mode."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.orders import sourcing_policy
from comptoir.orders.sourcing import Candidate, Demand, SourcingRules, Unservable

SKUS = ["A", "B", "C"]
PICKUP = "st_pickup"


def test_the_pickup_store_holding_every_unit_serves_alone_even_when_a_warehouse_costs_less() -> None:
    # given 5 units at the pickup store, and a warehouse 107 km away whose handling is cheaper
    demand = [Demand("l1", "A", 5)]
    found = [
        Candidate(PICKUP, "store", 0.0, {"A": 5}),
        Candidate("wh", "warehouse", 107.0, {"A": 50}),
    ]
    # when the order is planned for click & collect
    plan = sourcing_policy.plan("click_and_collect", demand, found, SourcingRules(), PICKUP)
    # then one fulfilment from the pickup store's shelf, and the warehouse is explained as not needed
    assert plan.places == [PICKUP]
    assert [(a.place_id, a.quantity) for a in plan.allocations] == [(PICKUP, 5)]
    reasons = {c["place_id"]: c["reason"] for c in plan.candidates}
    assert reasons == {
        PICKUP: "chosen: the pickup store serves 5 of 5 unit(s) from its own stock",
        "wh": "not needed: the pickup store holds every unit",
    }
    assert plan.summary == "1 parcel: the pickup store st_pickup holds all 5 unit(s)"


def test_what_the_pickup_store_lacks_is_transferred_in_the_same_order() -> None:
    # given the pickup store holds 3 of 5 A and no B; the warehouse holds plenty
    demand = [Demand("l1", "A", 5), Demand("l2", "B", 1)]
    found = [
        Candidate(PICKUP, "store", 0.0, {"A": 3}),
        Candidate("wh", "warehouse", 107.0, {"A": 50, "B": 9}),
    ]
    plan = sourcing_policy.plan("click_and_collect", demand, found, SourcingRules(), PICKUP)
    # then the shelf's 3 A, and 2 A + 1 B transferred from the warehouse, the split explained
    assert plan.places == [PICKUP, "wh"]
    assert sorted((a.place_id, a.sku, a.quantity) for a in plan.allocations) == [
        (PICKUP, "A", 3),
        ("wh", "A", 2),
        ("wh", "B", 1),
    ]
    assert plan.summary == (
        "the pickup store st_pickup serves 3 of 6 unit(s) from its shelves; 3 transferred from wh"
    )
    assert plan.candidates[0]["reason"] == (
        "chosen: the pickup store serves 3 of 6 unit(s) from its own stock; the 3 it lacks are transferred"
    )


@st.composite
def pickups(draw: st.DrawFn) -> tuple[list[Demand], list[Candidate], SourcingRules]:
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=1, max_size=3))
    demand = [Demand(f"l{i}", sku, draw(st.integers(1, 4))) for i, sku in enumerate(skus)]
    pickup = Candidate(PICKUP, "store", 0.0, {s: draw(st.integers(0, 6)) for s in SKUS})
    others = [
        Candidate(
            f"p{j}",
            draw(st.sampled_from(["warehouse", "store"])),
            float(draw(st.integers(1, 400))),
            {s: draw(st.integers(0, 6)) for s in SKUS},
            capacity=draw(st.one_of(st.none(), st.integers(0, 8))),
        )
        for j in range(draw(st.integers(0, 3)))
    ]
    rules = SourcingRules(
        store_unit_cost=draw(st.sampled_from([0.5, 1.5, 5.0])),
        warehouse_unit_cost=draw(st.sampled_from([0.0, 0.5])),
        max_parcels=draw(st.integers(1, 4)),
    )
    return demand, [pickup, *others], rules


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pickups())
def test_the_pickup_store_serves_all_it_holds_and_only_the_rest_moves(
    instance: tuple[list[Demand], list[Candidate], SourcingRules],
) -> None:
    demand, found, rules = instance
    pickup = found[0]
    wanted = Counter[str]()
    for d in demand:
        wanted[d.sku] += d.quantity
    covered = all(pickup.stock.get(sku, 0) >= n for sku, n in wanted.items())
    try:
        plan = sourcing_policy.plan("click_and_collect", demand, found, rules, PICKUP)
    except Unservable:
        # refused only when the network holds too little, or the parcel and capacity limits forbid it
        assert not covered
        return
    got = Counter[tuple[str, str]]()
    for a in plan.allocations:
        got[a.place_id, a.sku] += a.quantity
    # every unit served, no place beyond its stock
    for d in demand:
        assert sum(a.quantity for a in plan.allocations if a.line_id == d.line_id) == d.quantity
    for c in found:
        for sku in SKUS:
            assert got[c.place_id, sku] <= c.stock.get(sku, 0)
    if covered:
        # the pickup store holds every unit: it serves alone
        assert plan.places == [PICKUP]
    elif plan.places and plan.places[0] == PICKUP:
        # else it serves all it holds of each SKU, the rest comes from elsewhere, and the split is said
        for sku, n in wanted.items():
            assert got[PICKUP, sku] == min(n, pickup.stock.get(sku, 0))
        assert "transferred from" in plan.summary
    else:
        # it holds none of the order (or the engine planned the whole order as a fallback)
        assert sum(got[PICKUP, sku] for sku in SKUS) == 0 or "pickup store" not in plan.summary
    assert len(plan.places) <= rules.max_parcels
    assert sorted(c["place_id"] for c in plan.candidates) == sorted(c.place_id for c in found)
