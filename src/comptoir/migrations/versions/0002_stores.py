"""stores: places, publications, channel snapshots, locator entries

Revision ID: 0002_stores
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0002_stores"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stores_channel_snapshots",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("store_code", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "store_code", name=op.f("pk_stores_channel_snapshots")),
    )
    op.create_table(
        "stores_locator_entries",
        sa.Column("store_code", sa.String(length=32), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("place_version", sa.Integer(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("published_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("store_code", name=op.f("pk_stores_locator_entries")),
        sa.UniqueConstraint("place_id", name=op.f("uq_stores_locator_entries_place_id")),
    )
    with op.batch_alter_table("stores_locator_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stores_locator_entries_kind"), ["kind"], unique=False)

    op.create_table(
        "stores_places",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("status_reason", sa.String(length=200), nullable=False),
        sa.Column("status_since", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "address_lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("postal_code", sa.String(length=16), nullable=False),
        sa.Column("locality", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=120), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("manager", sa.String(length=200), nullable=True),
        sa.Column("website_url", sa.String(length=500), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("services", sa.String(length=400), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "weekly",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "reserved",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "special_days",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_channel", sa.String(length=64), nullable=True),
        sa.Column("created_by_key", sa.String(length=40), nullable=True),
        sa.Column("updated_channel", sa.String(length=64), nullable=True),
        sa.Column("updated_by_key", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stores_places")),
        sa.UniqueConstraint("code", name=op.f("uq_stores_places_code")),
    )
    with op.batch_alter_table("stores_places", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stores_places_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_stores_places_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_stores_places_latitude"), ["latitude"], unique=False)
        batch_op.create_index(batch_op.f("ix_stores_places_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_stores_places_status"), ["status"], unique=False)

    op.create_table(
        "stores_publications",
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("store_code", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("place_version", sa.Integer(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("requested_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", comptoir.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("place_id", "channel", name=op.f("pk_stores_publications")),
    )
    with op.batch_alter_table("stores_publications", schema=None) as batch_op:
        batch_op.create_index("ix_stores_publications_channel_code", ["channel", "store_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_stores_publications_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stores_publications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_publications_status"))
        batch_op.drop_index("ix_stores_publications_channel_code")

    op.drop_table("stores_publications")
    with op.batch_alter_table("stores_places", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_places_status"))
        batch_op.drop_index(batch_op.f("ix_stores_places_region"))
        batch_op.drop_index(batch_op.f("ix_stores_places_latitude"))
        batch_op.drop_index(batch_op.f("ix_stores_places_kind"))
        batch_op.drop_index(batch_op.f("ix_stores_places_department"))

    op.drop_table("stores_places")
    with op.batch_alter_table("stores_locator_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stores_locator_entries_kind"))

    op.drop_table("stores_locator_entries")
    op.drop_table("stores_channel_snapshots")
