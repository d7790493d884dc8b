"""catalog: tables

Revision ID: 0003_catalog
Revises: 0002_stores
"""

revision = "0003_catalog"
down_revision = "0002_stores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
