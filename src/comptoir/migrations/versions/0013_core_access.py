"""core: kinds of API keys (secret, shop, publishable) with a shop binding; staff people, sessions, audit

Revision ID: 0013_core_access
Revises: 0012_receipts
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import comptoir.core.db

revision = "0013_core_access"
down_revision = "0012_receipts"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
WHEN = comptoir.core.db.UTCDateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("core_api_keys") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="secret"))
        batch.add_column(sa.Column("shop_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("created_by", sa.String(length=40), nullable=True))
    # Keys made before kinds existed: browser channels become publishable, store channels shop keys.
    op.execute("UPDATE core_api_keys SET kind = 'publishable' WHERE channel IN ('web', 'app', 'live')")
    op.execute(
        "UPDATE core_api_keys SET kind = 'shop', shop_id = substr(channel, 7) WHERE channel LIKE 'store:%'"
    )
    op.create_table(
        "core_staff_people",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("shops", JSON, nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", WHEN, nullable=True),
        sa.Column("blocked_at", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_staff_people")),
        sa.UniqueConstraint("email", name=op.f("uq_core_staff_people_email")),
    )
    op.create_table(
        "core_staff_sessions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("shop_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("ended_at", WHEN, nullable=True),
        sa.Column("client", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["core_staff_people.id"],
            name=op.f("fk_core_staff_sessions_person_id_core_staff_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_staff_sessions")),
    )
    op.create_index(op.f("ix_core_staff_sessions_person_id"), "core_staff_sessions", ["person_id"])
    op.create_table(
        "core_staff_audit",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("at", WHEN, nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("events", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_staff_audit")),
    )
    op.create_index(op.f("ix_core_staff_audit_at"), "core_staff_audit", ["at"])
    op.create_index(op.f("ix_core_staff_audit_person_id"), "core_staff_audit", ["person_id"])


def downgrade() -> None:
    op.drop_table("core_staff_audit")
    op.drop_table("core_staff_sessions")
    op.drop_table("core_staff_people")
    with op.batch_alter_table("core_api_keys") as batch:
        batch.drop_column("created_by")
        batch.drop_column("shop_id")
        batch.drop_column("kind")
