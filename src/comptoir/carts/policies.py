"""carts: pure rules, no I/O."""

from __future__ import annotations

MAX_QUANTITY_PER_LINE = 99
MAX_LINES = 100
MAX_COUPONS = 10
