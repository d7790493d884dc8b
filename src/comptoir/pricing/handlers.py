"""pricing: reactions to other domains' events — keep our copies of the catalogue's SKU facts and of
each customer's loyalty tier and segments fresh (pricing reads them instead of calling those domains)."""

from __future__ import annotations

from comptoir.catalog.events import CatalogImported, CategoryUpdated, ProductCreated, ProductUpdated
from comptoir.core.events import Bus
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased, CustomersMerged, CustomerUpdated
from comptoir.loyalty.events import TierChanged
from comptoir.pricing import customers, facts


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


def tier_changed(uow: UnitOfWork, event: TierChanged) -> None:
    customers.set_tier(uow, event.customer_id, event.tier)


def customer_updated(uow: UnitOfWork, event: CustomerUpdated) -> None:
    if "segments" in event.fields:
        customers.copy_segments(uow, event.customer_id)


def customers_merged(uow: UnitOfWork, event: CustomersMerged) -> None:
    # The survivor's segments may have gained the merged ones; its tier follows with loyalty's event.
    customers.forget(uow, [m for m in event.merged_ids if m != event.surviving_id])
    customers.copy_segments(uow, event.surviving_id)


def customer_erased(uow: UnitOfWork, event: CustomerErased) -> None:
    customers.forget(uow, sorted({event.customer_id, *event.erased_ids}))


def register_handlers(bus: Bus) -> None:
    bus.subscribe(ProductCreated, product_created, name="pricing.sku_facts_on_product_created")
    bus.subscribe(ProductUpdated, product_updated, name="pricing.sku_facts_on_product_updated")
    bus.subscribe(CategoryUpdated, category_updated, name="pricing.sku_facts_on_category_moved")
    bus.subscribe(CatalogImported, catalog_imported, name="pricing.sku_facts_on_catalog_imported")
    bus.subscribe(TierChanged, tier_changed, name="pricing.customer_tier_on_tier_changed")
    bus.subscribe(CustomerUpdated, customer_updated, name="pricing.customer_segments_on_customer_updated")
    bus.subscribe(CustomersMerged, customers_merged, name="pricing.customer_facts_on_customers_merged")
    bus.subscribe(CustomerErased, customer_erased, name="pricing.customer_facts_on_customer_erased")
