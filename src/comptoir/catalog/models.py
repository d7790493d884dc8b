"""Catalogue tables: categories, attributes and families, products and variants, publications,
relations, assets, and the search documents (with FTS5 / tsvector DDL attached)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DDL, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned


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
    __tablename__ = "catalog_publications"
    __table_args__ = (UniqueConstraint("product_id", "channel", "locale"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("catalog_products.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(10))
    published_at: Mapped[datetime]


class Relation(Base):
    __tablename__ = "catalog_relations"
    __table_args__ = (UniqueConstraint("product_id", "kind", "related_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("catalog_products.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    related_id: Mapped[str] = mapped_column(ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Asset(Base, Provenance):
    __tablename__ = "catalog_assets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product_id: Mapped[str | None] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    role: Mapped[str | None] = mapped_column(String(40))  # e.g. "manual", "assembly", "packshot"
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
    """One row per product: the text to search per language and the facet values (see search.py)."""

    __tablename__ = "catalog_search_documents"

    rowid_: Mapped[int] = mapped_column("doc_id", Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(
        ForeignKey("catalog_products.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(12))
    brand: Mapped[str | None] = mapped_column(String(120))
    text_fr: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    name_fr: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))


class SearchFacet(Base):
    """(product, facet, value) rows: ``brand``, ``category`` (with ancestors) and facet attributes."""

    __tablename__ = "catalog_search_facets"
    __table_args__ = (Index("ix_catalog_search_facets_facet_value", "facet", "value", "product_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True)
    facet: Mapped[str] = mapped_column(String(80))
    value: Mapped[str] = mapped_column(String(200))


# -- full-text DDL: FTS5 on SQLite (kept in step by triggers), stored tsvectors + GIN on PostgreSQL ------

SQLITE_FTS_DDL = [
    "CREATE VIRTUAL TABLE catalog_search_fts USING fts5(text_fr, text_en, content='catalog_search_documents', "
    "content_rowid='doc_id', tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER catalog_search_ai AFTER INSERT ON catalog_search_documents BEGIN "
    "INSERT INTO catalog_search_fts(rowid, text_fr, text_en) VALUES (new.doc_id, new.text_fr, new.text_en); END",
    "CREATE TRIGGER catalog_search_ad AFTER DELETE ON catalog_search_documents BEGIN "
    "INSERT INTO catalog_search_fts(catalog_search_fts, rowid, text_fr, text_en) "
    "VALUES ('delete', old.doc_id, old.text_fr, old.text_en); END",
    "CREATE TRIGGER catalog_search_au AFTER UPDATE ON catalog_search_documents BEGIN "
    "INSERT INTO catalog_search_fts(catalog_search_fts, rowid, text_fr, text_en) "
    "VALUES ('delete', old.doc_id, old.text_fr, old.text_en); "
    "INSERT INTO catalog_search_fts(rowid, text_fr, text_en) VALUES (new.doc_id, new.text_fr, new.text_en); END",
]
POSTGRES_FTS_DDL = [
    "ALTER TABLE catalog_search_documents ADD COLUMN tsv_fr tsvector "
    "GENERATED ALWAYS AS (to_tsvector('french', text_fr)) STORED",
    "ALTER TABLE catalog_search_documents ADD COLUMN tsv_en tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english', text_en)) STORED",
    "CREATE INDEX ix_catalog_search_documents_tsv_fr ON catalog_search_documents USING gin (tsv_fr)",
    "CREATE INDEX ix_catalog_search_documents_tsv_en ON catalog_search_documents USING gin (tsv_en)",
]
SQLITE_FTS_DROP = ["DROP TABLE IF EXISTS catalog_search_fts"]

for _statement in SQLITE_FTS_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_FTS_DDL:
    event.listen(SearchDocument.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
for _statement in SQLITE_FTS_DROP:
    event.listen(SearchDocument.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
