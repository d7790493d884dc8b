"""pricing: a copy of each customer's loyalty tier and segments (pricing no longer calls loyalty)

Revision ID: 0051_pricing_customer_facts
Revises: 0050_delivery_vocabulary
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0051_pricing_customer_facts"
down_revision = "0050_delivery_vocabulary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pricing_customer_facts",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=True),
        sa.Column("segments", comptoir.core.db.JSONType, nullable=True),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_pricing_customer_facts")),
    )
    # Existing loyalty accounts' tiers, copied once (afterwards loyalty.tier_changed keeps them).
    op.execute(
        "INSERT INTO pricing_customer_facts (customer_id, tier, segments, updated_at) "
        "SELECT customer_id, tier, NULL, updated_at FROM loyalty_accounts "
        "WHERE tier IS NOT NULL AND merged_into IS NULL"
    )


def downgrade() -> None:
    op.drop_table("pricing_customer_facts")
