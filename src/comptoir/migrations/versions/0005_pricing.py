"""pricing: price lists, prices and their history, SKU facts, promotions, coupons, redemptions

Revision ID: 0005_pricing
Revises: 0004_customers
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0005_pricing"
down_revision = "0004_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pricing_coupon_customer_uses",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", "customer_id", name=op.f("pk_pricing_coupon_customer_uses")),
    )
    op.create_table(
        "pricing_coupons",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("promotion_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("valid_from", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=120), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_pricing_coupons")),
        sa.UniqueConstraint("reference", name=op.f("uq_pricing_coupons_reference")),
    )
    with op.batch_alter_table("pricing_coupons", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pricing_coupons_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pricing_coupons_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pricing_coupons_promotion_id"), ["promotion_id"], unique=False)

    op.create_table(
        "pricing_price_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("price_list_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("compare_at", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("effective_from", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_price_history")),
    )
    with op.batch_alter_table("pricing_price_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pricing_price_history_sku_list", ["sku", "price_list_id", "effective_from"], unique=False
        )

    op.create_table(
        "pricing_price_lists",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "channels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "store_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "customer_groups",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("prices_include_tax", sa.Boolean(), nullable=False),
        sa.Column("is_sale", sa.Boolean(), nullable=False),
        sa.Column("valid_from", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_price_lists")),
        sa.UniqueConstraint("code", name=op.f("uq_pricing_price_lists_code")),
    )
    op.create_table(
        "pricing_prices",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("price_list_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("compare_at", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("valid_from", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("valid_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", "price_list_id", name=op.f("pk_pricing_prices")),
    )
    op.create_table(
        "pricing_promotions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("starts_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ends_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("stacking", sa.String(length=12), nullable=False),
        sa.Column(
            "channels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "segments",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "tiers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("requires_coupon", sa.Boolean(), nullable=False),
        sa.Column("budget", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("budget_used", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("exhausted", sa.Boolean(), nullable=False),
        sa.Column("started_announced", sa.Boolean(), nullable=False),
        sa.Column("ended_announced", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_promotions")),
    )
    with op.batch_alter_table("pricing_promotions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pricing_promotions_status"), ["status"], unique=False)

    op.create_table(
        "pricing_redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("promotion_id", sa.String(length=40), nullable=False),
        sa.Column("coupon_code", sa.String(length=40), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("committed_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_redemptions")),
        sa.UniqueConstraint(
            "order_id", "promotion_id", name=op.f("uq_pricing_redemptions_order_id_promotion_id")
        ),
    )
    with op.batch_alter_table("pricing_redemptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pricing_redemptions_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pricing_redemptions_promotion_id"), ["promotion_id"], unique=False
        )

    op.create_table(
        "pricing_sku_facts",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.String(length=40), nullable=False),
        sa.Column("category_ids", sa.Text(), nullable=False),
        sa.Column("tax_class", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_pricing_sku_facts")),
    )
    with op.batch_alter_table("pricing_sku_facts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pricing_sku_facts_product_id"), ["product_id"], unique=False)

    op.create_table(
        "pricing_state",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_pricing_state")),
    )
    op.bulk_insert(
        sa.table("pricing_state", sa.column("key", sa.String), sa.column("version", sa.Integer)),
        [{"key": "catalogue", "version": 1}],
    )


def downgrade() -> None:
    op.drop_table("pricing_state")
    with op.batch_alter_table("pricing_sku_facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pricing_sku_facts_product_id"))

    op.drop_table("pricing_sku_facts")
    with op.batch_alter_table("pricing_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pricing_redemptions_promotion_id"))
        batch_op.drop_index(batch_op.f("ix_pricing_redemptions_order_id"))

    op.drop_table("pricing_redemptions")
    with op.batch_alter_table("pricing_promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pricing_promotions_status"))

    op.drop_table("pricing_promotions")
    op.drop_table("pricing_prices")
    op.drop_table("pricing_price_lists")
    with op.batch_alter_table("pricing_price_history", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_price_history_sku_list")

    op.drop_table("pricing_price_history")
    with op.batch_alter_table("pricing_coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pricing_coupons_promotion_id"))
        batch_op.drop_index(batch_op.f("ix_pricing_coupons_customer_id"))
        batch_op.drop_index(batch_op.f("ix_pricing_coupons_batch_id"))

    op.drop_table("pricing_coupons")
    op.drop_table("pricing_coupon_customer_uses")
