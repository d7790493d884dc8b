"""engagement: the demo retailer's pressure rules — lighter than the built-in ones: at most one commercial
message a day, three a week and eight a month; no push between 21:30 and 08:30, no SMS between 20:00 and
08:00 (and the French rules for commercial SMS). The built-in journeys (appointments, orders) apply as
they are: the demo's bookings and orders start them when the worker delivers their events."""

from __future__ import annotations

from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import pressure
from comptoir.engagement.schemas import CapIn, Pressure, QuietHoursIn

RULES = Pressure(
    caps=[CapIn(limit=1, period="day"), CapIn(limit=3, period="week"), CapIn(limit=8, period="month")],
    quiet_hours=[
        QuietHoursIn(channel="push", start="21:30", end="08:30"),
        QuietHoursIn(channel="sms", start="20:00", end="08:00"),
    ],
    french_sms_rules=True,
)


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if pressure.current(uow).built_in:
        pressure.save(uow, RULES)
