"""customers: whose birthday falls on a day — the active customers born on that day of the year, read in
keyset pages (customer id order) for the domains that write to them (engagement's birthday journey).

The birth date's index answers it: one equality per possible year of birth (1900, the earliest birth date
accepted, to the day's year), which both databases look up in ``ix_customers_customers_birth_date`` — no
scan of the customers, however many. A customer born on 29 February celebrates on 28 February in common
years. What comes back is what a message's timing needs (the postcode tells the overseas departments'
time zones): no name, no address.
"""

from __future__ import annotations

import calendar
from datetime import date

from sqlalchemy import select

from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.customers.audience import Member
from comptoir.customers.models import Customer, table

EARLIEST_YEAR = 1900  # the earliest birth date a record accepts (core.types.BoundedDate)
MAX_PAGE = 20_000

_C = table(Customer)


def birth_dates(day: date) -> list[date]:
    """The birth dates whose birthday is ``day``: the same day of every year up to ``day``'s, and on 28
    February of a common year, 29 February of the leap years."""
    years = range(EARLIEST_YEAR, day.year + 1)
    leap_day = (day.month, day.day) == (2, 29)
    dates = [date(year, day.month, day.day) for year in years if not leap_day or calendar.isleap(year)]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        dates += [date(year, 2, 29) for year in years if calendar.isleap(year)]
    return sorted(dates)


def celebrating(uow: UnitOfWork, day: date, *, after: str | None = None, limit: int = 1000) -> list[Member]:
    """The next ``limit`` active customers after id ``after`` (in id order) whose birthday is ``day``. An
    empty page: nobody after ``after``."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"A page holds 1 to {MAX_PAGE} customers.", field="limit")
    stmt = select(_C.c.id, _C.c.postcode, _C.c.country).where(
        _C.c.status == "active", _C.c.birth_date.in_(birth_dates(day))
    )
    if after is not None:
        stmt = stmt.where(_C.c.id > after)
    rows = uow.session.execute(stmt.order_by(_C.c.id).limit(limit)).all()
    return [Member(*row) for row in rows]
