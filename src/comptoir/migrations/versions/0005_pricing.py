"""pricing: tables

Revision ID: 0005_pricing
Revises: 0004_customers
"""

revision = "0005_pricing"
down_revision = "0004_customers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
