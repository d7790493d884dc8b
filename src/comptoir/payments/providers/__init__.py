"""Card providers: the :class:`~comptoir.payments.providers.base.CardProvider` interface, the HTTP
adapter that speaks the documented protocol, the sandbox provider implementing it, and the sandbox
called in-process when it is embedded."""

from __future__ import annotations

import threading

from comptoir.core.settings import get_settings
from comptoir.payments.config import (
    SANDBOX_SECRET,
    SANDBOX_WEBHOOK_SECRET,
    PaymentsSettings,
    get_payments_settings,
)
from comptoir.payments.providers.base import CardProvider, ProviderUnavailable
from comptoir.payments.providers.http import HttpCardProvider

_lock = threading.Lock()
_providers: dict[str, CardProvider] = {}


def provider_for(settings: PaymentsSettings) -> CardProvider:
    if get_settings().env == "production" and (
        settings.provider_url == "embedded"
        or SANDBOX_SECRET in (settings.provider_secret, settings.provider_webhook_secret)
        or settings.provider_webhook_secret == SANDBOX_WEBHOOK_SECRET
    ):
        # Never take real customers' cards through the test provider, nor with its published secrets.
        raise ProviderUnavailable(
            "Card payments are not configured: set COMPTOIR_PAYMENTS_PROVIDER_URL, "
            "COMPTOIR_PAYMENTS_PROVIDER_SECRET and COMPTOIR_PAYMENTS_PROVIDER_WEBHOOK_SECRET."
        )
    if settings.provider_url == "embedded":
        from comptoir.payments.providers.embedded import EmbeddedCardProvider
        from comptoir.payments.providers.sandbox import embedded_state

        return EmbeddedCardProvider(settings.provider_name, embedded_state(settings))
    return HttpCardProvider.connect(
        settings.provider_name,
        settings.provider_url,
        settings.provider_secret,
        timeout=settings.provider_timeout_seconds,
    )


def card_provider(name: str | None = None) -> CardProvider:
    """The configured provider (one per process), or the one registered under ``name``."""
    settings = get_payments_settings()
    key = name or settings.provider_name
    with _lock:
        provider = _providers.get(key)
        if provider is None:
            if key != settings.provider_name:
                raise LookupError(f"no card provider named {key!r}")
            provider = _providers[key] = provider_for(settings)
        return provider


def register_provider(provider: CardProvider) -> CardProvider | None:
    """Use ``provider`` for its name in this process (tests, or a second provider); returns the previous one."""
    with _lock:
        previous = _providers.get(provider.name)
        _providers[provider.name] = provider
        return previous


def unregister_provider(name: str, previous: CardProvider | None = None) -> None:
    with _lock:
        if previous is None:
            _providers.pop(name, None)
        else:
            _providers[name] = previous
