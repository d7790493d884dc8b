"""pricing, orders: one delivery vocabulary — promotions target modes and methods by their shared names

A free-shipping promotion used to list a delivery *mode* (``home_delivery``) under ``params.methods``
while checkout priced with the *method* (``standard``): the promotion never applied. Now ``modes`` holds
the modes (``pricing.schemas.DELIVERY_MODES``) and ``methods`` the methods (``DELIVERY_METHODS``).
Stored promotions move each mode name from ``methods`` to ``modes``; a method name no checkout ever
sends is dropped, and a promotion whose ``methods`` ends up empty targets every method (as an empty list
always did). The orders rules keep the shipping fees of the known methods only.

Data only: the schema does not change. Downgrade puts the mode names back under ``methods``.

Revision ID: 0050_delivery_vocabulary
Revises: 0040_outbound_messages
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

import comptoir.core.db

revision = "0050_delivery_vocabulary"
down_revision = "0040_outbound_messages"
branch_labels = None
depends_on = None

# The vocabulary as of this revision (a migration does not import the code it migrates).
MODES = ("home_delivery", "click_and_collect", "reserve_and_collect", "store_sale")
METHODS = ("standard", "express")

promotions = sa.table(
    "pricing_promotions",
    sa.column("id", sa.String()),
    sa.column("params", comptoir.core.db.JSONType),
)
rules = sa.table(
    "orders_sourcing_rules",
    sa.column("id", sa.String()),
    sa.column("rules", comptoir.core.db.JSONType),
)


def migrated_params(params: dict[str, Any]) -> dict[str, Any] | None:
    """The promotion's params in the shared vocabulary, or None when nothing changes."""
    methods = params.get("methods")
    if not isinstance(methods, list) or all(m in METHODS for m in methods):
        return None
    modes = list(params.get("modes") or [])
    modes += [m for m in methods if m in MODES and m not in modes]
    out = {**params, "methods": [m for m in methods if m in METHODS]}
    if modes:
        out["modes"] = modes
    return out


def _rewrite(table: Any, column: str, change: Any) -> None:
    conn = op.get_bind()
    for row_id, value in conn.execute(sa.select(table.c.id, table.c[column])).all():
        if not isinstance(value, dict):
            continue
        new = change(value)
        if new is not None:
            conn.execute(sa.update(table).where(table.c.id == row_id).values({column: new}))


def _known_fees(value: dict[str, Any]) -> dict[str, Any] | None:
    fees = value.get("shipping_fees")
    if not isinstance(fees, dict) or all(k in METHODS for k in fees):
        return None
    return {**value, "shipping_fees": {k: v for k, v in fees.items() if k in METHODS}}


def upgrade() -> None:
    _rewrite(promotions, "params", migrated_params)
    _rewrite(rules, "rules", _known_fees)


def _back(params: dict[str, Any]) -> dict[str, Any] | None:
    modes = params.get("modes")
    if not isinstance(modes, list) or not modes:
        return None
    out = {k: v for k, v in params.items() if k != "modes"}
    out["methods"] = [*modes, *(params.get("methods") or [])]
    return out


def downgrade() -> None:
    _rewrite(promotions, "params", _back)
