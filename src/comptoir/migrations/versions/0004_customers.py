"""customers: tables

Revision ID: 0004_customers
Revises: 0003_catalog
"""

revision = "0004_customers"
down_revision = "0003_catalog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
