"""orders: scan & go exit passes, used once at the shop's door

Revision ID: 0081_orders_exit_passes
Revises: 0080_carts_wishlists
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0081_orders_exit_passes"
down_revision = "0080_carts_wishlists"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders_exit_passes",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("issued_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.String(length=64), nullable=True),
        sa.Column("used_by_name", sa.String(length=200), nullable=True),
        sa.Column("used_place_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders_orders.id"],
            name=op.f("fk_orders_exit_passes_order_id_orders_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_orders_exit_passes")),
    )


def downgrade() -> None:
    op.drop_table("orders_exit_passes")
