"""carts: wishlists (the SKUs a signed-in customer keeps for later)

Revision ID: 0080_carts_wishlists
Revises: 0020_customers_match_model
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0080_carts_wishlists"
down_revision = "0020_customers_match_model"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carts_wishlist_items",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("channel_added", sa.String(length=64), nullable=False),
        sa.Column("added_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "sku", name=op.f("pk_carts_wishlist_items")),
    )


def downgrade() -> None:
    op.drop_table("carts_wishlist_items")
