"""orders: orders, lines, fulfilments and their lines, transitions, sourcing rules

Revision ID: 0009_orders
Revises: 0008_carts
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0009_orders"
down_revision = "0008_carts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("mode", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("payment_status", sa.String(length=24), nullable=False),
        sa.Column("cart_id", sa.String(length=40), nullable=True),
        sa.Column("seller_id", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("receipt_by_email", sa.Boolean(), nullable=False),
        sa.Column(
            "address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("pickup_place_id", sa.String(length=40), nullable=True),
        sa.Column("subtotal", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("shipping_total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column(
            "sourcing",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders_orders")),
        sa.UniqueConstraint("cart_id", name=op.f("uq_orders_orders_cart_id")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_orders_number")),
    )
    with op.batch_alter_table("orders_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_orders_customer_created", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_orders_orders_status_created", ["status", "created_at"], unique=False)

    op.create_table(
        "orders_sourcing_rules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column(
            "rules",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders_sourcing_rules")),
    )
    op.create_table(
        "orders_fulfilments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("source_place_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("reservation_reference", sa.String(length=80), nullable=False),
        sa.Column("pickup_expires_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tracking_number", sa.String(length=80), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders_orders.id"],
            name=op.f("fk_orders_fulfilments_order_id_orders_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders_fulfilments")),
    )
    with op.batch_alter_table("orders_fulfilments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_fulfilments_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_orders_fulfilments_place_status", ["place_id", "status"], unique=False)
        batch_op.create_index(
            "ix_orders_fulfilments_source_status", ["source_place_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_orders_fulfilments_status_expires", ["status", "pickup_expires_at"], unique=False
        )

    op.create_table(
        "orders_lines",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("discount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column(
            "category_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("returned_quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders_orders.id"],
            name=op.f("fk_orders_lines_order_id_orders_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "line_id", name=op.f("pk_orders_lines")),
    )
    op.create_table(
        "orders_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("fulfilment_id", sa.String(length=40), nullable=True),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders_orders.id"],
            name=op.f("fk_orders_transitions_order_id_orders_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders_transitions")),
    )
    with op.batch_alter_table("orders_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_transitions_order_id"), ["order_id"], unique=False)

    op.create_table(
        "orders_fulfilment_lines",
        sa.Column("fulfilment_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fulfilment_id"],
            ["orders_fulfilments.id"],
            name=op.f("fk_orders_fulfilment_lines_fulfilment_id_orders_fulfilments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fulfilment_id", "line_id", name=op.f("pk_orders_fulfilment_lines")),
    )


def downgrade() -> None:
    op.drop_table("orders_fulfilment_lines")
    with op.batch_alter_table("orders_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_transitions_order_id"))

    op.drop_table("orders_transitions")
    op.drop_table("orders_lines")
    with op.batch_alter_table("orders_fulfilments", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_fulfilments_status_expires")
        batch_op.drop_index("ix_orders_fulfilments_source_status")
        batch_op.drop_index("ix_orders_fulfilments_place_status")
        batch_op.drop_index(batch_op.f("ix_orders_fulfilments_order_id"))

    op.drop_table("orders_fulfilments")
    op.drop_table("orders_sourcing_rules")
    with op.batch_alter_table("orders_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_orders_status_created")
        batch_op.drop_index("ix_orders_orders_customer_created")

    op.drop_table("orders_orders")
