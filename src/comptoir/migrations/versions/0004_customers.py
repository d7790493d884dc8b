"""customers: golden records, source records and their blocking keys, identifiers, segments, consents,
merges and reviews, accounts and one-time tokens, the staff search index

Revision ID: 0004_customers
Revises: 0003_catalog
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0004_customers"
down_revision = "0003_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers_customers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("street", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("loyalty_card", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column(
            "lineage",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "quality_flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("erased_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_customers")),
    )
    with op.batch_alter_table("customers_customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_customers_email"), ["email"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_customers_merged_into"), ["merged_into"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_customers_phone"), ["phone"], unique=False)

    op.create_table(
        "customers_distinct_pairs",
        sa.Column("customer_a", sa.String(length=40), nullable=False),
        sa.Column("customer_b", sa.String(length=40), nullable=False),
        sa.Column("decided_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("customer_a", "customer_b", name=op.f("pk_customers_distinct_pairs")),
    )
    op.create_table(
        "customers_search_terms",
        sa.Column("term", sa.String(length=400), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("term", "customer_id", name=op.f("pk_customers_search_terms")),
    )
    with op.batch_alter_table("customers_search_terms", schema=None) as batch_op:
        batch_op.create_index("ix_customers_search_terms_customer_id", ["customer_id"], unique=False)

    op.create_table(
        "customers_search_words",
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("word", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("variant", "word", name=op.f("pk_customers_search_words")),
        sa.UniqueConstraint("word", "variant", name=op.f("uq_customers_search_words_word_variant")),
    )
    op.create_table(
        "customers_accounts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_accounts_customer_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_customers_accounts_email")),
    )
    with op.batch_alter_table("customers_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_accounts_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "customers_consents",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("stated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column(
            "proof",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_channel", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_consents_customer_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_consents")),
    )
    with op.batch_alter_table("customers_consents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_customers_consents_latest", ["customer_id", "purpose", "channel", "stated_at"], unique=False
        )

    op.create_table(
        "customers_identifiers",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("added_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_channel", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_identifiers_customer_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_customers_identifiers")),
    )
    with op.batch_alter_table("customers_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customers_identifiers_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customers_merges",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("survivor_id", sa.String(length=40), nullable=False),
        sa.Column(
            "merged_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "moved",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("record_id", sa.String(length=40), nullable=True),
        sa.Column("merged_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merged_channel", sa.String(length=64), nullable=True),
        sa.Column("merged_by_key", sa.String(length=40), nullable=True),
        sa.Column("undone_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("undone_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_merges_survivor_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_merges")),
    )
    with op.batch_alter_table("customers_merges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_merges_survivor_id"), ["survivor_id"], unique=False)

    op.create_table(
        "customers_reviews",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_a", sa.String(length=40), nullable=False),
        sa.Column("customer_b", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by_key", sa.String(length=40), nullable=True),
        sa.Column("merge_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_a"],
            ["customers_customers.id"],
            name=op.f("fk_customers_reviews_customer_a_customers_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_b"],
            ["customers_customers.id"],
            name=op.f("fk_customers_reviews_customer_b_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_reviews")),
    )
    with op.batch_alter_table("customers_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_reviews_customer_a"), ["customer_a"], unique=False)
        batch_op.create_index(batch_op.f("ix_customers_reviews_customer_b"), ["customer_b"], unique=False)
        batch_op.create_index("ix_customers_reviews_status", ["status", "created_at"], unique=False)

    op.create_table(
        "customers_segments",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("segment", sa.String(length=40), nullable=False),
        sa.Column("added_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_segments_customer_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "segment", name=op.f("pk_customers_segments")),
    )
    with op.batch_alter_table("customers_segments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_segments_segment"), ["segment"], unique=False)

    op.create_table(
        "customers_source_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "raw", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("given_name", sa.String(length=200), nullable=True),
        sa.Column("family_name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("birth_date", sa.String(length=10), nullable=True),
        sa.Column("street", sa.String(length=300), nullable=True),
        sa.Column("postcode", sa.String(length=16), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("loyalty_card", sa.String(length=64), nullable=True),
        sa.Column(
            "flags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("match_decision", sa.String(length=24), nullable=False),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("matched_record_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_source_records_customer_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_source_records")),
    )
    with op.batch_alter_table("customers_source_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customers_source_records_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_customers_source_records_source_ref", ["source", "source_ref"], unique=False
        )

    op.create_table(
        "customers_match_keys",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["customers_source_records.id"],
            name=op.f("fk_customers_match_keys_record_id_customers_source_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", "record_id", name=op.f("pk_customers_match_keys")),
    )
    with op.batch_alter_table("customers_match_keys", schema=None) as batch_op:
        batch_op.create_index("ix_customers_match_keys_record_id", ["record_id"], unique=False)

    op.create_table(
        "customers_one_time_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("expires_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["customers_accounts.id"],
            name=op.f("fk_customers_one_time_tokens_account_id_customers_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_customers_one_time_tokens")),
    )
    with op.batch_alter_table("customers_one_time_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customers_one_time_tokens_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("customers_one_time_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_one_time_tokens_account_id"))

    op.drop_table("customers_one_time_tokens")
    with op.batch_alter_table("customers_match_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_match_keys_record_id")

    op.drop_table("customers_match_keys")
    with op.batch_alter_table("customers_source_records", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_source_records_source_ref")
        batch_op.drop_index(batch_op.f("ix_customers_source_records_customer_id"))

    op.drop_table("customers_source_records")
    with op.batch_alter_table("customers_segments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_segments_segment"))

    op.drop_table("customers_segments")
    with op.batch_alter_table("customers_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_reviews_status")
        batch_op.drop_index(batch_op.f("ix_customers_reviews_customer_b"))
        batch_op.drop_index(batch_op.f("ix_customers_reviews_customer_a"))

    op.drop_table("customers_reviews")
    with op.batch_alter_table("customers_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_merges_survivor_id"))

    op.drop_table("customers_merges")
    with op.batch_alter_table("customers_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_identifiers_customer_id"))

    op.drop_table("customers_identifiers")
    with op.batch_alter_table("customers_consents", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_consents_latest")

    op.drop_table("customers_consents")
    with op.batch_alter_table("customers_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_accounts_customer_id"))

    op.drop_table("customers_accounts")
    op.drop_table("customers_search_words")
    with op.batch_alter_table("customers_search_terms", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_search_terms_customer_id")

    op.drop_table("customers_search_terms")
    op.drop_table("customers_distinct_pairs")
    with op.batch_alter_table("customers_customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customers_customers_phone"))
        batch_op.drop_index(batch_op.f("ix_customers_customers_merged_into"))
        batch_op.drop_index(batch_op.f("ix_customers_customers_email"))

    op.drop_table("customers_customers")
