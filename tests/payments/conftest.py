"""Payments fixtures: a fresh sandbox card provider per test, units of work, tenders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from comptoir.core.context import SYSTEM, Actor
from comptoir.core.db import Database
from comptoir.core.uow import UnitOfWork
from comptoir.payments import providers, service
from comptoir.payments.config import SANDBOX_SECRET, SANDBOX_WEBHOOK_SECRET
from comptoir.payments.providers.http import HttpCardProvider
from comptoir.payments.providers.sandbox import Sandbox, create_sandbox_app
from comptoir.payments.schemas import AuthoriseIn, GiftCardIssueIn, TenderIn


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A sandbox provider of its own (in this process, over HTTP semantics), registered as ``sandbox``."""
    state = Sandbox(secret=SANDBOX_SECRET, webhook_secret=SANDBOX_WEBHOOK_SECRET)
    client = TestClient(create_sandbox_app(state), base_url="http://sandbox.test")
    previous = providers.register_provider(HttpCardProvider("sandbox", client, SANDBOX_SECRET))
    yield state
    providers.unregister_provider("sandbox", previous)


@pytest.fixture
def step(db: Database) -> Callable[..., Any]:
    """``with step() as uow:`` — one committed unit of work (rolled back when the block raises)."""

    @contextmanager
    def open_step(actor: Actor = SYSTEM) -> Iterator[UnitOfWork]:
        with UnitOfWork(db, actor) as uow:
            yield uow
            uow.commit()

    return open_step


def card(amount: str, token: str = "tok_visa") -> TenderIn:
    return TenderIn(method="card", amount=Decimal(amount), details={"card_token": token})


def gift(amount: str, code: str, pin: str | None = None) -> TenderIn:
    details = {"gift_card_code": code} | ({"gift_card_pin": pin} if pin else {})
    return TenderIn(method="gift_card", amount=Decimal(amount), details=details)


def till(amount: str, method: str = "pay_in_store") -> TenderIn:
    return TenderIn(method=method, amount=Decimal(amount))  # type: ignore[arg-type]


def points(amount: str) -> TenderIn:
    return TenderIn(method="loyalty_points", amount=Decimal(amount))


def authorise_in(order_id: str, *tenders: TenderIn, customer_id: str | None = "cus_1") -> AuthoriseIn:
    return AuthoriseIn(
        order_id=order_id, customer_id=customer_id, tenders=list(tenders), currency="EUR", channel="web"
    )


@pytest.fixture
def issue(step: Callable[..., Any]) -> Callable[..., Any]:
    """``issue("50.00")`` -> a new gift card (with its PIN)."""
    count = {"n": 0}

    def run(amount: str, *, with_pin: bool = False, kind: str = "gift_card", **extra: Any) -> Any:
        count["n"] += 1
        with step() as uow:
            return service.issue_gift_card(
                uow,
                GiftCardIssueIn(
                    amount=Decimal(amount),
                    currency="EUR",
                    kind=kind,  # type: ignore[arg-type]
                    with_pin=with_pin,
                    reference=f"test-{count['n']}",
                    **extra,
                ),
            )

    return run
