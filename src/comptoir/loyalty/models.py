"""loyalty: tables (named ``loyalty_*``)."""

from __future__ import annotations

from comptoir.core.db import Base  # noqa: F401
