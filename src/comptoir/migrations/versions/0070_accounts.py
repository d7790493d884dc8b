"""customers: session generations (revocable customer tokens), sign-in throttles per e-mail and
client, blocked accounts; receipts: link generation (revocable signed links)

Revision ID: 0070_accounts
Revises: 0051_pricing_customer_facts
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0070_accounts"
down_revision = "0051_pricing_customer_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers_session_generations",
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("changed_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customers_session_generations")),
    )
    op.create_table(
        "customers_sign_in_throttles",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_customers_sign_in_throttles")),
    )
    with op.batch_alter_table("customers_accounts") as batch:
        batch.add_column(sa.Column("blocked_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("receipts_receipts") as batch:
        batch.add_column(sa.Column("link_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("receipts_receipts") as batch:
        batch.drop_column("link_generation")
    with op.batch_alter_table("customers_accounts") as batch:
        batch.drop_column("blocked_at")
    op.drop_table("customers_sign_in_throttles")
    op.drop_table("customers_session_generations")
