"""core: outbound messages (e-mail recorded by a handler, sent by the dispatcher after commit)

Revision ID: 0040_outbound_messages
Revises: 0013_core_access
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0040_outbound_messages"
down_revision = "0013_core_access"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "core_outbound_messages",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("on_sent", JSON, nullable=True),
        sa.Column("on_failed", JSON, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_outbound_messages")),
    )
    with op.batch_alter_table("core_outbound_messages", schema=None) as batch_op:
        batch_op.create_index("ix_core_outbound_messages_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("core_outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_core_outbound_messages_due")
    op.drop_table("core_outbound_messages")
