"""Helpers for the loyalty tests: the demo programme, a unit of work per step, a clock to move."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from comptoir.core import clock
from comptoir.core.context import SYSTEM, Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import service
from comptoir.loyalty.demo import carte_comptoir
from comptoir.loyalty.models import Account, LedgerEntry, Lot
from comptoir.loyalty.policies import PaidLine
from comptoir.loyalty.schemas import LedgerEntryOut, ProgrammeRules

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOME = "cat_home"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def now() -> Iterator[Clock]:
    frozen = Clock(T0)
    clock.set_clock(frozen)
    yield frozen
    clock.set_clock(None)


@pytest.fixture
def step(db: Database) -> Callable[..., Any]:
    """``with step() as uow:`` — one committed unit of work, as a route or handler would do."""

    @contextmanager
    def open_step(actor: Actor = SYSTEM) -> Iterator[UnitOfWork]:
        with UnitOfWork(db, actor) as uow:
            yield uow
            uow.commit()

    return open_step


def rules_without_operations(**changes: Any) -> ProgrammeRules:
    rules = carte_comptoir(now=T0, double_points_category_ids=[HOME])
    return rules.model_copy(update={"operations": [], **changes})


@pytest.fixture
def programme(step: Callable[..., Any], now: Clock) -> ProgrammeRules:
    """Carte Comptoir without the running double-points operation (tests add their own)."""
    rules = rules_without_operations()
    with step() as uow:
        service.set_programme(uow, rules)
    return rules


@pytest.fixture
def pay(step: Callable[..., Any]) -> Callable[..., LedgerEntryOut | None]:
    """``pay("o1", "cus_a", "120.00")``: the order is paid, loyalty earns as its handler would."""

    def run(
        order_id: str,
        customer_id: str,
        *amounts: str,
        categories: tuple[str, ...] = (),
        channel: str = "web",
    ) -> LedgerEntryOut | None:
        lines = [
            PaidLine(line_id=f"l{i}", sku=f"SKU-{i}", quantity=1, amount=Decimal(a), category_ids=categories)
            for i, a in enumerate(amounts, start=1)
        ]
        with step() as uow:
            return service.earn_for_order(
                uow, order_id=order_id, customer_id=customer_id, channel=channel, currency="EUR", lines=lines
            )

    return run


def ledger_state(db: Database, customer_id: str) -> tuple[int, int, int]:
    """(balance held on the account, sum of the ledger entries, sum of the lots' remaining points)."""
    with UnitOfWork(db, read_only=True) as uow:
        aliases = select(Account.customer_id).where(Account.merged_into == customer_id)
        balance = uow.session.scalar(select(Account.balance).where(Account.customer_id == customer_id)) or 0
        entries = uow.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.points), 0)).where(
                (LedgerEntry.customer_id == customer_id) | LedgerEntry.customer_id.in_(aliases)
            )
        )
        lots = uow.session.scalar(
            select(func.coalesce(func.sum(Lot.remaining), 0)).where(Lot.customer_id == customer_id)
        )
    return int(balance), int(entries or 0), int(lots or 0)
