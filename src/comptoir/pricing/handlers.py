"""pricing: reactions to other domains' events — keep our copy of the catalogue's SKU facts fresh."""

from __future__ import annotations

from comptoir.catalog.events import CatalogImported, CategoryUpdated, ProductCreated, ProductUpdated
from comptoir.core.events import Bus
from comptoir.core.uow import UnitOfWork
from comptoir.pricing import facts


def product_created(uow: UnitOfWork, event: ProductCreated) -> None:
    facts.refresh_product(uow, event.product_id)


def product_updated(uow: UnitOfWork, event: ProductUpdated) -> None:
    if {"category_id", "tax_class", "variants"} & set(event.fields) or event.skus_added or event.skus_changed:
        facts.refresh_product(uow, event.product_id, [*event.skus_added, *event.skus_changed])


def category_updated(uow: UnitOfWork, event: CategoryUpdated) -> None:
    if event.moved:
        facts.refresh_category(uow, event.category_id)


def catalog_imported(uow: UnitOfWork, event: CatalogImported) -> None:
    if event.products_updated or event.variants_updated:
        facts.refresh_all(uow)


def register_handlers(bus: Bus) -> None:
    bus.subscribe(ProductCreated, product_created, name="pricing.sku_facts_on_product_created")
    bus.subscribe(ProductUpdated, product_updated, name="pricing.sku_facts_on_product_updated")
    bus.subscribe(CategoryUpdated, category_updated, name="pricing.sku_facts_on_category_moved")
    bus.subscribe(CatalogImported, catalog_imported, name="pricing.sku_facts_on_catalog_imported")
