"""``comptoir orders sourcing`` takes the number staff see as well as the id (issue 15, item 17)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from tests.orders.conftest import CARD, LIN_M, PARIS_ADDRESS, checkout, new_cart


@pytest.fixture
def cli(db: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from comptoir.cli import app
    from comptoir.core.settings import get_settings

    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_sourcing_explains_an_order_by_its_number_or_its_id(client, stocked, web, cli) -> None:  # type: ignore[no-untyped-def]
    # given a home-delivery order
    cart = new_cart(client, web, [(LIN_M, 1)])
    order = checkout(client, web, cart, mode="home_delivery", address=PARIS_ADDRESS, tenders=[CARD]).json()
    # when staff ask by the number they read, lower-cased, and by the id
    by_number = cli("orders", "sourcing", order["number"].lower())
    by_id = cli("orders", "sourcing", order["id"])
    # then the same explanation, headed by the number
    assert by_number.exit_code == 0, by_number.output
    assert by_number.output == by_id.output
    assert by_number.output.splitlines()[0] == f"{order['number']}: {order['sourcing']['summary']}"


def test_sourcing_of_an_unknown_order_says_so_without_a_traceback(db, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("orders", "sourcing", "CMD-NOPE1234")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output == "No order has the number or id CMD-NOPE1234.\n"
