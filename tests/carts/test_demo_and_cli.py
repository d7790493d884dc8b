"""The demo's carts (one started in a shop for the demo account) and the ``comptoir carts`` commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from typer.testing import CliRunner

from comptoir.carts import demo, service
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.cli import app
from comptoir.core import clock
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.domains import all_domains
from tests.carts.conftest import LIN_S, STORE
from tests.carts.test_service import TABLET
from tests.catalog.conftest import recorded


def test_the_demo_has_open_carts_one_started_in_a_shop(db, settings) -> None:  # type: ignore[no-untyped-def]
    for domain in all_domains():
        if domain.name in ("stores", "catalog", "customers", "pricing"):
            with UnitOfWork(db) as uow:
                domain.load_demo(uow, settings)
                uow.commit()
    with UnitOfWork(db) as uow:
        demo.load_demo(uow, settings)
        uow.commit()
    with UnitOfWork(db) as uow:
        demo.load_demo(uow, settings)  # loaded once
        uow.commit()

    created = recorded(db, "carts.cart_created")
    assert len(created) >= 3
    in_shop = [e for e in created if e["channel"] == f"store:{demo.DEMO_STORE}"]
    assert len(in_shop) == 1 and in_shop[0]["started_for_customer"] is True and in_shop[0]["items_count"] == 3
    with UnitOfWork(db, read_only=True) as uow:
        camille = demo._customer(uow, demo.DEMO_EMAIL, demo.DEMO_EMAIL)
        assert camille is not None and service.current_cart(uow, camille).id == in_shop[0]["cart_id"]  # type: ignore[union-attr]
    assert {e["channel"] for e in recorded(db, "carts.cart_changed")} <= {"app"}


def test_the_commands_abandon_idle_carts_and_show_a_cart(db, marie, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(db, TABLET) as uow:
        out, _ = service.create_cart(uow, CartIn(customer_id=marie, lines=[LineIn(sku=LIN_S, quantity=2)]))
        uow.commit()
    monkeypatch.setenv("COMPTOIR_DATABASE_URL", db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        shown = runner.invoke(app, ["carts", "show", marie])
        assert shown.exit_code == 0, shown.output
        assert f"{out.id} (open, started on store:{STORE})" in shown.output
        assert f"2 × {LIN_S}" in shown.output and f"[store:{STORE}]" in shown.output
        assert (
            runner.invoke(app, ["carts", "abandon", "--minutes", "30"]).output
            == "carts marked abandoned: 0\n"
        )
        later = clock.now() + timedelta(minutes=31)
        clock.set_clock(lambda: later)
        try:
            abandoned = runner.invoke(app, ["carts", "abandon", "--minutes", "30"])
        finally:
            clock.set_clock(None)
        assert abandoned.exit_code == 0 and abandoned.output == "carts marked abandoned: 1\n"
        assert runner.invoke(app, ["carts", "show", "cus_nobody"]).exit_code == 1
    finally:
        get_settings.cache_clear()
