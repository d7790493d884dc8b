"""engagement: what the messages after a live video session are written from, read when they are sent:
the session's products (its report, as ``live.session_ended`` carried it: shown and recommended SKUs),
each still sold and priced on the website, and the advisor's name. ``None`` (the message is skipped) when
none of them is sold any more."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import audience, facts_carts
from comptoir.engagement.mail_live import LiveFacts
from comptoir.engagement.mail_types import Loader

SHOWN = 6


def _skus(facts: dict[str, Any], key: str) -> list[str]:
    found = facts.get(key) or []
    return [s for s in found if isinstance(s, str)][:SHOWN] if isinstance(found, list) else []


def load_live(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> LiveFacts | None:
    shown, recommended = _skus(facts, "shown"), _skus(facts, "recommended")
    if not (shown or recommended):
        return None
    blocks = facts_carts.product_blocks(uow, settings, customer.id, list(dict.fromkeys(shown)), "shown", lang)
    advised = facts_carts.product_blocks(uow, settings, customer.id, recommended, "recommended", lang)
    started = facts.get("started_at")
    found = LiveFacts(
        advisor_name=str(facts.get("advisor_name") or ""),
        started_at=datetime.fromisoformat(started) if isinstance(started, str) else clock.now(),
        timezone=audience.timezone_of(facts, settings, customer).key,
        shown=tuple(blocks[s] for s in shown if s in blocks),
        recommended=tuple(advised[s] for s in recommended if s in advised),
        live_url=f"{settings.base_url.rstrip('/')}/shop/live",
    )
    return found if found.shown or found.recommended else None


LOADERS: dict[str, Loader] = {"live": load_live}
