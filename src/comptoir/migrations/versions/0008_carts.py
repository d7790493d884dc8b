"""carts: carts and their lines

Revision ID: 0008_carts
Revises: 0007_inventory
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0008_carts"
down_revision = "0007_inventory"
branch_labels = None
depends_on = None

OPEN_WHERE = sa.text("status IN ('open', 'abandoned') AND customer_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "carts_carts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("channel_started", sa.String(length=64), nullable=False),
        sa.Column("key_started", sa.String(length=40), nullable=True),
        sa.Column("store_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "coupons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_channel", sa.String(length=64), nullable=False),
        sa.Column("abandoned_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts_carts")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_carts_carts_token_hash")),
    )
    with op.batch_alter_table("carts_carts", schema=None) as batch_op:
        batch_op.create_index("ix_carts_carts_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_carts_carts_status_updated_at", ["status", "updated_at"], unique=False)
        batch_op.create_index(
            "uq_carts_carts_open_customer",
            ["customer_id"],
            unique=True,
            sqlite_where=OPEN_WHERE,
            postgresql_where=OPEN_WHERE,
        )

    op.create_table(
        "carts_lines",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("cart_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("channel_added", sa.String(length=64), nullable=False),
        sa.Column("key_added", sa.String(length=40), nullable=True),
        sa.Column("channel_updated", sa.String(length=64), nullable=False),
        sa.Column("added_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cart_id"],
            ["carts_carts.id"],
            name=op.f("fk_carts_lines_cart_id_carts_carts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carts_lines")),
        sa.UniqueConstraint("cart_id", "sku", name=op.f("uq_carts_lines_cart_id_sku")),
    )


def downgrade() -> None:
    op.drop_table("carts_lines")
    with op.batch_alter_table("carts_carts", schema=None) as batch_op:
        batch_op.drop_index("uq_carts_carts_open_customer")
        batch_op.drop_index("ix_carts_carts_status_updated_at")
        batch_op.drop_index("ix_carts_carts_customer_id")
    op.drop_table("carts_carts")
