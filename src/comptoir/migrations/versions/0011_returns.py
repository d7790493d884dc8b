"""returns: returns and their lines, per-line claims (the lock), the retailer's return policy

Revision ID: 0011_returns
Revises: 0010_payments
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0011_returns"
down_revision = "0010_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "returns_claims",
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("bought", sa.Integer(), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("claimed", sa.Integer(), nullable=False),
        sa.Column("refunded", sa.Integer(), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.PrimaryKeyConstraint("order_id", "line_id", name=op.f("pk_returns_claims")),
    )
    op.create_table(
        "returns_policy",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns_policy")),
    )
    op.create_table(
        "returns_returns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("order_number", sa.String(length=24), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("refund_to", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("shipping_refund", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("total_refund", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("refund_id", sa.String(length=64), nullable=True),
        sa.Column("voucher_code", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("rejection_reason", sa.String(length=200), nullable=True),
        sa.Column("received_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns_returns")),
        sa.UniqueConstraint("number", name=op.f("uq_returns_returns_number")),
    )
    op.create_index(op.f("ix_returns_returns_order_id"), "returns_returns", ["order_id"], unique=False)
    op.create_index(
        "ix_returns_returns_customer_created", "returns_returns", ["customer_id", "created_at"], unique=False
    )
    op.create_table(
        "returns_lines",
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("line_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=True),
        sa.Column("received_quantity", sa.Integer(), nullable=False),
        sa.Column("accepted_quantity", sa.Integer(), nullable=False),
        sa.Column("restocked_quantity", sa.Integer(), nullable=False),
        sa.Column("refund_amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("inspection_comment", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["returns_returns.id"],
            name=op.f("fk_returns_lines_return_id_returns_returns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("return_id", "line_id", name=op.f("pk_returns_lines")),
    )


def downgrade() -> None:
    op.drop_table("returns_lines")
    op.drop_table("returns_returns")
    op.drop_table("returns_policy")
    op.drop_table("returns_claims")
