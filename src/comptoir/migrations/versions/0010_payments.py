"""payments: payments and their append-only journal, refunds, gift cards and vouchers with their
movements, provider events received

Revision ID: 0010_payments
Revises: 0009_orders
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0010_payments"
down_revision = "0009_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payments_gift_cards",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("initial_amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("balance", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("pin_hash", sa.String(length=128), nullable=True),
        sa.Column("pin_failures", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("expires_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance <= initial_amount", name=op.f("ck_payments_gift_cards_balance_within_initial")
        ),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_payments_gift_cards_balance_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_gift_cards")),
        sa.UniqueConstraint("code", name=op.f("uq_payments_gift_cards_code")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_gift_cards_reference")),
    )
    with op.batch_alter_table("payments_gift_cards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_gift_cards_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "payments_payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("captured_amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("refunded_amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=True),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("gift_card_id", sa.String(length=40), nullable=True),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column(
            "next_action",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("failure_reason", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_payments_amount_positive")),
        sa.CheckConstraint(
            "captured_amount >= 0 AND captured_amount <= amount",
            name=op.f("ck_payments_payments_captured_within_amount"),
        ),
        sa.CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= captured_amount",
            name=op.f("ck_payments_payments_refund_within_captured"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_payments")),
    )
    with op.batch_alter_table("payments_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_payments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_payments_payments_provider_reference", ["provider", "provider_reference"], unique=False
        )

    op.create_table(
        "payments_provider_events",
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=80), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "event_id", name=op.f("pk_payments_provider_events")),
    )
    op.create_table(
        "payments_refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("to", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("voucher_id", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_refunds")),
        sa.UniqueConstraint("reference", name=op.f("uq_payments_refunds_reference")),
    )
    with op.batch_alter_table("payments_refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_refunds_order_id"), ["order_id"], unique=False)

    op.create_table(
        "payments_gift_card_movements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("gift_card_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("balance_after", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gift_card_id"],
            ["payments_gift_cards.id"],
            name=op.f("fk_payments_gift_card_movements_gift_card_id_payments_gift_cards"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_gift_card_movements")),
        sa.UniqueConstraint(
            "gift_card_id",
            "kind",
            "reference",
            name=op.f("uq_payments_gift_card_movements_gift_card_id_kind_reference"),
        ),
    )
    with op.batch_alter_table("payments_gift_card_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_gift_card_movements_gift_card_id"), ["gift_card_id"], unique=False
        )

    op.create_table(
        "payments_payment_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=True),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.Column("provider_event_id", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments_payments.id"],
            name=op.f("fk_payments_payment_events_payment_id_payments_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_payment_events")),
    )
    with op.batch_alter_table("payments_payment_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_payment_events_payment_id"), ["payment_id"], unique=False
        )

    op.create_table(
        "payments_refund_parts",
        sa.Column("refund_id", sa.String(length=40), nullable=False),
        sa.Column("payment_id", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("provider_reference", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments_payments.id"],
            name=op.f("fk_payments_refund_parts_payment_id_payments_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["payments_refunds.id"],
            name=op.f("fk_payments_refund_parts_refund_id_payments_refunds"),
        ),
        sa.PrimaryKeyConstraint("refund_id", "payment_id", name=op.f("pk_payments_refund_parts")),
    )


def downgrade() -> None:
    op.drop_table("payments_refund_parts")
    with op.batch_alter_table("payments_payment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_payment_events_payment_id"))

    op.drop_table("payments_payment_events")
    with op.batch_alter_table("payments_gift_card_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_gift_card_movements_gift_card_id"))

    op.drop_table("payments_gift_card_movements")
    with op.batch_alter_table("payments_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_refunds_order_id"))

    op.drop_table("payments_refunds")
    op.drop_table("payments_provider_events")
    with op.batch_alter_table("payments_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_payments_provider_reference")
        batch_op.drop_index(batch_op.f("ix_payments_payments_order_id"))

    op.drop_table("payments_payments")
    with op.batch_alter_table("payments_gift_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_gift_cards_customer_id"))

    op.drop_table("payments_gift_cards")
