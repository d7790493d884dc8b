"""engagement: surveys: NPS and CSAT answers

Revision ID: 0088_engagement_surveys
Revises: 0087_appointments_products
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0088_engagement_surveys"
down_revision = "0087_appointments_products"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagement_survey_answers",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=40), nullable=True),
        sa.Column("customer_id", sa.String(length=40), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("place_id", sa.String(length=64), nullable=True),
        sa.Column("advisor_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("answered_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_survey_answers")),
        sa.UniqueConstraint("message_id", "kind", name=op.f("uq_engagement_survey_answers_message_id_kind")),
    )
    with op.batch_alter_table("engagement_survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_survey_answers_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            "ix_engagement_survey_answers_stats",
            ["answered_at", "state", "kind", "score", "place_id", "advisor_id", "channel", "touchpoint"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("engagement_survey_answers", schema=None) as batch_op:
        batch_op.drop_index("ix_engagement_survey_answers_stats")
        batch_op.drop_index(batch_op.f("ix_engagement_survey_answers_customer_id"))
    op.drop_table("engagement_survey_answers")
