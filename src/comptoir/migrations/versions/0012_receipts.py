"""receipts: tables

Revision ID: 0012_receipts
Revises: 0011_returns
"""

revision = "0012_receipts"
down_revision = "0011_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
