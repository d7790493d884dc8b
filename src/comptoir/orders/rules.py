"""The retailer's order rules: one JSON row (``orders_sourcing_rules``, id ``default``)."""

from __future__ import annotations

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.cache import TtlCache
from comptoir.core.db import insert_ignore
from comptoir.core.errors import check_version
from comptoir.core.uow import UnitOfWork
from comptoir.orders.models import SourcingRules as RulesRow
from comptoir.orders.policies import OrdersRules

RULES_ID = "default"
# Rules change a few times a year and every checkout reads them: each process keeps them this long.
CACHE_SECONDS = 5.0
_cache: TtlCache[str, OrdersRules] = TtlCache(ttl=CACHE_SECONDS)


def load_rules(uow: UnitOfWork, *, fresh: bool = False) -> OrdersRules:
    """The rules, read at most every few seconds per process and database (``fresh``: read now)."""
    key = uow.db.url
    hit = None if fresh else _cache.get(key)
    if hit is not None:
        return hit
    row = uow.session.execute(select(RulesRow.rules).where(RulesRow.id == RULES_ID)).scalar_one_or_none()
    return _cache.put(key, OrdersRules() if row is None else OrdersRules.model_validate(row))


def rules_version(uow: UnitOfWork) -> int:
    version = uow.session.execute(
        select(RulesRow.version).where(RulesRow.id == RULES_ID)
    ).scalar_one_or_none()
    return 0 if version is None else int(version)


def save_rules(uow: UnitOfWork, rules: OrdersRules, *, expected_version: int | None) -> int:
    """Replace the rules (If-Match on their version); returns the new version."""
    now = clock.now()
    insert_ignore(
        uow.session,
        RulesRow,
        [{"id": RULES_ID, "rules": OrdersRules().model_dump(mode="json"), "updated_at": now, "version": 0}],
    )
    current = uow.session.execute(
        select(RulesRow.version).where(RulesRow.id == RULES_ID).with_for_update()
    ).scalar_one()
    check_version(int(current), expected_version)
    uow.session.execute(
        update(RulesRow)
        .where(RulesRow.id == RULES_ID)
        .values(rules=rules.model_dump(mode="json"), updated_at=now, version=int(current) + 1)
    )
    _cache.pop(uow.db.url)  # this process sees its own change at once
    return int(current) + 1
