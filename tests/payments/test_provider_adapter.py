"""The HTTP adapter against the sandbox protocol: idempotency keys, refusals, unreachable provider."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.payments import jobs, providers, service
from comptoir.payments.config import SANDBOX_SECRET, SANDBOX_WEBHOOK_SECRET
from comptoir.payments.providers.base import CardProvider, ProviderRefused, ProviderUnavailable
from comptoir.payments.providers.embedded import EmbeddedCardProvider
from comptoir.payments.providers.http import HttpCardProvider
from comptoir.payments.providers.sandbox import Sandbox, create_sandbox_app
from tests.payments.conftest import authorise_in, card, gift

Step = Callable[..., Any]


def adapter(secret: str = SANDBOX_SECRET) -> tuple[Sandbox, HttpCardProvider]:
    state = Sandbox(secret=SANDBOX_SECRET, webhook_secret=SANDBOX_WEBHOOK_SECRET)
    return state, HttpCardProvider("sandbox", TestClient(create_sandbox_app(state)), secret)


def embedded() -> tuple[Sandbox, EmbeddedCardProvider]:
    state = Sandbox(secret=SANDBOX_SECRET, webhook_secret=SANDBOX_WEBHOOK_SECRET)
    return state, EmbeddedCardProvider("sandbox", state)


both = pytest.mark.parametrize("make", [adapter, embedded], ids=["over-http", "embedded"])


@both
def test_the_idempotency_key_makes_retries_safe(make: Callable[[], tuple[Sandbox, CardProvider]]) -> None:
    state, provider = make()
    first = provider.authorise(
        idempotency_key="pay_1", amount=Decimal("12.30"), currency="EUR", token="tok_visa", metadata={}
    )
    again = provider.authorise(
        idempotency_key="pay_1", amount=Decimal("12.30"), currency="EUR", token="tok_visa", metadata={}
    )
    assert again.reference == first.reference and len(state.intents) == 1
    provider.capture(first.reference, Decimal("12.30"), idempotency_key="capture:pay_1")
    r1 = provider.refund(first.reference, Decimal("5"), idempotency_key="refund:ret:pay_1")
    r2 = provider.refund(first.reference, Decimal("5"), idempotency_key="refund:ret:pay_1")
    assert r1 == r2 and state.intents[first.reference].amount_refunded == Decimal("5")
    with pytest.raises(ProviderRefused, match="exceeds"):
        provider.refund(first.reference, Decimal("7.31"), idempotency_key="refund:ret2:pay_1")


@both
def test_every_operation_answers_the_same_in_process_and_over_http(
    make: Callable[[], tuple[Sandbox, CardProvider]],
) -> None:
    from datetime import UTC, datetime, timedelta

    state, provider = make()
    held = provider.authorise(
        idempotency_key="p1", amount=Decimal("40"), currency="eur", token="tok_visa", metadata={"k": "v"}
    )
    challenged = provider.authorise(
        idempotency_key="p2", amount=Decimal("9.90"), currency="EUR", token="tok_3ds", metadata={}
    )
    declined = provider.authorise(
        idempotency_key="p3", amount=Decimal("5"), currency="EUR", token="tok_declined", metadata={}
    )
    assert (held.status, held.currency, held.amount, held.metadata) == (
        "requires_capture",
        "EUR",
        Decimal("40"),
        {"k": "v"},
    )
    assert challenged.status == "requires_action" and challenged.next_action is not None
    assert (declined.status, declined.decline_code) == ("declined", "card_declined")
    now = datetime.now(UTC)
    assert [
        p.reference
        for p in provider.open_authorisations(
            created_after=now - timedelta(minutes=1), created_before=now + timedelta(minutes=1)
        )
    ] == sorted([held.reference, challenged.reference])
    captured = provider.capture(held.reference, Decimal("30"), idempotency_key="c1")
    assert (captured.status, captured.amount_captured) == ("succeeded", Decimal("30"))
    refund = provider.refund(held.reference, Decimal("10"), idempotency_key="r1")
    assert (refund.payment_reference, refund.amount, refund.status) == (
        held.reference,
        Decimal("10"),
        "succeeded",
    )
    assert provider.retrieve(held.reference).amount_refunded == Decimal("10")
    assert provider.void(challenged.reference, idempotency_key="v1").status == "canceled"
    with pytest.raises(ProviderRefused, match="cannot capture a canceled intent") as refused:
        provider.capture(challenged.reference, Decimal("9.90"), idempotency_key="c2")
    assert refused.value.extensions["provider_code"] == "payment_intent_unexpected_state"
    with pytest.raises(ProviderRefused, match="no payment intent"):
        provider.retrieve("pi_missing")
    assert [e["type"] for e in state.events] == [
        "payment_intent.amount_capturable_updated",
        "payment_intent.payment_failed",
        "payment_intent.succeeded",
        "charge.refunded",
        "payment_intent.canceled",
    ]


def test_the_embedded_setting_calls_the_sandbox_in_process() -> None:
    from comptoir.payments.config import PaymentsSettings
    from comptoir.payments.providers.sandbox import embedded_sandbox

    provider = providers.provider_for(PaymentsSettings(provider_url="embedded"))
    assert isinstance(provider, EmbeddedCardProvider) and provider.sandbox is embedded_sandbox()


def test_refusals_and_bad_secret() -> None:
    _, provider = adapter()
    with pytest.raises(ProviderRefused, match="unknown test token"):
        provider.authorise(
            idempotency_key="p", amount=Decimal("1"), currency="EUR", token="tok_x", metadata={}
        )
    _, wrong = adapter(secret="sk_wrong")
    with pytest.raises(ProviderUnavailable):
        wrong.authorise(
            idempotency_key="p", amount=Decimal("1"), currency="EUR", token="tok_visa", metadata={}
        )


def test_unreachable_provider_answers_503_and_takes_nothing(
    client: Any, admin_headers: dict[str, str], step: Step, issue: Any
) -> None:
    gc = issue("20.00")
    dead = HttpCardProvider(
        "sandbox", httpx.Client(base_url="http://127.0.0.1:9", timeout=0.5), SANDBOX_SECRET
    )
    previous = providers.register_provider(dead)
    try:
        with pytest.raises(ProviderUnavailable) as failed, step() as uow:
            service.authorise(uow, authorise_in("ord_1", gift("5", gc.code), card("10")))
    finally:
        providers.unregister_provider("sandbox", previous)
    assert failed.value.status == 503
    assert (
        client.get(f"/v1/payments/gift-cards/{gc.code}", headers=admin_headers).json()["balance"] == "20.00"
    )


def test_stored_value_is_authorised_and_captured_at_once(db: Database, step: Step, issue: Any) -> None:
    from sqlalchemy import select

    from comptoir.core.models import OutboxEvent

    gc = issue("20.00")
    with step() as uow:
        service.authorise(uow, authorise_in("ord_1", gift("5", gc.code)))
    with UnitOfWork(db, read_only=True) as uow:
        rows = uow.session.execute(
            select(OutboxEvent.type, OutboxEvent.payload)
            .where(OutboxEvent.type.like("payments.payment_%"))
            .order_by(OutboxEvent.seq)
        ).all()
    assert [(t, p["method"], p["amount"], p["order_id"]) for t, p in rows] == [
        ("payments.payment_authorised", "gift_card", "5.00", "ord_1"),
        ("payments.payment_captured", "gift_card", "5.00", "ord_1"),
    ]


def test_the_reconciliation_job_is_registered(settings: Settings, sandbox: Sandbox, step: Step) -> None:
    [job] = jobs.jobs(settings)
    assert (job.name, job.every_seconds) == ("payments.void_abandoned_authorisations", 60)
    with step() as uow:
        job.run(uow)  # nothing held: nothing to do, no error


def test_production_refuses_the_sandbox_and_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from comptoir.core.settings import get_settings
    from comptoir.payments.config import PaymentsSettings

    monkeypatch.setenv("COMPTOIR_ENV", "production")
    monkeypatch.setenv("COMPTOIR_SECRET_KEY", "a-production-secret-key-0123456789-0123456789")
    get_settings.cache_clear()
    try:
        with pytest.raises(ProviderUnavailable, match="COMPTOIR_PAYMENTS_PROVIDER_URL"):
            providers.provider_for(PaymentsSettings(provider_url="embedded"))
        with pytest.raises(ProviderUnavailable):
            providers.provider_for(PaymentsSettings(provider_url="https://psp.example"))  # sandbox secrets
        real = providers.provider_for(
            PaymentsSettings(
                provider_url="https://psp.example",
                provider_secret="sk_live_x",
                provider_webhook_secret="whsec_bGl2ZQ==",
            )
        )
        assert isinstance(real, HttpCardProvider)
    finally:
        get_settings.cache_clear()


def test_the_sandbox_challenge_page_authenticates() -> None:
    state, provider = adapter()
    intent = provider.authorise(
        idempotency_key="p3", amount=Decimal("9.90"), currency="EUR", token="tok_3ds", metadata={}
    )
    assert intent.status == "requires_action" and intent.next_action is not None
    browser = provider.client
    page = browser.get(f"/3ds/{intent.reference}")
    assert page.status_code == 200 and "9.90 EUR" in page.text
    done = browser.post(
        f"/3ds/{intent.reference}/complete",
        content=b"outcome=success",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "Authenticated" in done.text
    assert state.intents[intent.reference].status == "requires_capture"
    assert state.events[-1]["type"] == "payment_intent.amount_capturable_updated"
    assert browser.get(f"/3ds/{intent.reference}").status_code == 404
