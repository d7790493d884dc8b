"""receipts: tables (named ``receipts_*``)."""

from __future__ import annotations

from comptoir.core.db import Base  # noqa: F401
