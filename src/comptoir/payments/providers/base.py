"""The card provider interface: what the payments service needs from any online card provider.

Every call carries an idempotency key derived from the payment id, so a retry after a timeout or a
crash never charges twice: the provider answers a replay with its first answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from comptoir.core.errors import Conflict, Unavailable

ProviderStatus = Literal["requires_action", "requires_capture", "succeeded", "canceled", "declined"]


@dataclass(frozen=True)
class ProviderPayment:
    reference: str  # the provider's id of the payment (e.g. pi_…)
    status: ProviderStatus
    amount: Decimal
    currency: str
    amount_captured: Decimal = Decimal(0)
    amount_refunded: Decimal = Decimal(0)
    next_action: dict[str, str] | None = None
    decline_code: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True)
class ProviderRefund:
    reference: str  # re_…
    payment_reference: str
    amount: Decimal
    status: Literal["succeeded", "failed"]


class ProviderUnavailable(Unavailable):
    slug = "payment-provider-unavailable"
    title = "The card provider did not answer"


class ProviderRefused(Conflict):
    """The provider refused an operation on a payment (e.g. capture after it was cancelled)."""

    slug = "payment-provider-refused"
    title = "The card provider refused the operation"


class CardProvider(Protocol):
    name: str

    def authorise(
        self,
        *,
        idempotency_key: str,
        amount: Decimal,
        currency: str,
        token: str,
        metadata: dict[str, str],
        return_url: str | None = None,
    ) -> ProviderPayment: ...

    def capture(self, reference: str, amount: Decimal, *, idempotency_key: str) -> ProviderPayment: ...

    def void(self, reference: str, *, idempotency_key: str) -> ProviderPayment: ...

    def refund(self, reference: str, amount: Decimal, *, idempotency_key: str) -> ProviderRefund: ...

    def retrieve(self, reference: str) -> ProviderPayment: ...

    def open_authorisations(
        self, *, created_after: datetime, created_before: datetime, limit: int = 100
    ) -> list[ProviderPayment]:
        """Payments still held (requires_capture / requires_action) created in a window, oldest first."""
        ...
