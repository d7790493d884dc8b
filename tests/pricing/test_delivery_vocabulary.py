"""One delivery vocabulary: a free-shipping promotion targets modes and methods by the names checkout
sends; promotions stored with a mode under ``methods`` are migrated (0050_delivery_vocabulary)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, create_engine, insert, select

from comptoir.core.migrate import upgrade
from comptoir.orders.models import SourcingRules as RulesRow
from comptoir.pricing import promotion_rules
from comptoir.pricing.models import Promotion
from comptoir.pricing.policies import Line, Promo
from comptoir.pricing.promotion_rules import Delivery
from tests.conftest import create_empty_database, drop_database

FREE = Promo("p_free", "free_shipping", "Livraison offerte", params={"modes": ["home_delivery"]})
EXPRESS_ONLY = Promo("p_exp", "free_shipping", "Express offert", params={"methods": ["express"]})


@pytest.mark.parametrize(
    ("promo", "delivery", "shipping_paid"),
    [
        pytest.param(FREE, Delivery("home_delivery", "standard"), "0.00", id="home-standard-free"),
        pytest.param(FREE, Delivery("home_delivery", "express"), "0.00", id="home-express-free"),
        pytest.param(FREE, Delivery("click_and_collect", "standard"), "4.90", id="other-mode-pays"),
        pytest.param(EXPRESS_ONLY, Delivery("home_delivery", "standard"), "4.90", id="other-method-pays"),
        pytest.param(EXPRESS_ONLY, Delivery("home_delivery", "express"), "0.00", id="express-free"),
    ],
)
def test_free_shipping_targets_the_mode_and_the_method(
    promo: Promo, delivery: Delivery, shipping_paid: str
) -> None:
    # given a cart of 70.00 and 4.90 of shipping
    lines = [Line("l1", "ROBE", 1, Decimal("70.00"))]
    # when the promotions are applied for a delivery
    outcome = promotion_rules.apply_promotions(lines, [promo], Decimal("4.90"), delivery)
    # then shipping is free only for what the promotion targets
    assert Decimal("4.90") - outcome.shipping_discount == Decimal(shipping_paid)


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        pytest.param({"modes": ["home_delivery"], "methods": ["express"]}, [], id="known-names"),
        pytest.param(
            {"methods": ["home_delivery"]},
            [
                (
                    "params/methods/0",
                    "'home_delivery' is not one of standard, express (it is a delivery mode: list it in modes)",
                )
            ],
            id="a-mode-among-methods",
        ),
        pytest.param(
            {"modes": ["drone"]},
            [
                (
                    "params/modes/0",
                    "'drone' is not one of home_delivery, click_and_collect, reserve_and_collect, store_sale",
                )
            ],
            id="unknown-mode",
        ),
        pytest.param(
            {"modes": "home_delivery"}, [("params/modes", "modes must be a list of names")], id="not-a-list"
        ),
    ],
)
def test_a_free_shipping_promotion_names_modes_and_methods_from_the_vocabulary(
    params: dict[str, Any], errors: list[tuple[str, str]]
) -> None:
    assert promotion_rules.validate_params("free_shipping", params) == errors


def _promotion(promotion_id: str, params: dict[str, Any]) -> dict[str, Any]:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "id": promotion_id,
        "name": promotion_id,
        "label": promotion_id,
        "kind": "free_shipping",
        "status": "active",
        "currency": "EUR",
        "channels": [],
        "segments": [],
        "tiers": [],
        "params": params,
        "created_at": now,
        "updated_at": now,
    }


def test_stored_promotions_and_fees_are_migrated_to_the_vocabulary(database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # given a database one revision before, with promotions written in the old vocabulary
    url = create_empty_database("postgresql" if database.is_postgres else "sqlite", tmp_path)
    promotions = cast(Table, Promotion.__table__)
    try:
        upgrade(url, "0012_receipts")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                insert(promotions),
                [
                    _promotion("p_demo", {"min_subtotal": "60", "methods": ["home_delivery"]}),
                    _promotion("p_mixed", {"methods": ["home_delivery", "express", "pigeon"]}),
                    _promotion("p_new", {"modes": ["home_delivery"], "methods": ["standard"]}),
                    _promotion("p_any", {}),
                ],
            )
            conn.execute(
                insert(cast(Table, RulesRow.__table__)),
                {
                    "id": "default",
                    "rules": {"shipping_fees": {"standard": "4.90", "same_day": "14.90"}},
                    "version": 1,
                    "updated_at": datetime(2026, 1, 1, tzinfo=UTC),
                },
            )
        # when the migration runs
        upgrade(url, "0050_delivery_vocabulary")
        # then modes sit under modes, methods under methods, unknown names are gone, the rest untouched
        with engine.connect() as conn:
            params = dict(conn.execute(select(promotions.c.id, promotions.c.params)).all())
            rules = conn.execute(select(RulesRow.rules)).scalar_one()
        engine.dispose()
        assert params == {
            "p_demo": {"min_subtotal": "60", "methods": [], "modes": ["home_delivery"]},
            "p_mixed": {"methods": ["express"], "modes": ["home_delivery"]},
            "p_new": {"modes": ["home_delivery"], "methods": ["standard"]},
            "p_any": {},
        }
        assert rules == {"shipping_fees": {"standard": "4.90"}}
    finally:
        drop_database(url)
