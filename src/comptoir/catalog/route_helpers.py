"""What several catalogue routers share: the channel a caller sees, its locale and territory."""

from __future__ import annotations

from comptoir.catalog import policies
from comptoir.core.api import RequestContext
from comptoir.core.errors import Forbidden, InvalidInput


def delivery_channel(ctx: RequestContext, requested: str | None) -> str | None:
    """A browser or app key sees its own channel; staff, shop and secret keys see the channel they ask
    for — a shop's by default (``store:<id>`` sees ``store``), everything from the back office."""
    kind = ctx.actor.channel_kind
    if kind == "back-office":
        return requested
    if ctx.actor.is_staff_side:
        return requested or kind
    if requested is not None and requested != kind:
        raise Forbidden(f"This key is bound to the {kind} channel, not {requested}.", slug="wrong-channel")
    return kind


def content_locale(ctx: RequestContext, locale: str | None) -> str:
    chosen = locale or ctx.settings.default_locale
    if chosen not in policies.LOCALES:
        raise InvalidInput(
            f"Unknown locale {chosen}: use {', '.join(policies.LOCALES)}.",
            errors=[{"parameter": "locale", "in": "query", "detail": "unknown locale"}],
        )
    return chosen


def territory_of(ctx: RequestContext, territory: str | None) -> str:
    chosen = (territory or ctx.settings.default_region).upper()
    if len(chosen) != 2 or not chosen.isalpha():
        raise InvalidInput(
            "The territory is a two-letter ISO 3166 code, e.g. FR.",
            errors=[{"parameter": "territory", "in": "query", "detail": "not a country code"}],
        )
    return chosen
