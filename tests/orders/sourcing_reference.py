"""The sourcing engine's reference: the true optimum by brute force, for property tests on small instances."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from comptoir.orders.sourcing import Allocation, Candidate, Demand, SourcingRules, plan_cost


def exhaustive(
    demand: Sequence[Demand], candidates: Sequence[Candidate], rules: SourcingRules
) -> float | None:
    """The true optimum by enumerating every split of every line over every eligible place.

    Exponential: for tests on small instances only. Respects stock, capacity, ``max_parcels`` and
    ``split_lines``. Returns the optimal cost, or None when nothing serves the order.
    """
    eligible = [c for c in candidates if c.excluded is None]
    by_id = {c.place_id: c for c in eligible}
    per_line: list[list[tuple[int, ...]]] = []
    for d in demand:
        splits: list[tuple[int, ...]] = []
        for split in _compositions(d.quantity, len(eligible)):
            if not rules.split_lines and sum(1 for q in split if q) > 1:
                continue
            if all(q <= eligible[j].stock.get(d.sku, 0) for j, q in enumerate(split)):
                splits.append(split)
        if not splits:
            return None
        per_line.append(splits)
    best: float | None = None
    for choice in itertools.product(*per_line):
        load = [sum(s[j] for s in choice) for j in range(len(eligible))]
        if any(c.capacity is not None and load[j] > c.capacity for j, c in enumerate(eligible)):
            continue
        per_sku: dict[tuple[int, str], int] = {}
        for d, split in zip(demand, choice, strict=True):
            for j, q in enumerate(split):
                per_sku[j, d.sku] = per_sku.get((j, d.sku), 0) + q
        if any(q > eligible[j].stock.get(sku, 0) for (j, sku), q in per_sku.items()):
            continue
        if sum(1 for q in load if q) > rules.max_parcels:
            continue
        allocations = [
            Allocation(eligible[j].place_id, d.line_id, d.sku, q)
            for d, split in zip(demand, choice, strict=True)
            for j, q in enumerate(split)
            if q
        ]
        c = plan_cost(allocations, by_id, rules)
        if best is None or c < best:
            best = c
    return best


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    if parts == 0:
        return [()] if total == 0 else []
    if parts == 1:
        return [(total,)]
    return [(first, *rest) for first in range(total + 1) for rest in _compositions(total - first, parts - 1)]
