"""The sandbox provider called in-process (``COMPTOIR_PAYMENTS_PROVIDER_URL=embedded``).

Same answers as :class:`~comptoir.payments.providers.http.HttpCardProvider` speaking to the sandbox's
HTTP app — same idempotency replies, same refusals — without the HTTP round trip: an in-process HTTP
call (a test client starting a thread and an event loop per request) cost more CPU than the rest of
the payment. The HTTP protocol stays what a separate sandbox process or a real provider speaks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from comptoir.payments.providers.base import ProviderPayment, ProviderRefund
from comptoir.payments.providers.http import intent_request, parse_intent, parse_refund, refusal
from comptoir.payments.providers.sandbox import Sandbox


class EmbeddedCardProvider:
    def __init__(self, name: str, sandbox: Sandbox) -> None:
        self.name = name
        self.sandbox = sandbox

    def _call(self, scope: str, key: str | None, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        status, body = self.sandbox.idempotent(key, scope, run)
        if status >= 400:
            raise refusal(self.name, status, body)
        return body

    def authorise(
        self,
        *,
        idempotency_key: str,
        amount: Decimal,
        currency: str,
        token: str,
        metadata: dict[str, str],
        return_url: str | None = None,
    ) -> ProviderPayment:
        body = intent_request(
            amount=amount, currency=currency, token=token, metadata=metadata, return_url=return_url
        )
        return _intent(self._call("create", idempotency_key, lambda: self.sandbox.create_intent(body)))

    def capture(self, reference: str, amount: Decimal, *, idempotency_key: str) -> ProviderPayment:
        body = {"amount": str(amount)}
        return _intent(self._call("capture", idempotency_key, lambda: self.sandbox.capture(reference, body)))

    def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment:
        return _intent(self._call("cancel", idempotency_key, lambda: self.sandbox.cancel(reference)))

    def refund(self, reference: str, amount: Decimal, *, idempotency_key: str) -> ProviderRefund:
        body = self._call(
            "refund",
            idempotency_key,
            lambda: self.sandbox.refund({"payment_intent": reference, "amount": str(amount)}),
        )
        return parse_refund(body)

    def retrieve(self, reference: str) -> ProviderPayment:
        return _intent(self._call("get", None, lambda: self.sandbox.retrieve(reference)))

    def open_authorisations(
        self, *, created_after: datetime, created_before: datetime, limit: int = 100
    ) -> list[ProviderPayment]:
        with self.sandbox.lock:
            found = self.sandbox.list_intents(
                {"requires_capture", "requires_action"},
                int(created_after.timestamp()),
                int(created_before.timestamp()),
                min(limit, 1000),
            )
        return [_intent(item) for item in found]


def _intent(view: dict[str, Any]) -> ProviderPayment:
    # The view shares the intent's dicts; the provider's answer must not (HTTP would have copied them).
    next_action = view.get("next_action")
    return parse_intent({**view, "next_action": dict(next_action) if next_action else next_action})
