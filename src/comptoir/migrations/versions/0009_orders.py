"""orders: tables

Revision ID: 0009_orders
Revises: 0008_carts
"""

revision = "0009_orders"
down_revision = "0008_carts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
