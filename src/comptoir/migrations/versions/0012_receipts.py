"""receipts: one receipt per store sale (the document as printed, where and when it was sent)

Revision ID: 0012_receipts
Revises: 0011_returns
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0012_receipts"
down_revision = "0011_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipts_receipts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("ask_consent", sa.Boolean(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("send_status", sa.String(length=16), nullable=False),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("sent_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_receipts_receipts_number")),
        sa.UniqueConstraint("order_id", name=op.f("uq_receipts_receipts_order_id")),
    )
    op.create_index(op.f("ix_receipts_receipts_place_id"), "receipts_receipts", ["place_id"], unique=False)
    op.create_index(
        op.f("ix_receipts_receipts_customer_id"), "receipts_receipts", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("receipts_receipts")
