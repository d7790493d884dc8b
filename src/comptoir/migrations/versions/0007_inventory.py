"""inventory: stock, movements, reservations, counts, place read model

Revision ID: 0007_inventory
Revises: 0006_loyalty
"""

from alembic import op
import sqlalchemy as sa
import comptoir.core.db

revision = "0007_inventory"
down_revision = "0006_loyalty"
branch_labels = None
depends_on = None

UTC = comptoir.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inventory_stock",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("safety_stock", sa.Integer(), nullable=False),
        sa.Column("aisle", sa.String(length=20), nullable=True),
        sa.Column("shelf", sa.String(length=20), nullable=True),
        sa.Column("bin", sa.String(length=20), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_inventory_stock_on_hand_not_negative")),
        sa.CheckConstraint("reserved >= 0", name=op.f("ck_inventory_stock_reserved_not_negative")),
        sa.CheckConstraint("safety_stock >= 0", name=op.f("ck_inventory_stock_safety_not_negative")),
        sa.PrimaryKeyConstraint("sku", "place_id", name=op.f("pk_inventory_stock")),
    )
    op.create_index("ix_inventory_stock_place_sku", "inventory_stock", ["place_id", "sku"], unique=False)

    op.create_table(
        "inventory_movements",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("on_hand_after", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("api_key_id", sa.String(length=40), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
        sa.UniqueConstraint(
            "reference",
            "sku",
            "place_id",
            "kind",
            name=op.f("uq_inventory_movements_reference_sku_place_id_kind"),
        ),
    )
    op.create_index(
        "ix_inventory_movements_sku_place",
        "inventory_movements",
        ["sku", "place_id", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_inventory_movements_place_time", "inventory_movements", ["place_id", "occurred_at"], unique=False
    )

    op.create_table(
        "inventory_reservations",
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("api_key_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_inventory_reservations")),
    )
    op.create_index(
        "ix_inventory_reservations_status_expires",
        "inventory_reservations",
        ["status", "expires_at"],
        unique=False,
    )

    op.create_table(
        "inventory_reservation_lines",
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("fulfilled", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "fulfilled >= 0 AND fulfilled <= quantity",
            name=op.f("ck_inventory_reservation_lines_fulfilled_within_quantity"),
        ),
        sa.PrimaryKeyConstraint("reference", "sku", "place_id", name=op.f("pk_inventory_reservation_lines")),
    )
    op.create_index(
        "ix_inventory_reservation_lines_sku_place",
        "inventory_reservation_lines",
        ["sku", "place_id"],
        unique=False,
    )

    op.create_table(
        "inventory_counts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=120), nullable=False),
        sa.Column("counted_at", UTC, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("skus_counted", sa.Integer(), nullable=False),
        sa.Column("skus_expected", sa.Integer(), nullable=False),
        sa.Column("skus_accurate", sa.Integer(), nullable=False),
        sa.Column("units_expected", sa.Integer(), nullable=False),
        sa.Column("units_counted", sa.Integer(), nullable=False),
        sa.Column("units_variance", sa.Integer(), nullable=False),
        sa.Column("sku_accuracy", sa.Float(), nullable=False),
        sa.Column("unit_accuracy", sa.Float(), nullable=False),
        sa.Column("epcs_read", sa.Integer(), nullable=False),
        sa.Column("epcs_unknown", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=True),
        sa.Column("api_key_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_counts")),
        sa.UniqueConstraint("place_id", "reference", name=op.f("uq_inventory_counts_place_id_reference")),
    )
    op.create_index(
        "ix_inventory_counts_place_time", "inventory_counts", ["place_id", "counted_at"], unique=False
    )

    op.create_table(
        "inventory_count_lines",
        sa.Column("count_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("count_id", "sku", name=op.f("pk_inventory_count_lines")),
    )

    op.create_table(
        "inventory_places",
        sa.Column("place_id", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("services", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("postcode", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekly_hours", sa.String(length=2000), nullable=False),
        sa.Column("reserved_hours", sa.String(length=2000), nullable=False),
        sa.Column("special_days", sa.String(length=8000), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("place_id", name=op.f("pk_inventory_places")),
    )


def downgrade() -> None:
    op.drop_table("inventory_places")
    op.drop_table("inventory_count_lines")
    op.drop_index("ix_inventory_counts_place_time", table_name="inventory_counts")
    op.drop_table("inventory_counts")
    op.drop_index("ix_inventory_reservation_lines_sku_place", table_name="inventory_reservation_lines")
    op.drop_table("inventory_reservation_lines")
    op.drop_index("ix_inventory_reservations_status_expires", table_name="inventory_reservations")
    op.drop_table("inventory_reservations")
    op.drop_index("ix_inventory_movements_place_time", table_name="inventory_movements")
    op.drop_index("ix_inventory_movements_sku_place", table_name="inventory_movements")
    op.drop_table("inventory_movements")
    op.drop_index("ix_inventory_stock_place_sku", table_name="inventory_stock")
    op.drop_table("inventory_stock")
