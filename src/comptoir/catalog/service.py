"""The catalogue's operations: the only module (with ``schemas`` and ``events``) other domains use.

Every function takes a unit of work, never commits, and returns schemas. The work is done in the
modules named below; this module is the catalogue's public surface, in one place.

For other domains, the fast batch reads:

* ``get_variants(uow, skus, locale=None) -> dict[sku, VariantSummary]`` — name, brand, category and
  ancestors, status and ``sellable``, size, colour, weight, ``tax_class``, an image licensed for the
  channel; two queries whatever the number of SKUs.
* ``newest_skus(uow, channel="web", since=None, limit=6)`` — the newest arrivals: one SKU of each of the
  active products most recently published on a channel.
* ``iter_skus(uow, status="active")`` / ``sku_page(uow, status=, after=, limit=)`` — walk the SKUs.
* ``get_relations(uow, product_id, kind)`` — cross-sell, up-sell, accessories, substitutes.
* ``category_ancestors(uow, category_id)`` — ids from the root (for category-wide promotions).
"""

from __future__ import annotations

from collections.abc import Sequence

from comptoir.catalog import indexing, publishing
from comptoir.catalog.assets import (
    delete_asset,
    deliverable_file,
    get_asset,
    list_assets,
    make_renditions,
    update_asset,
    upload_asset,
)
from comptoir.catalog.delivery import product_view
from comptoir.catalog.exchange import export_rows, import_rows
from comptoir.catalog.products import (
    create_product,
    get_product,
    list_products,
    load_product,
    put_variant,
    update_product,
)
from comptoir.catalog.publishing import publish_where_complete
from comptoir.catalog.reads import get_variants, iter_skus, newest_skus, sku_page, skus_of_products
from comptoir.catalog.relations import add_relation, get_relations, remove_relation, replace_relations
from comptoir.catalog.schemas import CompletenessOut, PublicationIn, PublicationOut
from comptoir.catalog.search import search
from comptoir.catalog.taxonomy import (
    category_ancestors,
    create_attribute,
    create_category,
    create_family,
    get_category,
    get_family,
    list_attributes,
    list_categories,
    list_families,
    replace_family,
    update_attribute,
    update_category,
)
from comptoir.core.uow import UnitOfWork

__all__ = [
    "add_relation",
    "category_ancestors",
    "completeness",
    "create_attribute",
    "create_category",
    "create_family",
    "create_product",
    "delete_asset",
    "deliverable_file",
    "export_rows",
    "get_asset",
    "get_category",
    "get_family",
    "get_product",
    "get_relations",
    "get_variants",
    "import_rows",
    "iter_skus",
    "list_assets",
    "list_attributes",
    "list_categories",
    "list_families",
    "list_products",
    "make_renditions",
    "newest_skus",
    "product_id",
    "product_view",
    "publish",
    "publish_where_complete",
    "put_variant",
    "reindex",
    "remove_relation",
    "replace_family",
    "replace_relations",
    "search",
    "sku_page",
    "skus_of_products",
    "unpublish",
    "update_asset",
    "update_attribute",
    "update_category",
    "update_product",
    "upload_asset",
]


def product_id(uow: UnitOfWork, id_or_code: str) -> str:
    """The id of the product with this id or code (404 otherwise)."""
    return load_product(uow, id_or_code).id


def completeness(uow: UnitOfWork, id_or_code: str, locales: Sequence[str]) -> list[CompletenessOut]:
    """Score (0–100) and missing values of a product for every channel and each of ``locales``."""
    return publishing.completeness(uow, load_product(uow, id_or_code), locales)


def publish(uow: UnitOfWork, id_or_code: str, cmd: PublicationIn) -> PublicationOut:
    """Publish an active product on a channel in a locale; 422 listing what is missing if incomplete."""
    return publishing.publish(uow, load_product(uow, id_or_code, for_update=True), cmd)


def unpublish(uow: UnitOfWork, id_or_code: str, channel: str, locale: str) -> None:
    publishing.unpublish(uow, load_product(uow, id_or_code, for_update=True), channel, locale)


def reindex(uow: UnitOfWork) -> int:
    """Rebuild every search document (after a restore, or a change of indexing rules)."""
    return max(indexing.reindex_all(uow), default=0)


def sku_for_gtin(uow: UnitOfWork, code: str) -> str | None:
    """The SKU of the variant a scanned barcode (EAN-13, UPC-A, GTIN-14…) labels; None when unknown."""
    from comptoir.catalog import barcodes

    return barcodes.sku_for_gtin(uow, code)


from comptoir.catalog.media_reads import MediaStream, open_media  # noqa: E402  (an app's pages serve product media)

__all__ += ["MediaStream", "open_media"]
# For the pages (appended): where the API serves asset files.
from comptoir.catalog.urls import MEDIA_PREFIX  # noqa: E402

__all__ += ["MEDIA_PREFIX"]
