"""The payments API end to end: gift cards, an order's payments, capture, refund, provider events."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from comptoir.core.db import Database
from comptoir.core.webhooks import signature_headers
from comptoir.payments import service
from comptoir.payments.config import SANDBOX_WEBHOOK_SECRET
from comptoir.payments.providers.sandbox import Sandbox
from tests.conftest import make_key
from tests.payments.conftest import authorise_in, card, gift, till

Step = Callable[..., Any]
EVENTS = "/v1/payments/providers/sandbox/events"


def signed(event: dict[str, Any], secret: str = SANDBOX_WEBHOOK_SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    return body, signature_headers(secret, event["id"], int(time.time()), body)


def test_gift_card_issue_balance_redeem_history(client: TestClient, admin_headers: dict[str, str]) -> None:
    # when staff issue a 50 € card with a PIN
    created = client.post(
        "/v1/payments/gift-cards",
        json={"amount": "50.00", "currency": "EUR", "reference": "till-42"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    card_ = created.json()
    assert (card_["balance"], card_["kind"], card_["has_pin"]) == ("50.00", "gift_card", True)
    assert created.headers["location"] == f"/v1/payments/gift-cards/{card_['code']}"
    pin = card_["pin"]
    # replaying the reference returns the same card, without its PIN
    again = client.post(
        "/v1/payments/gift-cards",
        json={"amount": "50.00", "currency": "EUR", "reference": "till-42"},
        headers=admin_headers,
    ).json()
    assert (again["id"], again["pin"]) == (card_["id"], None)
    # a wrong PIN is refused naming the reason
    code = card_["code"]
    wrong = "000000" if pin != "000000" else "111111"
    refused = client.post(
        f"/v1/payments/gift-cards/{code}/redemptions",
        json={"amount": "10.00", "currency": "EUR", "pin": wrong, "reference": "r1"},
        headers=admin_headers,
    )
    assert refused.status_code == 409 and refused.json()["reason"] == "pin"
    # the right PIN takes 10 €; the code may be typed in lower case with spaces
    taken = client.post(
        f"/v1/payments/gift-cards/{code.lower()}/redemptions",
        json={"amount": "10.00", "currency": "EUR", "pin": pin, "reference": "r1"},
        headers=admin_headers,
    )
    assert taken.status_code == 201, taken.text
    assert (taken.json()["amount"], taken.json()["balance_after"]) == ("-10.00", "40.00")
    # more than the balance is refused
    too_much = client.post(
        f"/v1/payments/gift-cards/{code}/redemptions",
        json={"amount": "40.01", "currency": "EUR", "pin": pin, "reference": "r2"},
        headers=admin_headers,
    )
    assert too_much.status_code == 409 and too_much.json()["reason"] == "insufficient_balance"
    balance = client.get(f"/v1/payments/gift-cards/{code}", headers=admin_headers).json()
    assert balance["balance"] == "40.00" and "pin" not in balance
    history = client.get(f"/v1/payments/gift-cards/{code}/movements", headers=admin_headers).json()
    assert [(m["kind"], m["amount"], m["balance_after"]) for m in history] == [
        ("redeem", "-10.00", "40.00"),
        ("issue", "50.00", "50.00"),
    ]


def test_bad_input_names_the_field(client: TestClient, admin_headers: dict[str, str]) -> None:
    bad = client.post(
        "/v1/payments/gift-cards",
        json={"amount": 12.5, "currency": "EUR", "reference": "x"},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "#/amount"
    unknown = client.get("/v1/payments/gift-cards/GC-NOPE-NOPE", headers=admin_headers)
    assert unknown.status_code == 404


def test_scopes(client: TestClient, db: Database) -> None:
    reader = {"Authorization": f"Bearer {make_key(db, ['payments:read'])}"}
    assert client.get("/v1/payments/orders/ord_x", headers=reader).status_code == 200
    denied = client.post(
        "/v1/payments/refunds",
        json={"order_id": "ord_x", "amount": "1", "currency": "EUR", "reference": "r"},
        headers=reader,
    )
    assert denied.status_code == 403
    other = {"Authorization": f"Bearer {make_key(db, ['stores:read'])}"}
    assert client.get("/v1/payments/orders/ord_x", headers=other).status_code == 403


def test_order_payments_capture_and_refund(
    client: TestClient, admin_headers: dict[str, str], step: Step, sandbox: Sandbox, issue: Any
) -> None:
    gc = issue("20.00")
    with step() as uow:
        service.authorise(
            uow, authorise_in("ord_1", gift("20", gc.code), card("30"), till("9.99", "pay_at_pickup"))
        )
    view = client.get("/v1/payments/orders/ord_1", headers=admin_headers).json()
    assert sorted((p["method"], p["state"]) for p in view["payments"]) == [
        ("card", "authorised"),
        ("gift_card", "captured"),
        ("pay_at_pickup", "pending"),
    ]
    assert view["total_captured"] == "20.00"
    # when the customer collects: everything is captured
    captured = client.post("/v1/payments/orders/ord_1/capture", headers=admin_headers)
    assert captured.status_code == 200 and {p["state"] for p in captured.json()} == {"captured"}
    # a return refunds 25: gift card 20, card 5
    refund = client.post(
        "/v1/payments/refunds",
        json={"order_id": "ord_1", "amount": "25.00", "currency": "EUR", "reference": "ret_1"},
        headers=admin_headers,
    )
    assert refund.status_code == 201, refund.text
    assert sorted((p["method"], p["amount"]) for p in refund.json()["parts"]) == [
        ("card", "5.00"),
        ("gift_card", "20.00"),
    ]
    too_much = client.post(
        "/v1/payments/refunds",
        json={"order_id": "ord_1", "amount": "35.00", "currency": "EUR", "reference": "ret_2"},
        headers=admin_headers,
    )
    assert too_much.status_code == 409
    assert too_much.json()["type"] == "urn:comptoir:problem:refund-exceeds-captured"
    assert too_much.json()["refundable"] == "34.99"
    view = client.get("/v1/payments/orders/ord_1", headers=admin_headers).json()
    assert (view["total_captured"], view["total_refunded"]) == ("59.99", "25.00")
    card_id = next(p["id"] for p in view["payments"] if p["method"] == "card")
    journal = client.get(f"/v1/payments/payments/{card_id}/events", headers=admin_headers).json()
    assert [(e["from_state"], e["to_state"], e["amount"]) for e in journal] == [
        (None, "authorised", "30.00"),
        ("authorised", "captured", "30.00"),
        ("captured", "partially_refunded", "5.00"),
    ]
    assert journal[2]["provider_reference"].startswith("re_")


def test_provider_events_move_a_3ds_payment_and_are_deduplicated(
    client: TestClient, admin_headers: dict[str, str], step: Step, sandbox: Sandbox
) -> None:
    # given a card waiting for 3-D Secure
    with step() as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", card("70", "tok_3ds")))
    reference = p.provider_reference
    assert reference is not None
    # when the customer authenticates, the provider emits an event, delivered signed
    sandbox.authenticate(reference, "success")
    event = sandbox.events[-1]
    assert event["type"] == "payment_intent.amount_capturable_updated"
    body, headers = signed(event)
    ack = client.post(EVENTS, content=body, headers=headers)
    assert ack.status_code == 200, ack.text
    assert ack.json() == {"received": True, "duplicate": False, "payment_id": p.id, "state": "authorised"}
    # a redelivery changes nothing
    again = client.post(EVENTS, content=body, headers=signed(event)[1])
    assert again.json()["duplicate"] is True
    # capture, then a dispute is recorded in the journal
    assert (
        client.post(f"/v1/payments/payments/{p.id}/capture", headers=admin_headers).json()["state"]
        == "captured"
    )
    sandbox.dispute(reference)
    ack = client.post(EVENTS, content=signed(sandbox.events[-1])[0], headers=signed(sandbox.events[-1])[1])
    assert ack.json()["state"] == "captured"
    journal = client.get(f"/v1/payments/payments/{p.id}/events", headers=admin_headers).json()
    assert [(e["to_state"], e["reason"]) for e in journal][-1] == ("captured", "disputed")
    assert journal[1]["provider_event_id"] == event["id"]


def test_provider_events_failed_and_refunded_at_the_provider(
    client: TestClient, admin_headers: dict[str, str], step: Step, sandbox: Sandbox
) -> None:
    with step() as uow:
        [declined] = service.authorise(uow, authorise_in("ord_1", card("70", "tok_3ds")))
        [paid] = service.authorise(uow, authorise_in("ord_2", card("40")))
        service.capture_order(uow, "ord_2")
    sandbox.authenticate(declined.provider_reference, "failure")  # type: ignore[arg-type]
    body, headers = signed(sandbox.events[-1])
    assert client.post(EVENTS, content=body, headers=headers).json()["state"] == "failed"
    got = client.get(f"/v1/payments/payments/{declined.id}", headers=admin_headers).json()
    assert (got["state"], got["failure_reason"]) == ("failed", "authentication_failed")
    # a refund made in the provider's dashboard is recorded here
    sandbox.refund({"payment_intent": paid.provider_reference, "amount": "15"})
    body, headers = signed(sandbox.events[-1])
    assert client.post(EVENTS, content=body, headers=headers).json()["state"] == "partially_refunded"
    view = client.get("/v1/payments/orders/ord_2", headers=admin_headers).json()
    assert view["total_refunded"] == "15.00"
    assert [r["amount"] for r in view["refunds"]] == ["15.00"]


def test_provider_events_must_be_signed(client: TestClient, sandbox: Sandbox, step: Step) -> None:
    with step() as uow:
        [p] = service.authorise(uow, authorise_in("ord_1", card("70", "tok_3ds")))
    sandbox.authenticate(p.provider_reference, "success")  # type: ignore[arg-type]
    body, headers = signed(sandbox.events[-1], secret="whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==")
    refused = client.post(EVENTS, content=body, headers=headers)
    assert refused.status_code == 401
    assert refused.json()["type"] == "urn:comptoir:problem:invalid-signature"
    unknown = client.post("/v1/payments/providers/other/events", content=body, headers=headers)
    assert unknown.status_code == 404
    with step() as uow:
        assert service.get_payment(uow, p.id).state == "pending"


def test_event_for_an_uncommitted_payment_asks_for_a_retry(client: TestClient, sandbox: Sandbox) -> None:
    from decimal import Decimal

    from comptoir.payments import providers

    intent = providers.card_provider().authorise(
        idempotency_key="pay_x",
        amount=Decimal("5"),
        currency="EUR",
        token="tok_visa",
        metadata={"payment_id": "pay_x"},
    )
    assert intent.status == "requires_capture"
    body, headers = signed(sandbox.events[-1])
    assert client.post(EVENTS, content=body, headers=headers).status_code == 404
    # nothing was kept, so the provider's retry is processed in full later
    assert client.post(EVENTS, content=body, headers=headers).status_code == 404


def test_block_a_lost_card_and_a_customer_s_cards(client: TestClient, admin_headers: dict[str, str]) -> None:
    created = client.post(
        "/v1/payments/gift-cards",
        json={
            "amount": "30.00",
            "currency": "EUR",
            "reference": "c1",
            "customer_id": "cus_9",
            "with_pin": False,
        },
        headers=admin_headers,
    ).json()
    code = created["code"]
    listed = client.get(
        "/v1/payments/gift-cards", params={"customer_id": "cus_9"}, headers=admin_headers
    ).json()
    assert [c["code"] for c in listed] == [code]
    blocked = client.put(
        f"/v1/payments/gift-cards/{code}/status", json={"status": "disabled"}, headers=admin_headers
    )
    assert blocked.json()["status"] == "disabled"
    refused = client.post(
        f"/v1/payments/gift-cards/{code}/redemptions",
        json={"amount": "1.00", "currency": "EUR", "reference": "r1"},
        headers=admin_headers,
    )
    assert refused.status_code == 409 and refused.json()["reason"] == "disabled"
    client.put(f"/v1/payments/gift-cards/{code}/status", json={"status": "active"}, headers=admin_headers)
    taken = client.post(
        f"/v1/payments/gift-cards/{code}/redemptions",
        json={"amount": "1.00", "currency": "EUR", "reference": "r1"},
        headers=admin_headers,
    )
    assert taken.status_code == 201 and taken.json()["balance_after"] == "29.00"


def test_wrong_pins_lock_the_card_until_staff_unblock_it(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    created = client.post(
        "/v1/payments/gift-cards",
        json={"amount": "30.00", "currency": "EUR", "reference": "c2"},
        headers=admin_headers,
    ).json()
    code, pin = created["code"], created["pin"]
    wrong = "000000" if pin != "000000" else "111111"
    reasons = [
        client.post(
            f"/v1/payments/gift-cards/{code}/redemptions",
            json={"amount": "1.00", "currency": "EUR", "pin": wrong, "reference": f"w{i}"},
            headers=admin_headers,
        ).json()["reason"]
        for i in range(6)
    ]
    assert reasons == ["pin"] * 5 + ["locked"]
    locked = client.post(
        f"/v1/payments/gift-cards/{code}/redemptions",
        json={"amount": "1.00", "currency": "EUR", "pin": pin, "reference": "ok"},
        headers=admin_headers,
    )
    assert locked.json()["reason"] == "locked"
    client.put(f"/v1/payments/gift-cards/{code}/status", json={"status": "active"}, headers=admin_headers)
    ok = client.post(
        f"/v1/payments/gift-cards/{code}/redemptions",
        json={"amount": "1.00", "currency": "EUR", "pin": pin, "reference": "ok"},
        headers=admin_headers,
    )
    assert ok.status_code == 201
