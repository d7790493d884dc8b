"""What the worker does for the catalogue: image renditions, and follow-ups of taxonomy changes."""

from __future__ import annotations

from functools import partial

from sqlalchemy import select

from comptoir.catalog import assets, indexing, publishing, taxonomy
from comptoir.catalog.events import AssetUploaded, CategoryUpdated, FamilyUpdated
from comptoir.catalog.models import Product
from comptoir.catalog.storage import Storage, storage_for
from comptoir.core.events import Bus
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork


def make_renditions(uow: UnitOfWork, event: AssetUploaded, *, storage: Storage) -> None:
    """Thumbnail, listing and zoom of an uploaded image, made outside the upload request."""
    if event.kind == "image":
        assets.make_renditions(uow, storage, event.asset_id)


def reindex_moved_or_renamed_category(uow: UnitOfWork, event: CategoryUpdated) -> None:
    """Category names are searchable and categories are facets: reindex the products under it."""
    indexing.reindex_categories(uow, taxonomy.category_subtree_ids(uow, event.category_id))


def withdraw_what_a_family_change_made_incomplete(uow: UnitOfWork, event: FamilyUpdated) -> None:
    ids = list(uow.session.scalars(select(Product.id).where(Product.family_code == event.code)))
    for start in range(0, len(ids), 500):
        publishing.withdraw_incomplete(uow, ids[start : start + 500])


def register_handlers(bus: Bus) -> None:
    storage = storage_for(bus.settings or get_settings())
    bus.subscribe(AssetUploaded, partial(make_renditions, storage=storage), name="catalog.make_renditions")
    bus.subscribe(CategoryUpdated, reindex_moved_or_renamed_category, name="catalog.reindex_category")
    bus.subscribe(
        FamilyUpdated,
        withdraw_what_a_family_change_made_incomplete,
        name="catalog.recheck_family_publications",
    )
