"""carts: tables

Revision ID: 0008_carts
Revises: 0007_inventory
"""

revision = "0008_carts"
down_revision = "0007_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
