"""catalog: tables, and the full-text indexes over the search documents

SQLite: an FTS5 table with external content (``catalog_search_fts`` and its shadow tables), kept in
step with ``catalog_search_texts`` by triggers. PostgreSQL: ``catalog_search_fts_fr``, ``_en`` and
``_tokens`` hold a French, an English and a filter-token tsvector per document with GIN indexes (and
the name's tsvector, for ranking), kept in step by a trigger; deleting a text cascades. Neither is described by a model
(``UNMANAGED_TABLES``). The texts live apart from ``catalog_search_documents``, which a search
reads for every match: its small rows stay in cache.

Revision ID: 0003_catalog
Revises: 0002_stores
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0003_catalog"
down_revision = "0002_stores"
branch_labels = None
depends_on = None

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE catalog_search_fts USING fts5("
    "name_fr, text_fr, name_en, text_en, tokens, content='catalog_search_texts', content_rowid='doc_id', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER catalog_search_fts_ai AFTER INSERT ON catalog_search_texts BEGIN "
    "INSERT INTO catalog_search_fts(rowid, name_fr, text_fr, name_en, text_en, tokens) "
    "VALUES (new.doc_id, new.name_fr, new.text_fr, new.name_en, new.text_en, new.tokens); END",
    "CREATE TRIGGER catalog_search_fts_ad AFTER DELETE ON catalog_search_texts BEGIN "
    "INSERT INTO catalog_search_fts(catalog_search_fts, rowid, name_fr, text_fr, name_en, text_en, tokens) "
    "VALUES ('delete', old.doc_id, old.name_fr, old.text_fr, old.name_en, old.text_en, old.tokens); END",
    "CREATE TRIGGER catalog_search_fts_au AFTER UPDATE OF name_fr, text_fr, name_en, text_en, tokens "
    "ON catalog_search_texts WHEN old.name_fr IS NOT new.name_fr OR old.text_fr IS NOT new.text_fr "
    "OR old.name_en IS NOT new.name_en OR old.text_en IS NOT new.text_en OR old.tokens IS NOT new.tokens BEGIN "
    "INSERT INTO catalog_search_fts(catalog_search_fts, rowid, name_fr, text_fr, name_en, text_en, tokens) "
    "VALUES ('delete', old.doc_id, old.name_fr, old.text_fr, old.name_en, old.text_en, old.tokens); "
    "INSERT INTO catalog_search_fts(rowid, name_fr, text_fr, name_en, text_en, tokens) "
    "VALUES (new.doc_id, new.name_fr, new.text_fr, new.name_en, new.text_en, new.tokens); END",
]
SQLITE_FTS_DROP = [
    "DROP TRIGGER IF EXISTS catalog_search_fts_au",
    "DROP TRIGGER IF EXISTS catalog_search_fts_ad",
    "DROP TRIGGER IF EXISTS catalog_search_fts_ai",
    "DROP TABLE IF EXISTS catalog_search_fts",
]
POSTGRES_FTS = [
    # One narrow table per purpose, without positions (no phrase search): a search reads the heap
    # row of every match, so rows stay small.
    *(
        f"CREATE TABLE catalog_search_fts_{lang} ("
        "doc_id integer PRIMARY KEY REFERENCES catalog_search_texts (doc_id) ON DELETE CASCADE, "
        "tsv tsvector NOT NULL, name tsvector NOT NULL)"
        for lang in ("fr", "en")
    ),
    "CREATE TABLE catalog_search_fts_tokens ("
    "doc_id integer PRIMARY KEY REFERENCES catalog_search_texts (doc_id) ON DELETE CASCADE, "
    "tsv tsvector NOT NULL)",
    "CREATE INDEX ix_catalog_search_fts_fr_tsv ON catalog_search_fts_fr USING gin (tsv)",
    "CREATE INDEX ix_catalog_search_fts_en_tsv ON catalog_search_fts_en USING gin (tsv)",
    "CREATE INDEX ix_catalog_search_fts_tokens_tsv ON catalog_search_fts_tokens USING gin (tsv)",
    """CREATE FUNCTION catalog_search_fts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_search_fts_fr (doc_id, tsv, name) VALUES (
        NEW.doc_id, strip(to_tsvector('french', NEW.name_fr || ' ' || NEW.text_fr)),
        strip(to_tsvector('french', NEW.name_fr)))
    ON CONFLICT (doc_id) DO UPDATE SET tsv = EXCLUDED.tsv, name = EXCLUDED.name;
    INSERT INTO catalog_search_fts_en (doc_id, tsv, name) VALUES (
        NEW.doc_id, strip(to_tsvector('english', NEW.name_en || ' ' || NEW.text_en)),
        strip(to_tsvector('english', NEW.name_en)))
    ON CONFLICT (doc_id) DO UPDATE SET tsv = EXCLUDED.tsv, name = EXCLUDED.name;
    INSERT INTO catalog_search_fts_tokens (doc_id, tsv) VALUES (NEW.doc_id, strip(to_tsvector('simple', NEW.tokens)))
    ON CONFLICT (doc_id) DO UPDATE SET tsv = EXCLUDED.tsv;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER catalog_search_fts_ai AFTER INSERT ON catalog_search_texts "
    "FOR EACH ROW EXECUTE FUNCTION catalog_search_fts_sync()",
    "CREATE TRIGGER catalog_search_fts_au AFTER UPDATE OF name_fr, text_fr, name_en, text_en, tokens "
    "ON catalog_search_texts FOR EACH ROW "
    "WHEN ((OLD.name_fr, OLD.text_fr, OLD.name_en, OLD.text_en, OLD.tokens) "
    "IS DISTINCT FROM (NEW.name_fr, NEW.text_fr, NEW.name_en, NEW.text_en, NEW.tokens)) "
    "EXECUTE FUNCTION catalog_search_fts_sync()",
]
POSTGRES_FTS_DROP = [
    "DROP TRIGGER IF EXISTS catalog_search_fts_au ON catalog_search_texts",
    "DROP TRIGGER IF EXISTS catalog_search_fts_ai ON catalog_search_texts",
    "DROP FUNCTION IF EXISTS catalog_search_fts_sync()",
    "DROP TABLE IF EXISTS catalog_search_fts_tokens",
    "DROP TABLE IF EXISTS catalog_search_fts_en",
    "DROP TABLE IF EXISTS catalog_search_fts_fr",
]


def _create_full_text_indexes() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS if dialect == "sqlite" else POSTGRES_FTS:
        op.execute(statement)


def _drop_full_text_indexes() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_FTS_DROP if dialect == "sqlite" else POSTGRES_FTS_DROP:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "catalog_attributes",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "label",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("unit_kind", sa.String(length=20), nullable=True),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "option_labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("facet", sa.Boolean(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalog_attributes")),
    )
    op.create_table(
        "catalog_categories",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("parent_id", sa.String(length=40), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column(
            "name", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["catalog_categories.id"],
            name=op.f("fk_catalog_categories_parent_id_catalog_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_categories_code")),
    )
    with op.batch_alter_table("catalog_categories", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_categories_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "catalog_families",
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column(
            "label",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalog_families")),
    )
    op.create_table(
        "catalog_products",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("family_code", sa.String(length=80), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tax_class", sa.String(length=20), nullable=False),
        sa.Column("brand", sa.String(length=120), nullable=True),
        sa.Column("origin", sa.String(length=2), nullable=True),
        sa.Column(
            "name", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "description",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "composition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "axes", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["catalog_categories.id"],
            name=op.f("fk_catalog_products_category_id_catalog_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["family_code"],
            ["catalog_families.code"],
            name=op.f("fk_catalog_products_family_code_catalog_families"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_products")),
        sa.UniqueConstraint("code", name=op.f("uq_catalog_products_code")),
    )
    with op.batch_alter_table("catalog_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_products_brand"), ["brand"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_products_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_products_family_code"), ["family_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_products_status"), ["status"], unique=False)

    op.create_table(
        "catalog_assets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("colour", sa.String(length=60), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column(
            "renditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rights_holder", sa.String(length=200), nullable=True),
        sa.Column("rights_valid_from", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rights_valid_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "rights_channels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "rights_territories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_catalog_assets_product_id_catalog_products"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_assets")),
    )
    with op.batch_alter_table("catalog_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_assets_product_id"), ["product_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_assets_rights_valid_until"), ["rights_valid_until"], unique=False
        )

    op.create_table(
        "catalog_publications",
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("published_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_catalog_publications_product_id_catalog_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "channel", "locale", name=op.f("pk_catalog_publications")),
    )
    op.create_table(
        "catalog_relations",
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("related_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_catalog_relations_product_id_catalog_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["related_id"],
            ["catalog_products.id"],
            name=op.f("fk_catalog_relations_related_id_catalog_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", "kind", "related_id", name=op.f("pk_catalog_relations")),
    )
    with op.batch_alter_table("catalog_relations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_relations_related_id"), ["related_id"], unique=False)

    op.create_table(
        "catalog_search_documents",
        sa.Column("doc_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("facets", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_catalog_search_documents_product_id_catalog_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_catalog_search_documents")),
        sa.UniqueConstraint("product_id", name=op.f("uq_catalog_search_documents_product_id")),
    )
    op.create_table(
        "catalog_search_texts",
        sa.Column("doc_id", sa.Integer(), nullable=False),
        sa.Column("name_fr", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("text_fr", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["doc_id"],
            ["catalog_search_documents.doc_id"],
            name=op.f("fk_catalog_search_texts_doc_id_catalog_search_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("doc_id", name=op.f("pk_catalog_search_texts")),
    )
    op.create_table(
        "catalog_variants",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("gtin", sa.String(length=14), nullable=True),
        sa.Column("size", sa.String(length=40), nullable=True),
        sa.Column("colour", sa.String(length=60), nullable=True),
        sa.Column("weight_g", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("length_mm", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("width_mm", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("height_mm", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_products.id"],
            name=op.f("fk_catalog_variants_product_id_catalog_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_variants")),
        sa.UniqueConstraint("gtin", name=op.f("uq_catalog_variants_gtin")),
        sa.UniqueConstraint("sku", name=op.f("uq_catalog_variants_sku")),
    )
    with op.batch_alter_table("catalog_variants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_variants_product_id"), ["product_id"], unique=False)

    _create_full_text_indexes()


def downgrade() -> None:
    _drop_full_text_indexes()
    with op.batch_alter_table("catalog_variants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_variants_product_id"))

    op.drop_table("catalog_variants")
    op.drop_table("catalog_search_texts")
    op.drop_table("catalog_search_documents")
    with op.batch_alter_table("catalog_relations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_relations_related_id"))

    op.drop_table("catalog_relations")
    op.drop_table("catalog_publications")
    with op.batch_alter_table("catalog_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_assets_rights_valid_until"))
        batch_op.drop_index(batch_op.f("ix_catalog_assets_product_id"))

    op.drop_table("catalog_assets")
    with op.batch_alter_table("catalog_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_products_status"))
        batch_op.drop_index(batch_op.f("ix_catalog_products_family_code"))
        batch_op.drop_index(batch_op.f("ix_catalog_products_category_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_products_brand"))

    op.drop_table("catalog_products")
    op.drop_table("catalog_families")
    with op.batch_alter_table("catalog_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_categories_parent_id"))

    op.drop_table("catalog_categories")
    op.drop_table("catalog_attributes")
