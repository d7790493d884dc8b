"""Small per-process caches for what every checkout reads and what rarely changes.

A SKU's categories (for loyalty earning by category) and a place's public facts (kind, status,
services, position) change a few times a year; reading them on every checkout costs round trips on
the hottest path. Each process keeps them a short while (``TTL_SECONDS``), per database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from comptoir.catalog import service as catalog_service
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores_service
from comptoir.stores.schemas import PlaceOut

T = TypeVar("T")
TTL_SECONDS = 10.0
MAX_ENTRIES = 20_000


class TtlCache(Generic[T]):
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, T]] = {}

    def get_many(
        self, scope: str, keys: Iterable[str], load: Callable[[list[str]], dict[str, T]]
    ) -> dict[str, T]:
        now = time.monotonic()
        found: dict[str, T] = {}
        missing: list[str] = []
        for key in keys:
            hit = self._entries.get((scope, key))
            if hit is not None and now - hit[0] < self.ttl:
                found[key] = hit[1]
            else:
                missing.append(key)
        if missing:
            if len(self._entries) > MAX_ENTRIES:
                self._entries.clear()
            loaded = load(missing)
            for key, value in loaded.items():
                self._entries[(scope, key)] = (now, value)
            found.update(loaded)
        return found

    def clear(self) -> None:
        self._entries.clear()


_categories: TtlCache[list[str]] = TtlCache(ttl=300.0)
_places: TtlCache[PlaceOut] = TtlCache()


def categories_of(uow: UnitOfWork, skus: Iterable[str]) -> dict[str, list[str]]:
    """Category ids (root first) per SKU; unknown SKUs map to []."""
    wanted = sorted(set(skus))

    def load(missing: list[str]) -> dict[str, list[str]]:
        variants = catalog_service.get_variants(uow, missing)
        return {sku: list(variants[sku].category_ids) if sku in variants else [] for sku in missing}

    return _categories.get_many(uow.db.url, wanted, load)


def places(uow: UnitOfWork, place_ids: Iterable[str]) -> dict[str, PlaceOut]:
    return _places.get_many(
        uow.db.url, sorted(set(place_ids)), lambda ids: stores_service.get_places(uow, ids)
    )


def clear() -> None:
    _categories.clear()
    _places.clear()
