"""returns: tables

Revision ID: 0011_returns
Revises: 0010_payments
"""

revision = "0011_returns"
down_revision = "0010_payments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
