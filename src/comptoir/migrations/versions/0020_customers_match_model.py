"""customers: the identity resolution model, stored and versioned

Revision ID: 0020_customers_match_model
Revises: 0071_account_counters
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0020_customers_match_model"
down_revision = "0071_account_counters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers_match_models",
        sa.Column("version", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("learned_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_customers_match_models")),
    )


def downgrade() -> None:
    op.drop_table("customers_match_models")
