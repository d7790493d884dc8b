"""Catalogue tables: categories, attributes and families, products and variants, publications,
relations, assets, and the search documents.

The full-text indexes over ``catalog_search_documents`` (an FTS5 table on SQLite, tsvectors with GIN
indexes on PostgreSQL, both kept in step by triggers) are created by the migration
``0003_catalog``; no model describes them (see ``UNMANAGED_TABLES`` below).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import UNMANAGED_TABLES, Base, Provenance, Versioned

# The FTS5 virtual table and its shadow tables (SQLite), the tsvector table (PostgreSQL).
UNMANAGED_TABLES.update({"catalog_search_fts", "catalog_search_fts_*"})


class Category(Base, Provenance):
    __tablename__ = "catalog_categories"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("catalog_categories.id"), index=True)
    # Ids from the root down to this category, "/"-separated: ancestors without a recursive query.
    path: Mapped[str] = mapped_column(String(1000))
    name: Mapped[dict[str, Any]]
    position: Mapped[int] = mapped_column(Integer, default=0)


class Attribute(Base, Provenance):
    __tablename__ = "catalog_attributes"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    label: Mapped[dict[str, Any]]
    unit_kind: Mapped[str | None] = mapped_column(String(20))
    options: Mapped[list[Any]]
    option_labels: Mapped[dict[str, Any]]  # {"courtes": {"fr_FR": "Courtes", "en_GB": "Short"}}
    facet: Mapped[bool] = mapped_column(default=False)


class Family(Base, Provenance):
    __tablename__ = "catalog_families"

    code: Mapped[str] = mapped_column(String(80), primary_key=True)
    label: Mapped[dict[str, Any]]
    # [{"code": "composition", "required_channels": ["*"]}, {"code": "care", "required_channels": ["web"]}]
    attributes: Mapped[list[Any]]


class Product(Base, Versioned, Provenance):
    __tablename__ = "catalog_products"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    family_code: Mapped[str] = mapped_column(ForeignKey("catalog_families.code"), index=True)
    category_id: Mapped[str | None] = mapped_column(ForeignKey("catalog_categories.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    tax_class: Mapped[str] = mapped_column(String(20), default="standard")
    brand: Mapped[str | None] = mapped_column(String(120), index=True)
    origin: Mapped[str | None] = mapped_column(String(2))
    name: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any]]
    composition: Mapped[list[Any]]
    labels: Mapped[list[Any]]
    axes: Mapped[list[Any]]
    attributes: Mapped[dict[str, Any]]


class Variant(Base, Provenance):
    __tablename__ = "catalog_variants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    size: Mapped[str | None] = mapped_column(String(40))
    colour: Mapped[str | None] = mapped_column(String(60))
    weight_g: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    length_mm: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    width_mm: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    height_mm: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    attributes: Mapped[dict[str, Any]]
    position: Mapped[int] = mapped_column(Integer, default=0)


class Publication(Base):
    """A product offered on a channel in a locale (only when complete there, see policies.completeness)."""

    __tablename__ = "catalog_publications"

    product_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    locale: Mapped[str] = mapped_column(String(10), primary_key=True)
    published_at: Mapped[datetime]


class Relation(Base):
    __tablename__ = "catalog_relations"

    product_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    related_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)


class Asset(Base, Provenance):
    __tablename__ = "catalog_assets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    role: Mapped[str | None] = mapped_column(String(40))  # e.g. "manual", "assembly", "packshot"
    colour: Mapped[str | None] = mapped_column(String(60))  # the variants' colour an image shows
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    renditions: Mapped[dict[str, Any]]  # {"thumbnail": "<storage key>", …} once the worker made them
    rights_holder: Mapped[str | None] = mapped_column(String(200))
    rights_valid_from: Mapped[datetime | None]
    rights_valid_until: Mapped[datetime | None] = mapped_column(index=True)
    rights_channels: Mapped[list[Any] | None]
    rights_territories: Mapped[list[Any] | None]


class SearchDocument(Base):
    """One row per product: what a search reads of each match, kept small so matches stay in cache.

    ``facets``: the product's facet
    values, one ``facet=value`` per line, counted for the facet panel. ``doc_id`` is the row the
    full-text indexes point to (through ``SearchText``).
    """

    __tablename__ = "catalog_search_documents"

    doc_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(12))
    facets: Mapped[str] = mapped_column(Text)


class SearchText(Base):
    """What the full-text indexes are built from (the FTS5 table's external content on SQLite).

    ``name_*``/``text_*``: folded (accent-free, lower-case) text per language. ``tokens``: one opaque
    word per facet value, status and publication (``policies.facet_token``), so the full-text index
    answers filters too.
    """

    __tablename__ = "catalog_search_texts"

    doc_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_search_documents.doc_id", ondelete="CASCADE"), primary_key=True
    )
    name_fr: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    text_fr: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    tokens: Mapped[str] = mapped_column(Text)
