"""payments: its own settings (environment prefix ``COMPTOIR_PAYMENTS_``).

``COMPTOIR_PAYMENTS_PROVIDER_URL`` is the card provider's base URL, spoken to with the protocol of
:mod:`comptoir.payments.providers.http`. ``embedded`` (the default, for development and tests) runs the
sandbox provider inside the process; production points it at a real provider's adapter endpoint or at a
sandbox started with ``comptoir payments sandbox``.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The sandbox's well-known test secrets (like a provider's published test keys): never valid in production.
SANDBOX_SECRET = "sk_test_comptoir_sandbox"
SANDBOX_WEBHOOK_SECRET = "whsec_Y29tcHRvaXItc2FuZGJveC13ZWJob29rLXNlY3JldA=="


class PaymentsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_PAYMENTS_", env_file=".env", extra="ignore")

    provider_name: str = Field(default="sandbox", pattern=r"^[a-z0-9_-]{1,40}$")
    provider_url: str = "embedded"
    provider_secret: str = SANDBOX_SECRET
    # Verifies the provider's signed events (Standard Webhooks: webhook-id, -timestamp, -signature).
    provider_webhook_secret: str = SANDBOX_WEBHOOK_SECRET
    provider_timeout_seconds: float = 10.0
    # A card authorised for an order that never committed is voided after this delay.
    abandoned_authorisation_seconds: int = 120
    gift_card_validity_days: int = 365
    voucher_validity_days: int = 365


@lru_cache(maxsize=1)
def get_payments_settings() -> PaymentsSettings:
    return PaymentsSettings()
