"""customers: accounts lose their own failure counter and lock (sign-in attempts are throttled per
e-mail address and client in customers_sign_in_throttles, whether or not an account exists)

Revision ID: 0071_account_counters
Revises: 0070_accounts
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0071_account_counters"
down_revision = "0070_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers_accounts") as batch:
        batch.drop_column("failed_attempts")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("customers_accounts") as batch:
        batch.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("locked_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True)
        )
