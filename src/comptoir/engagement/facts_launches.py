"""engagement: what the messages of launched journeys (the season's new arrivals) are written from, read
when they are sent.

* ``arrivals``: the catalogue's newest products — the last ones published on the website whose product is
  still active — and, of those, the ones published after the launch (what the J+30 follow-up tells as
  news). Each is named in the customer's language with an image licensed for e-mail, at the price the
  customer pays on the website now (the Omnibus reference when discounted); a product no longer priced is
  left out. ``None`` (the message is skipped) when the facts name no launch, or nothing is left to show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from comptoir.catalog import service as catalog
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import facts_carts
from comptoir.engagement.mail_launches import ArrivalFacts
from comptoir.engagement.mail_types import Loader
from comptoir.engagement.models import Launch

SHOWN = 6  # products in a message
WEB = "web"


def shop_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/shop"


def _launched_at(uow: UnitOfWork, launch_id: str) -> datetime | None:
    return uow.session.scalar(select(Launch.created_at).where(Launch.id == launch_id))


def load_arrivals(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> ArrivalFacts | None:
    launch_id = facts.get("launch_id")
    if not isinstance(launch_id, str):
        return None
    launched_at = _launched_at(uow, launch_id)
    latest = catalog.newest_skus(uow, channel=WEB, limit=SHOWN)
    since = (
        [] if launched_at is None else catalog.newest_skus(uow, channel=WEB, since=launched_at, limit=SHOWN)
    )
    skus = list(dict.fromkeys(since + latest))
    if not skus:
        return None
    blocks = facts_carts.product_blocks(uow, settings, customer.id, skus, "new", lang)
    found = ArrivalFacts(
        latest=tuple(blocks[sku] for sku in latest if sku in blocks),
        since=tuple(blocks[sku] for sku in since if sku in blocks),
        shop_url=shop_url(settings),
    )
    return found if found.latest or found.since else None


LOADERS: dict[str, Loader] = {"arrivals": load_arrivals}
