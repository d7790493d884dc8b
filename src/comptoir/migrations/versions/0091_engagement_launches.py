"""engagement: audience launches of journeys (bulk entry)

Revision ID: 0091_engagement_launches
Revises: 0090_engagement_experiments
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0091_engagement_launches"
down_revision = "0090_engagement_experiments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagement_launches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("journey_code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "audience",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("running_key", sa.String(length=64), nullable=True),
        sa.Column("resume_after", sa.String(length=40), nullable=True),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("entered", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("lease_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_launches")),
        sa.UniqueConstraint("running_key", name=op.f("uq_engagement_launches_running_key")),
    )
    with op.batch_alter_table("engagement_launches", schema=None) as batch_op:
        batch_op.create_index("ix_engagement_launches_state", ["state", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("engagement_launches", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_launches_state")
    op.drop_table("engagement_launches")
