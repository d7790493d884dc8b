"""orders: tables (named ``orders_*``)."""

from __future__ import annotations

from comptoir.core.db import Base  # noqa: F401
