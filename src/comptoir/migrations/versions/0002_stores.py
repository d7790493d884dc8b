"""stores: tables

Revision ID: 0002_stores
Revises: 0001_core
"""

revision = "0002_stores"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
