"""Marketing pressure, by example and by simulation.

By example: each rule on its own — quiet hours across midnight, the French rules for commercial SMS (night,
Sunday, 14 July, Easter Monday, overseas and Alsace holidays), the clock changes of Europe/Paris, caps per
purpose, channel and calendar period, and which message wins a cap.

By simulation: random customers get random messages at random times through :func:`decide`; what it sends
is sent (and joins the history), what it delays comes back at ``not_before``, until every message is sent
or dropped. The outcome is checked against plain oracles that share no code with the module: calendar keys
of local dates for the caps, the local wall clock and the ``holidays`` package for quiet hours.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from comptoir.engagement import policies
from comptoir.engagement.policies import (
    CapRule,
    Decision,
    Pending,
    Policy,
    QuietHours,
    Sent,
    decide,
    history_start,
    next_allowed,
    period_bounds,
    zone,
)

PARIS = "Europe/Paris"
MARTINIQUE = "America/Martinique"
REUNION = "Indian/Reunion"
NO_QUIET = Policy(quiet_hours=())  # only the French SMS rules
PUSH_NIGHT = Policy(quiet_hours=(QuietHours("push", time(21), time(8)),))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(tz: str, *parts: int) -> datetime:
    """The UTC instant at which the clock of ``tz`` shows ``parts`` (its first time, in autumn)."""
    return datetime(*parts, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def message(
    mid: str = "m1",
    due_at: datetime = utc(2025, 6, 11, 10),
    *,
    channel: str = "email",
    purpose: str = "marketing",
    priority: int = 0,
    tz: str = PARIS,
    on_collision: Any = "delay",
    region: str | None = None,
) -> Pending:
    return Pending(mid, "c1", channel, purpose, priority, due_at, tz, on_collision, region)


def one(pending: Pending, policy: Policy, history: Sequence[Sent] = ()) -> Decision:
    """The decision on one message at its due time."""
    [decision] = decide([pending], history, policy, pending.due_at)
    return decision


# -- quiet hours ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "until"),
    [
        ((2025, 6, 11, 23, 30), (2025, 6, 12, 8, 0)),
        ((2025, 6, 11, 21, 0), (2025, 6, 12, 8, 0)),
        ((2025, 6, 12, 0, 0), (2025, 6, 12, 8, 0)),
        ((2025, 6, 12, 7, 59), (2025, 6, 12, 8, 0)),
        ((2025, 6, 12, 8, 0), None),
        ((2025, 6, 11, 20, 59), None),
    ],
)
def test_quiet_hours_across_midnight_hold_a_push_until_they_end(
    wall: tuple[int, ...], until: tuple[int, ...] | None
) -> None:
    decision = one(message(due_at=at(PARIS, *wall), channel="push"), PUSH_NIGHT)
    if until is None:
        assert decision == Decision("m1", "send")
    else:
        assert (decision.action, decision.not_before, decision.reason_code) == (
            "delay",
            at(PARIS, *until),
            "quiet_hours:push",
        )


def test_a_held_message_says_why_and_until_when_in_the_customers_time() -> None:
    decision = one(message(due_at=at(PARIS, 2025, 6, 11, 23, 30), channel="push"), PUSH_NIGHT)
    assert decision.reason == (
        "Quiet hours for push: 21:00–08:00, the customer's time. Held until 2025-06-12 08:00 (Europe/Paris)."
    )


def test_a_window_within_the_day_and_channels_without_one() -> None:
    lunch = Policy(quiet_hours=(QuietHours("email", time(12), time(14)),))
    assert one(message(due_at=at(PARIS, 2025, 6, 11, 13)), lunch).not_before == at(PARIS, 2025, 6, 11, 14)
    assert one(message(due_at=at(PARIS, 2025, 6, 11, 14)), lunch).action == "send"
    # the default policy: push and SMS rest at night, an e-mail waits in the inbox
    assert one(message(due_at=at(PARIS, 2025, 6, 11, 3)), Policy()).action == "send"
    assert one(message(due_at=at(PARIS, 2025, 6, 11, 21, 30), channel="push"), Policy()).action == "delay"


# -- the French rules for commercial SMS ------------------------------------------------------------------


def test_commercial_sms_go_out_from_8_to_20() -> None:
    late = one(message(due_at=at(PARIS, 2025, 6, 10, 20), channel="sms"), NO_QUIET)
    assert (late.not_before, late.reason_code) == (at(PARIS, 2025, 6, 11, 8), "sms_night")
    assert late.reason == (
        "Commercial SMS go out from 08:00 to 20:00, Monday to Saturday: French SMS code of conduct. "
        "Held until 2025-06-11 08:00 (Europe/Paris)."
    )
    early = one(message(due_at=at(PARIS, 2025, 6, 10, 7, 59), channel="sms"), NO_QUIET)
    assert (early.not_before, early.reason_code) == (at(PARIS, 2025, 6, 10, 8), "sms_night")
    assert one(message(due_at=at(PARIS, 2025, 6, 10, 19, 59), channel="sms"), NO_QUIET).action == "send"


def test_no_commercial_sms_on_sundays() -> None:
    decision = one(message(due_at=at(PARIS, 2025, 6, 15, 10), channel="sms"), NO_QUIET)
    assert (decision.not_before, decision.reason_code) == (at(PARIS, 2025, 6, 16, 8), "sms_sunday")
    assert decision.reason == (
        "No commercial SMS on Sundays: French SMS code of conduct. Held until 2025-06-16 08:00 (Europe/Paris)."
    )


def test_no_commercial_sms_on_14_july_but_e_mails_and_transactional_sms_go() -> None:
    bastille = at(PARIS, 2025, 7, 14, 10)  # a Monday
    decision = one(message(due_at=bastille, channel="sms"), NO_QUIET)
    assert (decision.not_before, decision.reason_code) == (at(PARIS, 2025, 7, 15, 8), "sms_public_holiday")
    assert decision.reason == (
        "No commercial SMS on public holidays (National Day, 2025-07-14): French SMS code of conduct. "
        "Held until 2025-07-15 08:00 (Europe/Paris)."
    )
    assert one(message(due_at=bastille), NO_QUIET).action == "send"
    order_ready = message(due_at=at(PARIS, 2025, 7, 14, 23, 30), channel="sms", purpose="transactional")
    assert one(order_ready, Policy()).action == "send"


def test_easter_weekend_holds_a_saturday_evening_sms_until_tuesday() -> None:
    saturday_evening = one(message(due_at=at(PARIS, 2025, 4, 19, 20, 30), channel="sms"), NO_QUIET)
    assert (saturday_evening.not_before, saturday_evening.reason_code) == (
        at(PARIS, 2025, 4, 22, 8),
        "sms_night",
    )
    easter_monday = one(message(due_at=at(PARIS, 2025, 4, 21, 10), channel="sms"), NO_QUIET)
    assert (easter_monday.not_before, easter_monday.reason_code) == (
        at(PARIS, 2025, 4, 22, 8),
        "sms_public_holiday",
    )


def test_a_customer_in_martinique_keeps_the_local_clock_and_the_local_holidays() -> None:
    # 22 May is the abolition of slavery in Martinique, an ordinary Thursday in Paris
    decision = one(message(due_at=at(MARTINIQUE, 2025, 5, 22, 10), channel="sms", tz=MARTINIQUE), NO_QUIET)
    assert (decision.not_before, decision.reason_code) == (
        at(MARTINIQUE, 2025, 5, 23, 8),
        "sms_public_holiday",
    )
    assert "Abolition of Slavery" in (decision.reason or "")
    assert one(message(due_at=at(MARTINIQUE, 2025, 5, 22, 10), channel="sms"), NO_QUIET).action == "send"
    # 21:30 in Paris is 15:30 in Fort-de-France
    evening = utc(2025, 6, 11, 19, 30)
    assert one(message(due_at=evening, channel="sms", tz=MARTINIQUE), NO_QUIET).action == "send"
    assert one(message(due_at=evening, channel="sms"), NO_QUIET).action == "delay"


def test_a_customer_in_la_reunion_waits_over_20_december_and_the_sunday() -> None:
    decision = one(message(due_at=at(REUNION, 2025, 12, 20, 10), channel="sms", tz=REUNION), NO_QUIET)
    assert (decision.not_before, decision.reason_code) == (utc(2025, 12, 22, 4), "sms_public_holiday")
    assert decision.reason == (
        "No commercial SMS on public holidays (Abolition of Slavery, 2025-12-20): French SMS code of conduct. "
        "Held until 2025-12-22 08:00 (Indian/Reunion)."
    )


def test_a_region_given_brings_its_holidays_alsace_on_26_december() -> None:
    stephen = at(PARIS, 2025, 12, 26, 10)
    alsace = one(message(due_at=stephen, channel="sms", region="6AE"), NO_QUIET)
    assert (alsace.not_before, alsace.reason_code) == (at(PARIS, 2025, 12, 27, 8), "sms_public_holiday")
    assert one(message(due_at=stephen, channel="sms"), NO_QUIET).action == "send"
    with pytest.raises(ValueError, match="not a French region"):
        message(region="Bavaria")


def test_the_french_rules_may_be_turned_off_and_follow_the_sms_channel_name() -> None:
    sunday = at(PARIS, 2025, 6, 15, 10)
    assert (
        one(message(due_at=sunday, channel="sms"), Policy(quiet_hours=(), french_sms_rules=False)).action
        == "send"
    )
    renamed = Policy(quiet_hours=(), sms_channel="text")
    assert one(message(due_at=sunday, channel="text"), renamed).reason_code == "sms_sunday"


# -- clock changes ----------------------------------------------------------------------------------------


def test_spring_forward_quiet_night_ends_at_8_summer_time() -> None:
    decision = one(message(due_at=at(PARIS, 2025, 3, 29, 22), channel="push"), PUSH_NIGHT)
    assert decision.not_before == utc(2025, 3, 30, 6)  # 08:00 CEST
    sms = one(message(due_at=at(PARIS, 2025, 3, 29, 20, 30), channel="sms"), NO_QUIET)
    assert sms.not_before == utc(2025, 3, 31, 6)  # the Sunday, then Monday 08:00 CEST


def test_a_window_ending_in_the_skipped_hour_ends_at_the_jump() -> None:
    policy = Policy(quiet_hours=(QuietHours("push", time(1), time(2, 30)),))
    decision = one(message(due_at=utc(2025, 3, 30, 0, 30), channel="push"), policy)  # 01:30 CET
    assert decision.not_before == utc(2025, 3, 30, 1)  # the clock jumps from 02:00 to 03:00 CEST
    assert policies.reach(date(2025, 3, 30), time(2, 30), zone(PARIS)) == utc(2025, 3, 30, 1)


def test_the_repeated_hour_is_quiet_twice() -> None:
    policy = Policy(quiet_hours=(QuietHours("push", time(1), time(2, 30)),))
    first = one(message(due_at=utc(2025, 10, 26, 0, 10), channel="push"), policy)  # 02:10 CEST
    assert first.not_before == utc(2025, 10, 26, 0, 30)  # 02:30 CEST
    assert one(message(due_at=utc(2025, 10, 26, 0, 40), channel="push"), policy).action == "send"
    second = one(message(due_at=utc(2025, 10, 26, 1, 10), channel="push"), policy)  # 02:10 CET
    assert second.not_before == utc(2025, 10, 26, 1, 30)  # 02:30 CET
    night = one(message(due_at=at(PARIS, 2025, 10, 25, 22), channel="push"), PUSH_NIGHT)
    assert night.not_before == utc(2025, 10, 26, 7)  # 08:00 CET


def test_local_days_are_23_and_25_hours_long_on_clock_change_days() -> None:
    tz = zone(PARIS)
    assert period_bounds(utc(2025, 3, 30, 12), "day", tz) == (utc(2025, 3, 29, 23), utc(2025, 3, 30, 22))
    assert period_bounds(utc(2025, 10, 26, 12), "day", tz) == (utc(2025, 10, 25, 22), utc(2025, 10, 26, 23))
    assert period_bounds(utc(2025, 3, 30, 12), "week", tz) == (utc(2025, 3, 23, 23), utc(2025, 3, 30, 22))
    assert period_bounds(utc(2025, 10, 31, 23, 30), "month", tz) == (
        utc(2025, 10, 31, 23),
        utc(2025, 11, 30, 23),
    )


# -- caps -------------------------------------------------------------------------------------------------

TWO_EMAILS_A_WEEK = Policy(caps=(CapRule("marketing", 2, "week", "email"),), quiet_hours=())


def sent(channel: str, purpose: str, *local: int, tz: str = PARIS) -> Sent:
    return Sent(channel, purpose, at(tz, *local))


def test_a_full_weekly_cap_delays_until_monday_or_drops() -> None:
    history = [sent("email", "marketing", 2025, 6, 16, 10), sent("email", "marketing", 2025, 6, 17, 10)]
    wednesday = at(PARIS, 2025, 6, 18, 12)
    delayed = one(message(due_at=wednesday), TWO_EMAILS_A_WEEK, history=history)
    assert delayed == Decision(
        "m1",
        "delay",
        at(PARIS, 2025, 6, 23),
        "Pressure cap: at most 2 marketing messages by email per week, and 2 already went out this week. "
        "Held until 2025-06-23 00:00 (Europe/Paris).",
        "cap:marketing:email:week",
    )
    dropped = one(message(due_at=wednesday, on_collision="drop"), TWO_EMAILS_A_WEEK, history=history)
    assert dropped == Decision(
        "m1",
        "drop",
        None,
        "Pressure cap: at most 2 marketing messages by email per week, and 2 already went out this week. "
        "Dropped, as set for this message.",
        "cap:marketing:email:week",
    )


def test_caps_count_only_their_purpose_channel_and_local_period() -> None:
    history = [
        sent("email", "marketing", 2025, 6, 15, 23, 30),  # the Sunday before: last week
        sent("email", "marketing", 2025, 6, 16, 10),
        sent("sms", "marketing", 2025, 6, 16, 11),
        sent("email", "survey", 2025, 6, 16, 12),
        sent("email", "transactional", 2025, 6, 16, 13),
    ]
    assert (
        one(message(due_at=at(PARIS, 2025, 6, 18, 12)), TWO_EMAILS_A_WEEK, history=history).action == "send"
    )


def test_the_day_is_the_customers_local_day() -> None:
    policy = Policy(caps=(CapRule("marketing", 1, "day"),), quiet_hours=())
    history = [sent("email", "marketing", 2025, 6, 16, 23, 30)]
    assert one(message(due_at=at(PARIS, 2025, 6, 17, 0, 30)), policy, history=history).action == "send"
    same_day = one(message(due_at=at(PARIS, 2025, 6, 16, 23, 45)), policy, history=history)
    assert same_day.not_before == at(PARIS, 2025, 6, 17)


def test_a_monthly_cap_across_channels_reopens_on_the_first() -> None:
    policy = Policy(caps=(CapRule("marketing", 3, "month"),), quiet_hours=())
    history = [sent(ch, "marketing", 2025, 6, d, 10) for ch, d in (("email", 2), ("push", 9), ("sms", 16))]
    decision = one(message(due_at=at(PARIS, 2025, 6, 20, 10), channel="push"), policy, history=history)
    assert (decision.not_before, decision.reason_code) == (at(PARIS, 2025, 7, 1), "cap:marketing:all:month")
    assert decision.reason == (
        "Pressure cap: at most 3 marketing messages across all channels per month, and 3 already went out "
        "this month. Held until 2025-07-01 00:00 (Europe/Paris)."
    )


def test_a_cap_over_every_commercial_purpose_leaves_transactional_out() -> None:
    policy = Policy(caps=(CapRule(None, 1, "day"),), quiet_hours=())
    history = [sent("email", "transactional", 2025, 6, 16, 9)]
    assert one(message(due_at=at(PARIS, 2025, 6, 16, 10)), policy, history=history).action == "send"
    history.append(sent("push", "survey", 2025, 6, 16, 11))
    decision = one(message(due_at=at(PARIS, 2025, 6, 16, 12)), policy, history=history)
    assert (decision.reason_code, decision.not_before) == ("cap:any:all:day", at(PARIS, 2025, 6, 17))
    assert (decision.reason or "").startswith(
        "Pressure cap: at most 1 commercial message across all channels"
    )


def test_transactional_is_never_capped() -> None:
    policy = Policy(caps=(CapRule(None, 1, "day"), CapRule("marketing", 1, "day", "sms")))
    history = [
        sent("sms", p, 2025, 6, 15, 9) for p in ("marketing", "survey", "transactional", "transactional")
    ]
    batch = [
        message(f"t{n}", at(PARIS, 2025, 6, 15, 23), channel="sms", purpose="transactional") for n in range(5)
    ]
    assert [d.action for d in decide(batch, history, policy, at(PARIS, 2025, 6, 15, 23))] == ["send"] * 5
    with pytest.raises(ValueError, match="never capped"):
        CapRule("transactional", 5, "day")


def test_a_quiet_window_may_hold_transactional_messages_when_asked() -> None:
    policy = Policy(quiet_hours=(QuietHours("push", time(22), time(7), transactional=True),))
    decision = one(
        message(due_at=at(PARIS, 2025, 6, 11, 23), channel="push", purpose="transactional"), policy
    )
    assert (decision.not_before, decision.reason_code) == (at(PARIS, 2025, 6, 12, 7), "quiet_hours:push")
    # a window without the flag leaves them alone
    assert one(
        message(due_at=at(PARIS, 2025, 6, 11, 23), channel="push", purpose="transactional"), PUSH_NIGHT
    ).action == ("send")


def test_the_higher_priority_takes_the_last_room() -> None:
    policy = Policy(caps=(CapRule("marketing", 1, "day", "email"),), quiet_hours=())
    now = at(PARIS, 2025, 6, 11, 10)
    low, high = message("low", now, priority=1), message("high", now, priority=5)
    decisions = decide([low, high], [], policy, now)
    assert [(d.message_id, d.action, d.not_before) for d in decisions] == [
        ("low", "delay", at(PARIS, 2025, 6, 12)),
        ("high", "send", None),
    ]
    assert decisions[0].reason == (
        "Pressure cap: at most 1 marketing message by email per day, and 1 already went out today (the room "
        "left went to high, of higher or equal priority, just now). Held until 2025-06-12 00:00 (Europe/Paris)."
    )
    # equal priorities: the earliest due, then the smallest id
    older, newer = message("b", now - timedelta(hours=1)), message("a", now)
    assert [d.action for d in decide([newer, older], [], policy, now)] == ["delay", "send"]
    assert [d.action for d in decide([message("b", now), message("a", now)], [], policy, now)] == [
        "delay",
        "send",
    ]


def test_per_channel_and_overall_caps_together() -> None:
    policy = Policy(
        caps=(CapRule("marketing", 1, "day", "email"), CapRule("marketing", 2, "day")), quiet_hours=()
    )
    now = at(PARIS, 2025, 6, 11, 10)
    history = [sent("email", "marketing", 2025, 6, 11, 8)]
    batch = [
        message("mail", now, priority=5),
        message("text", now, channel="sms", priority=3),
        message("app", now, channel="push", priority=2),
    ]
    assert [(d.action, d.reason_code) for d in decide(batch, history, policy, now)] == [
        ("delay", "cap:marketing:email:day"),
        ("send", None),
        ("delay", "cap:marketing:all:day"),
    ]


def test_a_capped_sms_waits_for_the_next_day_and_its_opening_hour() -> None:
    policy = Policy(caps=(CapRule("marketing", 1, "day", "sms"),), quiet_hours=())
    history = [sent("sms", "marketing", 2025, 6, 13, 10)]  # a Friday
    decision = one(message(due_at=at(PARIS, 2025, 6, 13, 15), channel="sms"), policy, history=history)
    assert (decision.not_before, decision.reason_code) == (at(PARIS, 2025, 6, 14, 8), "cap:marketing:sms:day")


def test_a_message_in_quiet_hours_waits_for_room_under_the_caps_too() -> None:
    policy = Policy(caps=(CapRule("marketing", 1, "week", "sms"),), quiet_hours=())
    history = [sent("sms", "marketing", 2025, 6, 10, 10)]
    decision = one(message(due_at=at(PARIS, 2025, 6, 13, 21), channel="sms"), policy, history=history)
    assert (decision.not_before, decision.reason_code) == (at(PARIS, 2025, 6, 16, 8), "sms_night")
    assert decision.reason == (
        "Commercial SMS go out from 08:00 to 20:00, Monday to Saturday: French SMS code of conduct. No room "
        "earlier under the cap of at most 1 marketing message by sms per week. "
        "Held until 2025-06-16 08:00 (Europe/Paris)."
    )


def test_history_may_be_trimmed_to_the_longest_period() -> None:
    policy = Policy(caps=(CapRule("marketing", 1, "day"), CapRule("marketing", 4, "month")))
    assert history_start(policy, PARIS, utc(2025, 6, 18, 12)) == at(PARIS, 2025, 6, 1)
    assert history_start(NO_QUIET, PARIS, utc(2025, 6, 18, 12)) == utc(2025, 6, 18, 12)


def test_next_allowed_is_the_instant_itself_when_nothing_holds() -> None:
    after = datetime(2025, 6, 11, 12, 0, 30, tzinfo=ZoneInfo(PARIS))
    assert next_allowed("sms", "marketing", Policy(), after, PARIS) == utc(2025, 6, 11, 10, 0, 30)
    assert next_allowed("sms", "marketing", Policy(), utc(2025, 6, 14, 18, 0, 30), PARIS) == at(
        PARIS, 2025, 6, 16, 8
    )


def test_bad_input_is_refused() -> None:
    now = utc(2025, 6, 11, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        message(due_at=datetime(2025, 6, 11, 10))
    with pytest.raises(ValueError, match="not an IANA time zone"):
        message(tz="Europe/Lutece")
    with pytest.raises(ValueError, match="on_collision"):
        message(on_collision="later")
    with pytest.raises(ValueError, match="not due yet: m1"):
        decide([message(due_at=now + timedelta(minutes=1))], [], NO_QUIET, now)
    with pytest.raises(ValueError, match="each message once"):
        decide([message(due_at=now), message(due_at=now)], [], NO_QUIET, now)
    with pytest.raises(ValueError, match="one customer"):
        decide([message("a", now), message("b", now, tz=REUNION)], [], NO_QUIET, now)
    with pytest.raises(ValueError, match="at least 1"):
        CapRule("marketing", 0, "day")
    with pytest.raises(ValueError, match="period"):
        CapRule("marketing", 1, "year")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start different"):
        QuietHours("push", time(8), time(8))
    with pytest.raises(ValueError, match="no time at all for commercial messages by sms"):
        Policy(quiet_hours=(QuietHours("sms", time(7), time(21)),))
    assert decide([], [], NO_QUIET, now) == []


# -- oracles ----------------------------------------------------------------------------------------------

ORACLE_REGIONS = {MARTINIQUE: "972", REUNION: "974"}


@cache
def french_holidays(year: int, region: str | None) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", subdiv=region, years=year))


def in_window(window: QuietHours, wall: time) -> bool:
    if window.start < window.end:
        return window.start <= wall < window.end
    return not window.end <= wall < window.start


def oracle_held(
    channel: str, purpose: str, instant: datetime, policy: Policy, tz: str, region: str | None
) -> bool:
    """Is a message held at ``instant`` by the customer's wall clock?"""
    local = instant.astimezone(ZoneInfo(tz))
    wall, commercial = local.time(), purpose != "transactional"
    if commercial and policy.french_sms_rules and channel == "sms":
        day_off = local.weekday() == 6 or local.date() in french_holidays(
            local.year, region or ORACLE_REGIONS.get(tz)
        )
        if day_off or not time(8) <= wall < time(20):
            return True
    return any(
        w.channel == channel and (commercial or w.transactional) and in_window(w, wall)
        for w in policy.quiet_hours
    )


def period_key(instant: datetime, period: str, tz: str) -> object:
    day = instant.astimezone(ZoneInfo(tz)).date()
    return {"day": day, "week": day.isocalendar()[:2], "month": (day.year, day.month)}[period]


def counts(rule: CapRule, purpose: str, channel: str) -> bool:
    return purpose != "transactional" and rule.purpose in (None, purpose) and rule.channel in (None, channel)


# -- strategies -------------------------------------------------------------------------------------------

CHANNELS = ("email", "sms", "push")
ZONES = (PARIS, MARTINIQUE, REUNION, "America/New_York")
# Around the clock changes, Easter, 14 July, the overseas abolition days and Christmas (Alsace).
ANCHORS = tuple(
    utc(*d)
    for d in ((2025, 3, 26), (2025, 4, 16), (2025, 5, 19), (2025, 7, 10), (2025, 10, 22), (2025, 12, 17))
)

walls = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30, 45]))
windows = (
    st.tuples(st.sampled_from(CHANNELS), walls, walls)
    .filter(lambda w: w[1] != w[2])
    .map(lambda w: QuietHours(*w))
)
caps = st.builds(
    CapRule,
    st.sampled_from([None, "marketing", "survey"]),
    st.integers(1, 3),
    st.sampled_from(["day", "week", "month"]),
    st.sampled_from([None, *CHANNELS]),
)


@st.composite
def policies_st(draw: st.DrawFn) -> Policy:
    try:
        quiet = draw(st.lists(windows, max_size=3))
        quiet += draw(
            st.lists(windows.map(lambda w: QuietHours(w.channel, w.start, w.end, True)), max_size=1)
        )
        return Policy(tuple(draw(st.lists(caps, min_size=1, max_size=3))), tuple(quiet), draw(st.booleans()))
    except ValueError:  # no time left at all
        reject()


@st.composite
def instants(draw: st.DrawFn, days: int = 12) -> datetime:
    return draw(st.sampled_from(ANCHORS)) + timedelta(minutes=draw(st.integers(0, days * 24 * 60)))


@st.composite
def customers(draw: st.DrawFn) -> list[Pending]:
    tz = draw(st.sampled_from(ZONES))
    region = draw(st.sampled_from([None, "6AE"])) if tz == PARIS else None
    start = draw(instants(days=3))
    # every three hours over a week, so that batches meet; now and then off the grid
    offsets = st.integers(0, 7 * 8).map(lambda h: timedelta(hours=3 * h))
    out = []
    for n in range(draw(st.integers(1, 16))):
        due = start + draw(offsets) + timedelta(minutes=draw(st.sampled_from([0, 0, 0, 0, 1, 30])))
        out.append(
            Pending(
                f"m{n:02d}",
                "c1",
                draw(st.sampled_from(CHANNELS)),
                draw(st.sampled_from(["transactional", "marketing", "marketing", "survey"])),
                draw(st.integers(0, 3)),
                due,
                tz,
                draw(st.sampled_from(["delay", "delay", "drop"])),
                region,
            )
        )
    return out


# -- the simulation ---------------------------------------------------------------------------------------


@dataclass
class Run:
    sent_at: dict[str, datetime] = field(default_factory=dict)
    dropped: dict[str, Decision] = field(default_factory=dict)
    batches: list[tuple[datetime, list[Pending], list[Decision], list[Sent]]] = field(default_factory=list)


def simulate(messages: list[Pending], policy: Policy) -> Run:
    """The sending worker: at the earliest time anything is ready, decide on what is ready, then send,
    re-queue or drop."""
    run, history = Run(), list[Sent]()
    ready = {m.message_id: m.due_at for m in messages}
    by_id = {m.message_id: m for m in messages}
    tz = messages[0].timezone
    for _ in range(1000):
        if not ready:
            return run
        now = min(ready.values())
        batch = [by_id[i] for i, when in sorted(ready.items()) if when <= now]
        since = history_start(policy, tz, now)
        before = [s for s in history if s.sent_at >= since]
        decisions = decide(batch, before, policy, now)
        note(decisions)
        run.batches.append((now, batch, decisions, before))
        for m, d in zip(batch, decisions, strict=True):
            assert d.message_id == m.message_id
            if d.action == "send":
                assert (d.not_before, d.reason, d.reason_code) == (None, None, None)
                history.append(Sent(m.channel, m.purpose, now))
                run.sent_at[m.message_id] = now
                del ready[m.message_id]
            else:
                assert d.reason and d.reason_code, d
                if d.action == "drop":
                    run.dropped[m.message_id] = d
                    del ready[m.message_id]
                else:
                    assert d.not_before is not None and d.not_before > now
                    ready[m.message_id] = d.not_before
    raise AssertionError("messages still held after 1000 rounds")


def note(decisions: list[Decision]) -> None:
    """What the simulation went through (``pytest --hypothesis-show-statistics``)."""
    event(f"batch of {min(len(decisions), 3)}{'+' if len(decisions) > 3 else ''}")
    for d in decisions:
        event(f"{d.action} {(d.reason_code or '').partition(':')[0]}".strip())
        if (d.reason_code or "").startswith("cap:") and any(x.action == "send" for x in decisions):
            event("a cap held one while others went")


def check_caps(messages: list[Pending], policy: Policy, run: Run) -> None:
    tz = messages[0].timezone
    for rule in policy.caps:
        per_period = Counter(
            period_key(run.sent_at[m.message_id], rule.period, tz)
            for m in messages
            if m.message_id in run.sent_at and counts(rule, m.purpose, m.channel)
        )
        assert max(per_period.values(), default=0) <= rule.limit, (rule, per_period)


def check_timing(messages: list[Pending], policy: Policy, run: Run) -> None:
    for m in messages:
        when = run.sent_at.get(m.message_id)
        if m.purpose == "transactional":
            assert when is not None, "a transactional message is never dropped"
            if not any(w.transactional and w.channel == m.channel for w in policy.quiet_hours):
                assert when == m.due_at
        if when is not None:
            assert when >= m.due_at
            assert not oracle_held(m.channel, m.purpose, when, policy, m.timezone, m.region), (m, when)


def check_batches(policy: Policy, run: Run) -> None:
    """Every hold has its cause at that moment; a higher priority never loses a cap to a lower one."""
    for now, batch, decisions, history in run.batches:
        sent_now = [m for m, d in zip(batch, decisions, strict=True) if d.action == "send"]
        for m, d in zip(batch, decisions, strict=True):
            if d.action == "send":
                continue
            timing = oracle_held(m.channel, m.purpose, now, policy, m.timezone, m.region)
            if d.not_before is not None:
                assert not oracle_held(m.channel, m.purpose, d.not_before, policy, m.timezone, m.region)
            assert timing == (not (d.reason_code or "").startswith("cap:")), d
            if d.action == "drop":
                assert m.on_collision == "drop" and not timing
            if timing:
                continue
            # the rule named (two rules may share a code) was full, and only by sends as high as this one
            assert any(
                full_by_betters(rule, m, now, history, sent_now)
                for rule in policy.caps
                if rule.code == d.reason_code
            ), (d, history, sent_now)


def full_by_betters(
    rule: CapRule, held: Pending, now: datetime, history: list[Sent], sent_now: list[Pending]
) -> bool:
    key = period_key(now, rule.period, held.timezone)
    before = sum(
        1
        for s in history
        if counts(rule, s.purpose, s.channel) and period_key(s.sent_at, rule.period, held.timezone) == key
    )
    others = [o for o in sent_now if counts(rule, o.purpose, o.channel)]
    return before + len(others) >= rule.limit and all(o.priority >= held.priority for o in others)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(policies_st(), st.lists(customers(), min_size=1, max_size=3))
def test_simulated_journeys_respect_caps_quiet_hours_and_priorities(
    policy: Policy, everyone: list[list[Pending]]
) -> None:
    for n, drawn in enumerate(everyone):
        messages = [replace(m, customer_id=f"c{n}") for m in drawn]
        run = simulate(messages, policy)
        assert set(run.sent_at) | set(run.dropped) == {m.message_id for m in messages}
        check_caps(messages, policy, run)
        check_timing(messages, policy, run)
        check_batches(policy, run)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(
    policies_st(),
    st.sampled_from(CHANNELS),
    st.sampled_from(["transactional", "marketing"]),
    st.sampled_from(ZONES),
    st.sampled_from([None, "6AE"]),
    instants(days=12),
    st.integers(0, 59),
)
def test_next_allowed_is_the_first_instant_the_wall_clock_allows(
    policy: Policy, channel: str, purpose: str, tz: str, region: str | None, after: datetime, seconds: int
) -> None:
    region = region if tz == PARIS else None
    check_next_allowed(channel, purpose, policy, after + timedelta(seconds=seconds), tz, region)


# Windows that start or end in the small hours, around the nights the clock of Paris changes.
night_walls = st.builds(time, st.integers(1, 3), st.sampled_from([0, 15, 30, 45]))
night_windows = (
    st.tuples(night_walls, night_walls, st.booleans())
    .filter(lambda w: w[0] != w[1])
    .map(lambda w: QuietHours("push", *w))
)
clock_change_nights = st.sampled_from([utc(2025, 3, 29, 23), utc(2025, 10, 25, 22)])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.lists(night_windows, min_size=1, max_size=2),
    st.sampled_from(["transactional", "marketing"]),
    clock_change_nights,
    st.integers(0, 5 * 60),
)
def test_next_allowed_is_exact_when_the_clock_changes(
    quiet: list[QuietHours], purpose: str, night: datetime, minute: int
) -> None:
    try:
        policy = Policy(quiet_hours=tuple(quiet))
    except ValueError:
        reject()
    check_next_allowed("push", purpose, policy, night + timedelta(minutes=minute), PARIS, None)


def test_a_window_starting_in_the_repeated_hour_opens_when_the_clock_goes_back() -> None:
    policy = Policy(quiet_hours=(QuietHours("push", time(2, 30), time(3)),))
    # 02:40 summer time is quiet; at 03:00 summer time the clock shows 02:00 winter time: not quiet
    assert next_allowed("push", "marketing", policy, utc(2025, 10, 26, 0, 40), PARIS) == utc(2025, 10, 26, 1)


def check_next_allowed(
    channel: str, purpose: str, policy: Policy, after: datetime, tz: str, region: str | None
) -> None:
    """The instant found is allowed, and so is ``after`` exactly when it is the one found; every whole
    minute between them is held (the wall rules change on whole minutes)."""
    found = next_allowed(channel, purpose, policy, after, tz, region)
    assert found >= after and found.tzinfo == UTC
    assert not oracle_held(channel, purpose, found, policy, tz, region)
    assert oracle_held(channel, purpose, after, policy, tz, region) == (found != after)
    minute = after.replace(second=0) + timedelta(minutes=1)
    while minute < found:
        assert oracle_held(channel, purpose, minute, policy, tz, region), minute
        minute += timedelta(minutes=1)
