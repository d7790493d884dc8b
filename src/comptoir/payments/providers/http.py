"""The HTTP adapter: a small, Stripe-like JSON protocol over HTTPS.

Requests carry ``Authorization: Bearer <secret>``; writes carry ``Idempotency-Key`` (a replay returns
the first answer). Amounts are decimal strings in the currency's unit.

=====================================================  ===============================================
``POST /v1/payment_intents``                           ``{amount, currency, token, capture_method:
                                                       "manual", metadata, return_url}`` → intent
``GET /v1/payment_intents/{id}``                       → intent
``GET /v1/payment_intents?status=…&created_gte=…&created_lte=…`` → ``{data: [intent…]}`` oldest first
``POST /v1/payment_intents/{id}/capture``              ``{amount}`` → intent (``succeeded``)
``POST /v1/payment_intents/{id}/cancel``               → intent (``canceled``)
``POST /v1/refunds``                                   ``{payment_intent, amount}`` → refund
=====================================================  ===============================================

An *intent* is ``{id, status, amount, currency, amount_captured, amount_refunded, next_action,
decline_code, metadata, created}`` with ``status`` one of ``requires_action`` (3-D Secure: send the
customer to ``next_action.url``), ``requires_capture`` (authorised), ``succeeded`` (captured),
``canceled``, ``declined``. A *refund* is ``{id, payment_intent, amount, status}``. Errors are
``{"error": {"type", "code", "message"}}`` with 4xx statuses.

Events are POSTed to the retailer's ``/v1/payments/providers/{provider}/events`` signed like Standard
Webhooks (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64 HMAC-SHA256>``), with
body ``{id, type, created, data: {object: intent | refund}}`` and ``type`` one of
``payment_intent.amount_capturable_updated``, ``payment_intent.succeeded``,
``payment_intent.payment_failed``, ``payment_intent.canceled``, ``charge.refunded`` (object: the intent,
with its ``amount_refunded``), ``charge.dispute.created``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from comptoir.payments.providers.base import (
    ProviderPayment,
    ProviderRefund,
    ProviderRefused,
    ProviderUnavailable,
)

if TYPE_CHECKING:
    import httpx


def parse_intent(body: dict[str, Any]) -> ProviderPayment:
    created = body.get("created")
    return ProviderPayment(
        reference=str(body["id"]),
        status=body["status"],
        amount=Decimal(str(body["amount"])),
        currency=str(body["currency"]).upper(),
        amount_captured=Decimal(str(body.get("amount_captured") or 0)),
        amount_refunded=Decimal(str(body.get("amount_refunded") or 0)),
        next_action=body.get("next_action"),
        decline_code=body.get("decline_code"),
        metadata={str(k): str(v) for k, v in (body.get("metadata") or {}).items()},
        created_at=datetime.fromtimestamp(int(created), UTC) if created is not None else None,
    )


def intent_request(
    *, amount: Decimal, currency: str, token: str, metadata: dict[str, str], return_url: str | None
) -> dict[str, Any]:
    """The body of ``POST /v1/payment_intents``: a manual-capture authorisation."""
    return {
        "amount": str(amount),
        "currency": currency,
        "token": token,
        "capture_method": "manual",
        "metadata": dict(metadata),
        "return_url": return_url,
    }


def parse_refund(body: dict[str, Any]) -> ProviderRefund:
    return ProviderRefund(
        reference=str(body["id"]),
        payment_reference=str(body["payment_intent"]),
        amount=Decimal(str(body["amount"])),
        status=body["status"],
    )


def refusal(provider: str, status: int, body: dict[str, Any]) -> ProviderRefused:
    """The provider's 4xx error document as the refusal the payments domain answers with."""
    error = body.get("error") or {}
    return ProviderRefused(
        f"The card provider {provider} refused: {error.get('message', status)}",
        provider_code=error.get("code"),
    )


class HttpCardProvider:
    def __init__(self, name: str, client: httpx.Client, secret: str) -> None:
        self.name = name
        self.client = client
        self.secret = secret

    @classmethod
    def connect(cls, name: str, base_url: str, secret: str, *, timeout: float = 10.0) -> HttpCardProvider:
        import httpx

        return cls(name, httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout), secret)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        key: str | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        import httpx

        headers = {"Authorization": f"Bearer {self.secret}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            response = self.client.request(method, path, json=json, headers=headers, params=params)
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"The card provider {self.name} could not be reached: {exc}.") from exc
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise ProviderUnavailable(
                f"The card provider {self.name} answered {response.status_code}; try again later."
            )
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise refusal(self.name, response.status_code, body)
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
        return parse_intent(self._call("POST", "/v1/payment_intents", json=body, key=idempotency_key))

    def capture(self, reference: str, amount: Decimal, *, idempotency_key: str) -> ProviderPayment:
        body = {"amount": str(amount)}
        return parse_intent(
            self._call("POST", f"/v1/payment_intents/{reference}/capture", json=body, key=idempotency_key)
        )

    def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment:
        return parse_intent(
            self._call("POST", f"/v1/payment_intents/{reference}/cancel", json={}, key=idempotency_key)
        )

    def refund(self, reference: str, amount: Decimal, *, idempotency_key: str) -> ProviderRefund:
        body = self._call(
            "POST",
            "/v1/refunds",
            json={"payment_intent": reference, "amount": str(amount)},
            key=idempotency_key,
        )
        return parse_refund(body)

    def retrieve(self, reference: str) -> ProviderPayment:
        return parse_intent(self._call("GET", f"/v1/payment_intents/{reference}"))

    def open_authorisations(
        self, *, created_after: datetime, created_before: datetime, limit: int = 100
    ) -> list[ProviderPayment]:
        body = self._call(
            "GET",
            "/v1/payment_intents",
            params={
                "status": "requires_capture,requires_action",
                "created_gte": str(int(created_after.timestamp())),
                "created_lte": str(int(created_before.timestamp())),
                "limit": str(limit),
            },
        )
        return [parse_intent(item) for item in body["data"]]
