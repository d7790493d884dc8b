"""Facts the catalogue publishes (other domains and webhooks subscribe to them)."""

from __future__ import annotations

from typing import ClassVar

from comptoir.core.events import DomainEvent


class ProductCreated(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_created"
    product_id: str
    code: str


class ProductUpdated(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_updated"
    product_id: str
    version: int
    fields: list[str]


class ProductPublished(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_published"
    product_id: str
    channel: str
    locale: str


class ProductUnpublished(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_unpublished"
    product_id: str
    channel: str
    locale: str


class ProductArchived(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_archived"
    product_id: str


class CatalogImported(DomainEvent):
    event_type: ClassVar[str] = "catalog.catalog_imported"
    rows: int
    products_created: int
    products_updated: int
    variants_created: int
    variants_updated: int
    errors: int


class AssetUploaded(DomainEvent):
    event_type: ClassVar[str] = "catalog.asset_uploaded"
    asset_id: str
    kind: str
    product_id: str | None


class AssetRenditionsReady(DomainEvent):
    event_type: ClassVar[str] = "catalog.asset_renditions_ready"
    asset_id: str
    renditions: list[str]
