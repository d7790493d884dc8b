"""loyalty: tables

Revision ID: 0006_loyalty
Revises: 0005_pricing
"""

revision = "0006_loyalty"
down_revision = "0005_pricing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
