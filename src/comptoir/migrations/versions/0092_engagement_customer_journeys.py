"""engagement: customer journeys: welcome, tier, birthday, carts, wishlists, e-receipts

Revision ID: 0092_engagement_cust_journeys
Revises: 0091_engagement_launches
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0092_engagement_cust_journeys"  # alembic_version holds 32 characters
down_revision = "0091_engagement_launches"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # -- carts and wishlists (helper J2): who wishes for a SKU, what was last known of it, who was told --
    with op.batch_alter_table("carts_wishlist_items", schema=None) as batch_op:
        batch_op.create_index("ix_carts_wishlist_items_sku", ["sku", "customer_id"], unique=False)
    op.create_table(
        "engagement_wish_watch",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("in_stock", sa.Boolean(), nullable=True),
        sa.Column("price", sa.Numeric(precision=14, scale=4), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_engagement_wish_watch")),
    )
    op.create_table(
        "engagement_wish_notices",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("notified_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "sku", "kind", name=op.f("pk_engagement_wish_notices")),
    )
    # -- end of carts and wishlists --
    # -- the customer's life (helper J1): whose birthday it is, read through the birth date --
    with op.batch_alter_table("customers_customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_customers_birth_date", ["birth_date"], unique=False)
    op.create_table(
        "engagement_birthdays",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("told_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "year", name=op.f("pk_engagement_birthdays")),
    )
    # -- end of the customer's life --


def downgrade() -> None:
    # -- the customer's life (helper J1) --
    op.drop_table("engagement_birthdays")
    with op.batch_alter_table("customers_customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_customers_birth_date")
    # -- end of the customer's life --
    # -- carts and wishlists (helper J2) --
    op.drop_table("engagement_wish_notices")
    op.drop_table("engagement_wish_watch")
    with op.batch_alter_table("carts_wishlist_items", schema=None) as batch_op:
        batch_op.drop_index("ix_carts_wishlist_items_sku")
    # -- end of carts and wishlists --
