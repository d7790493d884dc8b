"""engagement: push device tokens

Revision ID: 0089_engagement_devices
Revises: 0088_engagement_surveys
"""

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0089_engagement_devices"
down_revision = "0088_engagement_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagement_devices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=40), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=2048), nullable=False),
        sa.Column("app", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_devices")),
        sa.UniqueConstraint("token", name=op.f("uq_engagement_devices_token")),
    )
    with op.batch_alter_table("engagement_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_engagement_devices_customer_id"), ["customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("engagement_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_devices_customer_id"))
    op.drop_table("engagement_devices")
