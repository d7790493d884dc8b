"""Facts the catalogue publishes (other domains and webhooks subscribe to them). Primitive fields only:
ids, codes, SKUs, channel and locale names."""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class ProductCreated(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_created"
    product_id: str
    code: str
    family: str
    category_id: str | None
    brand: str | None
    status: str
    skus: list[str]


class ProductUpdated(DomainEvent):
    """``fields`` names what changed (``variants`` when SKUs were added or changed)."""

    event_type: ClassVar[str] = "catalog.product_updated"
    product_id: str
    code: str
    version: int
    fields: list[str]
    skus_added: list[str] = []
    skus_changed: list[str] = []


class ProductActivated(DomainEvent):
    """The product's variants became sellable."""

    event_type: ClassVar[str] = "catalog.product_activated"
    product_id: str
    code: str
    skus: list[str]


class ProductArchived(DomainEvent):
    """The product's variants are no longer sellable; its publications were withdrawn."""

    event_type: ClassVar[str] = "catalog.product_archived"
    product_id: str
    code: str
    skus: list[str]


class ProductPublished(DomainEvent):
    event_type: ClassVar[str] = "catalog.product_published"
    product_id: str
    code: str
    channel: str
    locale: str


class ProductUnpublished(DomainEvent):
    """``reason``: ``requested``, ``archived`` or ``incomplete`` (a change left a required value empty)."""

    event_type: ClassVar[str] = "catalog.product_unpublished"
    product_id: str
    code: str
    channel: str
    locale: str
    reason: str


class RelationsChanged(DomainEvent):
    event_type: ClassVar[str] = "catalog.relations_changed"
    product_id: str
    code: str
    kind: str
    related_ids: list[str]


class CategoryCreated(DomainEvent):
    event_type: ClassVar[str] = "catalog.category_created"
    category_id: str
    code: str
    parent_id: str | None


class CategoryUpdated(DomainEvent):
    """``moved``: the parent changed, so the category and its subtree have new ancestors."""

    event_type: ClassVar[str] = "catalog.category_updated"
    category_id: str
    code: str
    parent_id: str | None
    moved: bool


class FamilyUpdated(DomainEvent):
    event_type: ClassVar[str] = "catalog.family_updated"
    code: str


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
    content_type: str
    product_id: str | None


class AssetRenditionsReady(DomainEvent):
    event_type: ClassVar[str] = "catalog.asset_renditions_ready"
    asset_id: str
    product_id: str | None
    renditions: list[str]
