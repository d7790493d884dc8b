"""appointments: the products an advisor showed and recommends, recorded when the appointment is done

Revision ID: 0087_appointments_products
Revises: 0086_engagement_pressure
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0087_appointments_products"
down_revision = "0086_engagement_pressure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments_appointments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "products",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("appointments_appointments", schema=None) as batch_op:
        batch_op.drop_column("products")
