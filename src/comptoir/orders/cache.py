"""Small per-process caches for what every checkout reads and what rarely changes.

A SKU's categories (for loyalty earning by category) and a place's public facts (kind, status,
services, position) change a few times a year; reading them on every checkout costs round trips on
the hottest path. Each process keeps them a short while (``TTL_SECONDS``), per database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from comptoir.catalog import service as catalog_service
from comptoir.core.cache import TtlCache
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores_service
from comptoir.stores.schemas import PlaceOut

T = TypeVar("T")
TTL_SECONDS = 10.0

# Keyed by (database, SKU or place id): tests and tools run several databases in one process.
_categories: TtlCache[tuple[str, str], list[str]] = TtlCache(ttl=300.0)
_places: TtlCache[tuple[str, str], PlaceOut] = TtlCache(ttl=TTL_SECONDS)


def _in_database(
    cache: TtlCache[tuple[str, str], T],
    scope: str,
    keys: list[str],
    load: Callable[[list[str]], dict[str, T]],
) -> dict[str, T]:
    found = cache.get_many(
        [(scope, key) for key in keys],
        lambda missing: {(scope, key): value for key, value in load([key for _, key in missing]).items()},
    )
    return {key: value for (_, key), value in found.items()}


def categories_of(uow: UnitOfWork, skus: Iterable[str]) -> dict[str, list[str]]:
    """Category ids (root first) per SKU; unknown SKUs map to []."""
    wanted = sorted(set(skus))

    def load(missing: list[str]) -> dict[str, list[str]]:
        variants = catalog_service.get_variants(uow, missing)
        return {sku: list(variants[sku].category_ids) if sku in variants else [] for sku in missing}

    return _in_database(_categories, uow.db.url, wanted, load)


def places(uow: UnitOfWork, place_ids: Iterable[str]) -> dict[str, PlaceOut]:
    return _in_database(
        _places, uow.db.url, sorted(set(place_ids)), lambda ids: stores_service.get_places(uow, ids)
    )


def clear() -> None:
    _categories.clear()
    _places.clear()
