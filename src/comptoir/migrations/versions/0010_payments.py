"""payments: tables

Revision ID: 0010_payments
Revises: 0009_orders
"""

revision = "0010_payments"
down_revision = "0009_orders"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
