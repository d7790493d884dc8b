"""The demo: Carte Comptoir, and points for some demo customers found through the customers service."""

from __future__ import annotations

from decimal import Decimal

from comptoir.customers import service as customers_service
from comptoir.customers.schemas import CustomerRecord
from comptoir.loyalty import demo, service
from tests.loyalty.conftest import ledger_state


def test_demo_programme_and_balances(step, db, settings, now) -> None:  # type: ignore[no-untyped-def]
    # given two demo customers
    with step() as uow:
        martin = customers_service.ingest(
            uow, "pos", CustomerRecord(given_name="Léa", family_name="Martin", email="lea.martin@example.fr")
        ).customer_id
        customers_service.ingest(
            uow, "web", CustomerRecord(given_name="Hugo", family_name="Bernard", email="hugo.b@example.fr")
        )
    # when the demo is loaded (twice: the second time changes nothing)
    with step() as uow:
        demo.load_demo(uow, settings)
    with step() as uow:
        demo.load_demo(uow, settings)
    # then the programme is Carte Comptoir and Léa Martin has points, consistent with her ledger
    with step() as uow:
        programme = service.get_programme(uow)
        account = service.account(uow, martin)
        rewards = service.rewards(uow)
    assert (programme.name, programme.points_per_unit, programme.expiry_months, programme.version) == (
        "Carte Comptoir",
        Decimal(1),
        24,
        1,
    )
    assert [t.name for t in programme.tiers] == ["Essentiel", "Privilège", "Prestige"]
    assert [(r.code, r.points, r.amount) for r in rewards] == [
        ("bon-10", 500, Decimal(10)),
        ("bon-25", 1200, Decimal(25)),
    ]
    assert account.balance > 0
    assert ledger_state(db, martin) == (account.balance, account.balance, account.balance)
