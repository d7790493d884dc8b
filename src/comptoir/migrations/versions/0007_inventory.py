"""inventory: tables

Revision ID: 0007_inventory
Revises: 0006_loyalty
"""

revision = "0007_inventory"
down_revision = "0006_loyalty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
