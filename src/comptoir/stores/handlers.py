"""Reactions of the stores domain: the store-locator channel's connector runs in-process."""

from __future__ import annotations

from comptoir.core.events import Bus
from comptoir.core.uow import UnitOfWork
from comptoir.stores import publishing
from comptoir.stores.events import PublishedToLocator


def apply_to_locator(uow: UnitOfWork, event: PublishedToLocator) -> None:
    publishing.apply_to_locator(
        uow,
        place_id=event.place_id,
        store_code=event.store_code,
        place_version=event.place_version,
        payload_hash=event.payload_hash,
        payload=event.payload,
    )


def register_handlers(bus: Bus) -> None:
    bus.subscribe(PublishedToLocator, apply_to_locator, name="stores.apply_to_locator")
