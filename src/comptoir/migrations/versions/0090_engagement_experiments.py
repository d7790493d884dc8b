"""engagement: A/B variants: experiments and a message's variant

Revision ID: 0090_engagement_experiments
Revises: 0089_engagement_devices
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0090_engagement_experiments"
down_revision = "0089_engagement_devices"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "engagement_experiments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("journey_code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("design", JSON, nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("winner", sa.String(length=16), nullable=False),
        sa.Column("rest_variant", sa.String(length=16), nullable=False),
        sa.Column("started_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("verdict", sa.String(length=500), nullable=False),
        sa.Column("stats", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_experiments")),
        sa.UniqueConstraint(
            "journey_code",
            "version",
            "step",
            name=op.f("uq_engagement_experiments_journey_code_version_step"),
        ),
    )
    with op.batch_alter_table("engagement_experiments", schema=None) as batch_op:
        batch_op.create_index("ix_engagement_experiments_phase", ["phase"], unique=False)
    with op.batch_alter_table("engagement_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("experiment_id", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("variant", sa.String(length=16), nullable=False, server_default=""))
        batch_op.create_index("ix_engagement_messages_experiment", ["experiment_id", "variant"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("engagement_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_messages_experiment")
        batch_op.drop_column("variant")
        batch_op.drop_column("experiment_id")
    with op.batch_alter_table("engagement_experiments", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_experiments_phase")
    op.drop_table("engagement_experiments")
