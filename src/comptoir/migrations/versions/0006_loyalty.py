"""loyalty: programme rules, accounts, the append-only ledger, lots of points and their uses

Revision ID: 0006_loyalty
Revises: 0005_pricing
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0006_loyalty"
down_revision = "0005_pricing"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
UTC = comptoir.core.db.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "loyalty_programmes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programmes")),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("lifetime_points", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("tier_since", UTC(timezone=True), nullable=True),
        sa.Column("tier_review_at", UTC(timezone=True), nullable=True),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_loyalty_accounts_balance_not_negative")),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_loyalty_accounts")),
    )
    with op.batch_alter_table("loyalty_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loyalty_accounts_merged_into"), ["merged_into"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_loyalty_accounts_tier_review_at"), ["tier_review_at"], unique=False
        )

    op.create_table(
        "loyalty_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer(), nullable=False),
        sa.Column("qualifying", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=260), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("related_entry_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.Column("occurred_at", UTC(timezone=True), nullable=False),
        sa.Column("api_key_id", sa.String(length=40), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
        sa.UniqueConstraint("key", name=op.f("uq_loyalty_entries_key")),
    )
    with op.batch_alter_table("loyalty_entries", schema=None) as batch_op:
        batch_op.create_index("ix_loyalty_entries_customer_id_id", ["customer_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loyalty_entries_order_id"), ["order_id"], unique=False)

    op.create_table(
        "loyalty_lots",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("credited_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=True),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_loyalty_lots_remaining_not_negative")),
        sa.CheckConstraint("remaining <= points", name=op.f("ck_loyalty_lots_remaining_within_points")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_lots")),
    )
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_loyalty_lots_customer_id_expires_at", ["customer_id", "expires_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_loyalty_lots_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_loyalty_lots_order_id"), ["order_id"], unique=False)

    op.create_table(
        "loyalty_lot_uses",
        sa.Column("entry_id", sa.String(length=40), nullable=False),
        sa.Column("lot_id", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id", "lot_id", name=op.f("pk_loyalty_lot_uses")),
    )


def downgrade() -> None:
    op.drop_table("loyalty_lot_uses")
    with op.batch_alter_table("loyalty_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_lots_order_id"))
        batch_op.drop_index(batch_op.f("ix_loyalty_lots_expires_at"))
        batch_op.drop_index("ix_loyalty_lots_customer_id_expires_at")
    op.drop_table("loyalty_lots")
    with op.batch_alter_table("loyalty_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_entries_order_id"))
        batch_op.drop_index("ix_loyalty_entries_customer_id_id")
    op.drop_table("loyalty_entries")
    with op.batch_alter_table("loyalty_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loyalty_accounts_tier_review_at"))
        batch_op.drop_index(batch_op.f("ix_loyalty_accounts_merged_into"))
    op.drop_table("loyalty_accounts")
    op.drop_table("loyalty_programmes")
