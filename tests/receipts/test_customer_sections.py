"""The seller's 360° view shows a customer's receipts and payments (issue 15, item 18)."""

from __future__ import annotations

from typing import Any

from tests.orders.conftest import LIN_S
from tests.receipts.conftest import sell


def test_the_360_view_has_receipts_and_payments_sections(  # type: ignore[no-untyped-def]
    client, stocked, marie, till, dispatcher, admin_headers
) -> None:
    # given Marie bought a linen dress at the Rivoli till by card, and the worker issued its receipt
    sale = sell(client, till, [(LIN_S, 1)], customer_id=marie)
    dispatcher.drain()
    # when a seller opens her 360° view
    view = client.get(f"/v1/customers/{marie}/360", headers=admin_headers)
    assert view.status_code == 200, view.text
    sections: dict[str, Any] = view.json()["sections"]
    # then the receipt and the card payment are there, next to the other domains' sections
    [receipt] = sections["receipts"]["recent_receipts"]
    assert (receipt["number"], receipt["order_id"], receipt["total"], receipt["currency"]) == (
        f"T-{sale['number']}",
        sale["id"],
        sale["totals"]["total"],
        "EUR",
    )
    [payment] = sections["payments"]["recent_payments"]
    assert (payment["order_id"], payment["method"], payment["amount"], payment["currency"]) == (
        sale["id"],
        "card",
        sale["totals"]["total"],
        "EUR",
    )
    assert sections["payments"]["gift_cards"] == []
