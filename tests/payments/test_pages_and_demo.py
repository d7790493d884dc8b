"""The staff page (gift card lookup, an order's payments) in French and English, the demo cards, the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.payments import demo, service
from comptoir.payments.providers.sandbox import Sandbox
from tests.conftest import make_key
from tests.payments.conftest import authorise_in, card, till
from tests.support.staff import sign_in_pages

Step = Callable[..., Any]


def sign_in(client: TestClient, db: Database) -> None:
    sign_in_pages(client, db)


def test_gift_card_lookup_page_in_french_and_english(
    client: TestClient, db: Database, settings: Settings
) -> None:
    with UnitOfWork(db) as uow:
        demo.load_demo(uow, settings)
        uow.commit()
    sign_in(client, db)
    page = client.get("/pages/payments", params={"code": "gc-demo-0100-lyon", "lang": "fr"})
    assert page.status_code == 200
    assert "Solde : 62,60\xa0€" in page.text or "Solde : 62,60\u202f€" in page.text
    assert "•••• LYON" in page.text and "Utilisée" in page.text
    english = client.get("/pages/payments", params={"code": "GC-DEMO-0100-LYON", "lang": "en"})
    assert "Balance: €62.60" in english.text and "Spent" in english.text
    missing = client.get("/pages/payments", params={"code": "GC-NOPE-0000", "lang": "fr"})
    assert "Aucune carte cadeau ni aucun avoir ne porte ce code." in missing.text


def test_order_payments_page(client: TestClient, db: Database, step: Step, sandbox: Sandbox) -> None:
    with step() as uow:
        service.authorise(uow, authorise_in("ord_page", card("30"), till("5")))
        service.capture_order(uow, "ord_page")
    sign_in(client, db)
    page = client.get("/pages/payments", params={"order_id": "ord_page", "lang": "fr"})
    assert page.status_code == 200
    assert "Carte bancaire" in page.text and "Paiement en magasin" in page.text
    assert "Encaissé" in page.text and "Autorisé" in page.text
    assert "Cette commande" not in page.text
    assert (
        client.get("/pages/payments", params={"order_id": "ord_none", "lang": "fr"}).text.count(
            "Cette commande n’a aucun paiement."
        )
        == 1
    )


def test_page_needs_a_signed_in_employee_not_a_key(client: TestClient, db: Database) -> None:
    client.cookies.set("comptoir_staff", make_key(db, ["*"]))
    assert client.get("/pages/payments", follow_redirects=False).status_code == 303


def test_demo_cards_are_loaded_once(db: Database, settings: Settings) -> None:
    for _ in range(2):
        with UnitOfWork(db) as uow:
            demo.load_demo(uow, settings)
            uow.commit()
    with UnitOfWork(db, read_only=True) as uow:
        balances = {code: str(service.gift_card(uow, code).balance) for code, *_ in demo.DEMO_CARDS}
        voucher = service.gift_card(uow, "AV-DEMO-0015-RETOUR")
    assert balances == {
        "GC-DEMO-0050-PARIS": "50.00",
        "GC-DEMO-0100-LYON": "62.60",
        "GC-DEMO-0025-NOEL": "25.00",
        "GC-DEMO-0200-MARIAGE": "80.00",
        "AV-DEMO-0015-RETOUR": "15.90",
    }
    assert voucher.kind == "voucher" and not voucher.has_pin


def test_cli_issues_a_gift_card(db: Database, monkeypatch: Any) -> None:
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["payments", "issue-gift-card", "30.00", "--reference", "cli-1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    issued = json.loads(result.output)
    assert (issued["balance"], issued["has_pin"], len(issued["pin"])) == ("30.00", True, 6)
    with UnitOfWork(db, read_only=True) as uow:
        assert str(service.gift_card(uow, issued["code"]).balance) == "30.00"


def test_merged_customers_gift_cards_and_payments_follow_the_survivor(
    db: Database, step: Step, issue: Any
) -> None:
    from comptoir.customers.events import CustomersMerged
    from comptoir.payments.handlers import customers_merged

    gc = issue("10.00", customer_id="cus_old")
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", till("5"), customer_id="cus_old"))
    with step() as uow:
        customers_merged(
            uow,
            CustomersMerged(
                surviving_id="cus_new", merged_ids=["cus_old"], merge_id="m1", reason="same e-mail"
            ),
        )
    with step() as uow:
        assert [c.code for c in service.customer_gift_cards(uow, "cus_new")] == [gc.code]
        assert service.customer_gift_cards(uow, "cus_old") == []
        assert service.payments_of(uow, "ord_1")[0].customer_id == "cus_new"
