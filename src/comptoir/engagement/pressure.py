"""engagement: the retailer's pressure rules — read by the sender at each run, edited through the API.

Until a retailer edits them, the built-in rules apply: commercial messages (marketing and surveys) at most
2 a day, 4 a week and 10 a month on all channels together; push quiet from 21:00 to 08:00 and SMS from
20:00 to 08:00 on the customer's clock; the French rules for commercial SMS.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import policies
from comptoir.engagement.models import Pressure as PressureRow
from comptoir.engagement.schemas import CapIn, Pressure, PressureOut, QuietHoursIn

ROW = "default"
BUILT_IN = Pressure(
    caps=[CapIn(limit=2, period="day"), CapIn(limit=4, period="week"), CapIn(limit=10, period="month")],
    quiet_hours=[
        QuietHoursIn(channel="push", start="21:00", end="08:00"),
        QuietHoursIn(channel="sms", start="20:00", end="08:00"),
    ],
    french_sms_rules=True,
)


def _time(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def policy_of(rules: Pressure) -> policies.Policy:
    """The pure rules' form (a ValueError names what cannot hold: quiet hours leaving no time at all)."""
    return policies.Policy(
        caps=tuple(policies.CapRule(c.purpose, c.limit, c.period, c.channel) for c in rules.caps),
        quiet_hours=tuple(
            policies.QuietHours(q.channel, _time(q.start), _time(q.end), q.transactional)
            for q in rules.quiet_hours
        ),
        french_sms_rules=rules.french_sms_rules,
    )


def current(uow: UnitOfWork) -> PressureOut:
    row = uow.session.get(PressureRow, ROW)
    if row is None:
        return PressureOut(**BUILT_IN.model_dump(), built_in=True, version=0)
    return PressureOut(
        caps=row.caps,
        quiet_hours=row.quiet_hours,
        french_sms_rules=row.french_sms_rules,
        built_in=False,
        version=row.version,
    )


def policy(uow: UnitOfWork) -> policies.Policy:
    return _policy(current(uow).model_dump_json(include={"caps", "quiet_hours", "french_sms_rules"}))


@lru_cache(maxsize=16)
def _policy(rules: str) -> policies.Policy:
    """The rules' pure form, made once per set of rules (checking the quiet hours minute by minute took
    longer than a sending run's reads)."""
    return policy_of(Pressure.model_validate_json(rules))


def save(uow: UnitOfWork, rules: Pressure) -> PressureOut:
    """Replace the rules (422 naming the field when they cannot hold)."""
    for n, window in enumerate(rules.quiet_hours):
        if window.start == window.end:
            raise InvalidInput(
                "Quiet hours need an end other than their start.", field=f"quiet_hours/{n}/end"
            )
    try:
        policy_of(rules)
    except ValueError as exc:
        raise InvalidInput(f"{str(exc).capitalize()}.", field="quiet_hours") from exc
    data = rules.model_dump(mode="json")
    row = uow.session.get(PressureRow, ROW, with_for_update=True)
    if row is None:
        row = PressureRow(id=ROW, **data)
        uow.session.add(row)
    else:
        row.caps, row.quiet_hours, row.french_sms_rules = (
            data["caps"],
            data["quiet_hours"],
            data["french_sms_rules"],
        )
    uow.session.flush()
    return current(uow)
