"""The back office's tests: the order tests' small retailer (a warehouse, stores in Paris and Marseille,
dresses in stock) and a few orders in two shops and two channels."""

from __future__ import annotations

from tests.appointments.conftest import fixed_clock, retailer  # noqa: F401 (fixtures)
from tests.orders.conftest import _fresh_rules, marie, opera, rivoli, shop, stocked, web  # noqa: F401
from tests.returns.conftest import rivoli_staff  # noqa: F401
