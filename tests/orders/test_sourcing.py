"""The sourcing engine: explained choices, and never worse than an exhaustive search (small instances)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comptoir.orders.sourcing import (
    Candidate,
    Demand,
    SourcingRules,
    Unservable,
    plan_cost,
    source,
)
from tests.orders.sourcing_reference import exhaustive

SKUS = ["A", "B", "C"]


def test_prefers_one_parcel_from_a_store_that_has_everything():
    # given a warehouse far away with part of the order and a store nearby with all of it
    rules = SourcingRules()
    demand = [Demand("l1", "A", 2), Demand("l2", "B", 1)]
    places = [
        Candidate("wh", "warehouse", 400.0, {"A": 5}),
        Candidate("s1", "store", 3.0, {"A": 1, "B": 1}),
        Candidate("s2", "store", 10.0, {"A": 2, "B": 1}),
        Candidate("s3", "store", 5.0, {"A": 9, "B": 9}, excluded="temporarily closed"),
    ]
    # when sourcing
    plan = source(demand, places, rules)
    # then one parcel from s2, and every place considered is explained
    assert plan.places == ["s2"]
    assert round(plan.cost, 2) == 10.70  # 6 parcel + 10 km × 0.02 + 3 units × 1.5
    reasons = {c["place_id"]: c["reason"] for c in plan.candidates}
    assert reasons["s2"] == "chosen: ships 3 of 3 unit(s); store at 10.0 km, parcel cost 6.20"
    assert reasons["s1"] == "not chosen: holds 2 of 3 unit(s); combinations with it cost more"
    assert reasons["wh"] == "not chosen: holds 2 of 3 unit(s); combinations with it cost more"
    assert reasons["s3"] == "excluded: temporarily closed"


def test_splits_when_no_single_place_can_serve():
    rules = SourcingRules()
    demand = [Demand("l1", "A", 1), Demand("l2", "B", 1)]
    places = [Candidate("wh", "warehouse", 50.0, {"A": 3}), Candidate("s1", "store", 2.0, {"B": 1})]
    plan = source(demand, places, rules)
    assert sorted(plan.places) == ["s1", "wh"]
    assert sorted((a.place_id, a.sku, a.quantity) for a in plan.allocations) == [
        ("s1", "B", 1),
        ("wh", "A", 1),
    ]


def test_capacity_is_a_hard_limit():
    rules = SourcingRules()
    demand = [Demand("l1", "A", 2)]
    places = [
        Candidate("near", "store", 1.0, {"A": 5}, capacity=0),
        Candidate("far", "store", 80.0, {"A": 5}, capacity=10),
    ]
    plan = source(demand, places, rules)
    assert plan.places == ["far"]
    assert {c["place_id"]: c["reason"] for c in plan.candidates}["near"] == "no picking capacity left today"


def test_a_high_parcel_cost_prefers_one_far_parcel_over_two_near_ones():
    demand = [Demand("l1", "A", 1), Demand("l2", "B", 1)]
    places = [
        Candidate("a", "store", 1.0, {"A": 1}),
        Candidate("b", "store", 1.0, {"B": 1}),
        Candidate("far", "warehouse", 600.0, {"A": 1, "B": 1}),
    ]
    assert source(demand, places, SourcingRules(parcel_cost=20.0)).places == ["far"]
    assert sorted(source(demand, places, SourcingRules(parcel_cost=1.0)).places) == ["a", "b"]


def test_unservable_names_what_is_missing():
    demand = [Demand("l1", "A", 3), Demand("l2", "B", 1)]
    places = [Candidate("s1", "store", 1.0, {"A": 2, "B": 1})]
    with pytest.raises(Unservable) as caught:
        source(demand, places, SourcingRules())
    assert caught.value.short == {"A": 1}


def test_without_line_splitting_a_line_comes_whole_from_one_place():
    demand = [Demand("l1", "A", 2)]
    places = [Candidate("s1", "store", 1.0, {"A": 1}), Candidate("s2", "store", 2.0, {"A": 1})]
    assert sorted(source(demand, places, SourcingRules()).places) == ["s1", "s2"]
    with pytest.raises(Unservable):
        source(demand, places, SourcingRules(split_lines=False))


@st.composite
def instances(draw: st.DrawFn) -> tuple[list[Demand], list[Candidate], SourcingRules]:
    n_lines = draw(st.integers(1, 3))
    skus = draw(st.lists(st.sampled_from(SKUS), min_size=n_lines, max_size=n_lines))
    demand = [Demand(f"l{i}", sku, draw(st.integers(1, 2))) for i, sku in enumerate(skus)]
    n_places = draw(st.integers(1, 4))
    places = [
        Candidate(
            place_id=f"p{j}",
            kind=draw(st.sampled_from(["warehouse", "store"])),
            distance_km=float(draw(st.integers(0, 500))),
            stock={s: draw(st.integers(0, 3)) for s in SKUS},
            capacity=draw(st.one_of(st.none(), st.integers(0, 4))),
            fixed_cost=float(draw(st.integers(0, 5))),
        )
        for j in range(n_places)
    ]
    rules = SourcingRules(
        parcel_cost=float(draw(st.integers(0, 20))),
        cost_per_km=draw(st.sampled_from([0.0, 0.01, 0.05])),
        warehouse_unit_cost=draw(st.sampled_from([0.0, 0.5, 2.0])),
        store_unit_cost=draw(st.sampled_from([0.0, 1.5, 3.0])),
        max_parcels=draw(st.integers(1, 4)),
        split_lines=draw(st.booleans()),
        max_candidates=draw(st.integers(4, 10)),
        tolerance=draw(st.sampled_from([0.0, 0.05, 0.2])),
    )
    return demand, places, rules


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_never_worse_than_the_exhaustive_optimum_beyond_the_tolerance(
    instance: tuple[list[Demand], list[Candidate], SourcingRules],
) -> None:
    demand, places, rules = instance
    optimum = exhaustive(demand, places, rules)
    try:
        plan = source(demand, places, rules)
    except Unservable:
        # then the exhaustive search finds nothing either
        assert optimum is None
        return
    assert optimum is not None
    by_id = {c.place_id: c for c in places}
    # the plan is feasible: every unit served, stock, capacity and parcel limits respected
    for d in demand:
        assert sum(a.quantity for a in plan.allocations if a.line_id == d.line_id) == d.quantity
    for c in places:
        taken = sum(a.quantity for a in plan.allocations if a.place_id == c.place_id)
        assert c.capacity is None or taken <= c.capacity
        for sku in SKUS:
            assert sum(
                a.quantity for a in plan.allocations if a.place_id == c.place_id and a.sku == sku
            ) <= c.stock.get(sku, 0)
    assert len(plan.places) <= rules.max_parcels
    if not rules.split_lines:
        assert len(plan.allocations) == len(demand)
    # and its cost is within the tolerance of the optimum
    cost = plan_cost(plan.allocations, by_id, rules)
    assert abs(cost - plan.cost) < 1e-6
    assert cost <= optimum * (1 + rules.tolerance) + 1e-6
    # and every place is explained
    assert sorted(c["place_id"] for c in plan.candidates) == sorted(by_id)
