"""customers: staff notes on a customer

Revision ID: 0082_customers_notes
Revises: 0081_orders_exit_passes
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0082_customers_notes"
down_revision = "0081_orders_exit_passes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers_notes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=True),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers_customers.id"],
            name=op.f("fk_customers_notes_customer_id_customers_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers_notes")),
    )
    op.create_index("ix_customers_notes_customer", "customers_notes", ["customer_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_customers_notes_customer", table_name="customers_notes")
    op.drop_table("customers_notes")
