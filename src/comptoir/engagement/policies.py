"""engagement: the pure rules of marketing pressure — caps per purpose, channel and calendar period, quiet
hours in the customer's time zone, the French rules for commercial SMS, and which message wins when they
collide. No I/O and no clock: the sending worker reads a customer's due messages and recent sends, passes
``now``, and stores what :func:`decide` says (the reason of every held message is shown through the API).

Purposes. ``transactional`` (order ready, delivery, receipt) is never capped and is not subject to the
rules for commercial SMS: it goes out when it is due. The one exception is explicit: a quiet-hours window
with ``transactional=True`` (a retailer that wants no push at night, even for an order) holds it too. Every
other purpose (``marketing``, ``survey``, …) is commercial: capped by the rules that name it (or every
commercial purpose, ``purpose=None``), held by quiet hours and, for SMS, by the French rules.

Periods are **calendar periods in the customer's local time**: the local day (midnight to midnight, 23 or
25 hours on a clock-change day), the ISO week (Monday 00:00 to Monday 00:00) and the calendar month — what
a customer and a CRM team mean by "two a week", and the room comes back at a known instant. Local wall
times are read the way the customer's phone shows them: a quiet hour is judged on the local clock at the
instant of sending, so in the autumn's repeated hour a wall time happens twice, and a wall time the clock
skips in spring is first reached at the jump itself.

The French rules for commercial SMS (the French telecoms federation's code of conduct, followed by the
CNIL's guidance): Monday to Saturday, 08:00–20:00 local time, never on Sundays nor public holidays —
those of metropolitan France plus the customer's region (Alsace-Moselle, overseas departments), the region
inferred from an overseas time zone when not given.

Reasons are a stable machine code (``cap:marketing:email:week``, ``quiet_hours:push``, ``sms_night``,
``sms_sunday``, ``sms_public_holiday``) for the API and translations, and an English sentence for staff.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from comptoir.core import clock

Period = Literal["day", "week", "month"]
Action = Literal["send", "delay", "drop"]
OnCollision = Literal["delay", "drop"]

TRANSACTIONAL = "transactional"
SMS = "sms"
SMS_OPENS, SMS_CLOSES = time(8), time(20)  # commercial SMS, Monday to Saturday (French code of conduct)
_THIS = {"day": "today", "week": "this week", "month": "this month"}
SEARCH_DAYS = 31  # how far next_allowed looks: holidays and Sundays never close a channel that long
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Overseas time zones whose public holidays differ from metropolitan France's (``holidays`` subdivisions).
OVERSEAS_REGIONS = {
    "America/Guadeloupe": "971",
    "America/Martinique": "972",
    "America/Cayenne": "973",
    "Indian/Reunion": "974",
    "Indian/Mayotte": "976",
    "America/St_Barthelemy": "BL",
    "America/Marigot": "MF",
    "America/Miquelon": "PM",
    "Pacific/Noumea": "NC",
    "Pacific/Tahiti": "PF",
    "Pacific/Wallis": "WF",
}


# -- local time -------------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (``"Europe/Paris"``); ValueError when there is none of that name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not an IANA time zone") from exc


def _aware(at: datetime, name: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def _wall_instants(day: date, wall: time, tz: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the local clock shows ``day`` ``wall``: one; two in the autumn's repeated
    hour; none when the clock skips it (spring)."""
    naive = datetime.combine(day, wall)
    found: set[datetime] = set()
    for fold in (0, 1):
        at = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if at.astimezone(tz).replace(tzinfo=None) == naive:
            found.add(at)
    return sorted(found)


def _jump(low: datetime, high: datetime, tz: ZoneInfo) -> datetime:
    """The first whole minute in ``(low, high]`` with ``high``'s UTC offset (``low`` has another one)."""
    target = high.astimezone(tz).utcoffset()
    a = int((low - _EPOCH).total_seconds()) // 60
    b = -(-int((high - _EPOCH).total_seconds()) // 60)
    while b - a > 1:
        middle = (a + b) // 2
        if (_EPOCH + timedelta(minutes=middle)).astimezone(tz).utcoffset() == target:
            b = middle
        else:
            a = middle
    return _EPOCH + timedelta(minutes=b)


def reach(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The first instant at which the local clock shows ``day`` ``wall`` or later: its first occurrence,
    or the clock's jump itself when spring skips ``wall`` — the kernel's one rule for wall times
    (:func:`comptoir.core.clock.wall_to_utc`, as shops' and advisors' hours)."""
    return clock.wall_to_utc(day, wall.hour * 60 + wall.minute, tz)


def _transitions(day: date, tz: ZoneInfo) -> list[datetime]:
    """The instant the clock changes during local ``day``, if it does."""
    start, end = reach(day, time(0), tz), reach(day + timedelta(days=1), time(0), tz)
    if start.astimezone(tz).utcoffset() == end.astimezone(tz).utcoffset():
        return []
    return [_jump(start, end, tz)]


def period_bounds(at: datetime, period: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The calendar period holding ``at`` in local time (day; ISO week from Monday; month), as UTC
    instants ``[start, end)``."""
    day = at.astimezone(tz).date()
    if period == "day":
        first, following = day, day + timedelta(days=1)
    elif period == "week":
        first = day - timedelta(days=day.weekday())
        following = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
    return reach(first, time(0), tz), reach(following, time(0), tz)


# -- public holidays --------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _holidays(year: int, region: str | None) -> dict[date, str]:
    try:
        return dict(holidays.country_holidays("FR", subdiv=region, years=year).items())
    except NotImplementedError as exc:
        raise ValueError(f"{region!r} is not a French region with its own public holidays") from exc


def holiday_region(timezone: str, region: str | None = None) -> str | None:
    """The region whose public holidays apply: the one given, else the overseas one of the time zone."""
    return region if region is not None else OVERSEAS_REGIONS.get(timezone)


def public_holiday(day: date, region: str | None = None) -> str | None:
    """The name of the French public holiday on ``day`` (national, or of ``region``), or None."""
    return _holidays(day.year, region).get(day)


# -- configuration ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapRule:
    """At most ``limit`` messages of ``purpose`` (None: every commercial purpose) on ``channel`` (None:
    across all channels) per calendar ``period`` of the customer's local time."""

    purpose: str | None
    limit: int
    period: Period
    channel: str | None = None

    def __post_init__(self) -> None:
        if self.purpose == TRANSACTIONAL:
            raise ValueError("transactional messages are never capped")
        if self.limit < 1:
            raise ValueError("a cap's limit is at least 1 (no message at all is a matter of consent)")
        if self.period not in get_args(Period):
            raise ValueError(f"a cap's period is one of {', '.join(get_args(Period))}")

    def matches(self, purpose: str, channel: str) -> bool:
        return (
            purpose != TRANSACTIONAL and self.purpose in (None, purpose) and self.channel in (None, channel)
        )

    @property
    def code(self) -> str:
        return f"cap:{self.purpose or 'any'}:{self.channel or 'all'}:{self.period}"

    def describe(self) -> str:
        what = f"{self.purpose or 'commercial'} message{'' if self.limit == 1 else 's'}"
        where = f"by {self.channel}" if self.channel else "across all channels"
        return f"at most {self.limit} {what} {where} per {self.period}"


@dataclass(frozen=True)
class QuietHours:
    """No message on ``channel`` from ``start`` to ``end`` (local wall time, half-open; ``start > end``
    crosses midnight). Commercial purposes only, unless ``transactional`` is set."""

    channel: str
    start: time
    end: time
    transactional: bool = False

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours need a start different from their end")
        if any(t.second or t.microsecond or t.tzinfo for t in (self.start, self.end)):
            raise ValueError("quiet hours start and end on a whole minute of local wall time")

    def covers(self, wall: time) -> bool:
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


# No e-mail rule: an e-mail waits in the inbox. Push and SMS wake a phone.
DEFAULT_QUIET_HOURS = (QuietHours("push", time(21), time(8)), QuietHours(SMS, time(20), time(8)))


@dataclass(frozen=True)
class Policy:
    """A retailer's pressure rules. ``french_sms_rules`` applies the French rules to commercial messages
    on ``sms_channel``."""

    caps: tuple[CapRule, ...] = ()
    quiet_hours: tuple[QuietHours, ...] = DEFAULT_QUIET_HOURS
    french_sms_rules: bool = True
    sms_channel: str = SMS

    def __post_init__(self) -> None:
        channels = {w.channel for w in self.quiet_hours} | (
            {self.sms_channel} if self.french_sms_rules else set()
        )
        for channel in sorted(channels):
            for commercial in (True, False):
                if all(self._quiet(channel, commercial, time(m // 60, m % 60)) for m in range(1440)):
                    kind = "commercial" if commercial else "transactional"
                    raise ValueError(f"quiet hours leave no time at all for {kind} messages by {channel}")

    def _quiet(self, channel: str, commercial: bool, wall: time) -> bool:
        """Is ``wall`` quiet on a plain weekday (no holiday)?"""
        sms_rules = commercial and self.french_sms_rules and channel == self.sms_channel
        if sms_rules and not SMS_OPENS <= wall < SMS_CLOSES:
            return True
        return any(
            w.channel == channel and (commercial or w.transactional) and w.covers(wall)
            for w in self.quiet_hours
        )


# -- messages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    """A message due to a customer. ``timezone`` is the customer's (IANA name); ``region`` names the French
    region whose public holidays apply (``"6AE"`` Alsace, ``"974"`` La Réunion…), else inferred from the
    time zone. ``on_collision`` says what becomes of it when a cap has no room: wait, or be dropped."""

    message_id: str
    customer_id: str
    channel: str
    purpose: str
    priority: int
    due_at: datetime
    timezone: str
    on_collision: OnCollision = "delay"
    region: str | None = None

    def __post_init__(self) -> None:
        _aware(self.due_at, "due_at")
        zone(self.timezone)
        if self.on_collision not in get_args(OnCollision):
            raise ValueError("on_collision is delay or drop")
        if self.region is not None:
            _holidays(self.due_at.year, self.region)


@dataclass(frozen=True)
class Sent:
    """A message the customer received: their history, counted against the caps."""

    channel: str
    purpose: str
    sent_at: datetime

    def __post_init__(self) -> None:
        _aware(self.sent_at, "sent_at")


@dataclass(frozen=True)
class Decision:
    """What becomes of a message now: ``send``; ``delay`` until ``not_before``; or ``drop``. A held
    message says why, in a sentence (``reason``) and a stable code (``reason_code``)."""

    message_id: str
    action: Action
    not_before: datetime | None = None
    reason: str | None = None
    reason_code: str | None = None


@dataclass(frozen=True)
class Hold:
    """Why a message may not go out at some instant: a stable code and a sentence."""

    code: str
    reason: str


# -- quiet hours and the French SMS rules -----------------------------------------------------------------


def _sms_hold(local: datetime, region: str | None) -> Hold | None:
    name = public_holiday(local.date(), region)
    if name is not None:
        return Hold(
            "sms_public_holiday",
            f"No commercial SMS on public holidays ({name}, {local.date().isoformat()}): "
            "French SMS code of conduct.",
        )
    if local.weekday() == 6:
        return Hold("sms_sunday", "No commercial SMS on Sundays: French SMS code of conduct.")
    if not SMS_OPENS <= local.time() < SMS_CLOSES:
        return Hold(
            "sms_night",
            "Commercial SMS go out from 08:00 to 20:00, Monday to Saturday: French SMS code of conduct.",
        )
    return None


def timing_hold(
    channel: str, purpose: str, at: datetime, policy: Policy, timezone: str, region: str | None = None
) -> Hold | None:
    """Why a message may not go out at ``at``, judged on the customer's local clock — the French SMS rules
    first, then the policy's quiet hours — or None when it may."""
    local = at.astimezone(zone(timezone))
    commercial = purpose != TRANSACTIONAL
    if commercial and policy.french_sms_rules and channel == policy.sms_channel:
        hold = _sms_hold(local, holiday_region(timezone, region))
        if hold is not None:
            return hold
    wall = local.time()
    for window in policy.quiet_hours:
        if window.channel == channel and (commercial or window.transactional) and window.covers(wall):
            return Hold(
                f"quiet_hours:{channel}",
                f"Quiet hours for {channel}: {window.start:%H:%M}–{window.end:%H:%M}, the customer's time.",
            )
    return None


def next_allowed(
    channel: str, purpose: str, policy: Policy, after: datetime, timezone: str, region: str | None = None
) -> datetime:
    """The first instant at or after ``after`` (UTC) at which quiet hours and the French SMS rules let a
    message of ``purpose`` out on ``channel`` for a customer in ``timezone``: where the scheduler places
    it. Caps are not looked at (they depend on what else is sent: :func:`decide` sees them)."""
    _aware(after, "after")
    after = after.astimezone(UTC)
    if timing_hold(channel, purpose, after, policy, timezone, region) is None:
        return after
    tz = zone(timezone)
    # Being held ends only where a rule's window ends, at midnight (a new day), or when the clock changes.
    walls = {time(0), SMS_OPENS} | {w.end for w in policy.quiet_hours if w.channel == channel}
    first = after.astimezone(tz).date() - timedelta(days=1)
    for offset in range(SEARCH_DAYS + 2):
        day = first + timedelta(days=offset)
        candidates = {at for wall in walls for at in _wall_instants(day, wall, tz) or [reach(day, wall, tz)]}
        candidates.update(_transitions(day, tz))
        for at in sorted(c for c in candidates if c > after):
            if timing_hold(channel, purpose, at, policy, timezone, region) is None:
                return at
    raise ValueError(f"no time in {SEARCH_DAYS} days lets a {purpose} message out by {channel}")


# -- caps -------------------------------------------------------------------------------------------------


class _Ledger:
    """The sends each cap rule counts — the history, then this batch's — as sorted UTC instants, so a
    period's count is two bisections."""

    def __init__(self, rules: Sequence[CapRule], history: Sequence[Sent], tz: ZoneInfo) -> None:
        self.rules, self.tz = rules, tz
        self.times = [
            sorted(s.sent_at.astimezone(UTC) for s in history if rule.matches(s.purpose, s.channel))
            for rule in rules
        ]
        self.batch: list[list[str]] = [[] for _ in rules]

    def count(self, index: int, at: datetime) -> tuple[int, datetime]:
        """How many sends rule ``index`` counts in the period holding ``at``, and when that period ends."""
        start, end = period_bounds(at, self.rules[index].period, self.tz)
        times = self.times[index]
        return bisect_left(times, end) - bisect_left(times, start), end

    def full(self, message: Pending, at: datetime) -> list[tuple[int, datetime]]:
        """The rules with no room left for ``message`` at ``at``, each with the end of its period."""
        found = []
        for index, rule in enumerate(self.rules):
            if rule.matches(message.purpose, message.channel):
                count, end = self.count(index, at)
                if count >= rule.limit:
                    found.append((index, end))
        return found

    def record(self, message: Pending, at: datetime) -> None:
        for index, rule in enumerate(self.rules):
            if rule.matches(message.purpose, message.channel):
                insort(self.times[index], at.astimezone(UTC))
                self.batch[index].append(message.message_id)

    def explain(self, index: int, at: datetime) -> str:
        rule = self.rules[index]
        count, _ = self.count(index, at)
        text = f"Pressure cap: {rule.describe()}, and {count} already went out {_THIS[rule.period]}"
        taken = self.batch[index]
        if taken:
            text += f" (the room left went to {', '.join(taken)}, of higher or equal priority, just now)"
        return text + "."


def history_start(policy: Policy, timezone: str, now: datetime) -> datetime:
    """The earliest send :func:`decide` needs in a customer's history at ``now``: the earliest start of the
    caps' current periods (``now`` when there are none). Older sends may be left unread."""
    _aware(now, "now")
    tz = zone(timezone)
    starts = [period_bounds(now, rule.period, tz)[0] for rule in policy.caps]
    return min(starts, default=now.astimezone(UTC))


# -- the decision -----------------------------------------------------------------------------------------


def _first_room(
    message: Pending, ledger: _Ledger, policy: Policy, after: datetime
) -> tuple[datetime, CapRule | None]:
    """The first instant from ``after`` at which the timing rules and every cap let ``message`` out, as
    things stand (what else comes meanwhile is for the next decision), and the last cap that pushed it."""
    at, pushed = after, None
    for _ in range(64):
        at = next_allowed(message.channel, message.purpose, policy, at, message.timezone, message.region)
        full = ledger.full(message, at)
        if not full:
            return at, pushed
        index, at = max(full, key=lambda found: (found[1], -found[0]))
        pushed = ledger.rules[index]
    raise ValueError(f"no room found for {message.message_id}")  # pragma: no cover - periods end


def _held(reason: str, until: datetime, message: Pending) -> str:
    local = until.astimezone(zone(message.timezone))
    return f"{reason} Held until {local:%Y-%m-%d %H:%M} ({message.timezone})."


def _decide_one(message: Pending, ledger: _Ledger, policy: Policy, now: datetime) -> Decision:
    hold = timing_hold(message.channel, message.purpose, now, policy, message.timezone, message.region)
    if hold is not None:
        until, cap = _first_room(message, ledger, policy, now)
        reason = hold.reason + (f" No room earlier under the cap of {cap.describe()}." if cap else "")
        return Decision(message.message_id, "delay", until, _held(reason, until, message), hold.code)
    full = ledger.full(message, now)
    if not full:
        return Decision(message.message_id, "send")
    # The rule that holds it longest names the reason (the first of them in the policy's order).
    index = max(full, key=lambda found: (found[1], -found[0]))[0]
    reason, code = ledger.explain(index, now), ledger.rules[index].code
    if message.on_collision == "drop":
        return Decision(message.message_id, "drop", None, f"{reason} Dropped, as set for this message.", code)
    until, _ = _first_room(message, ledger, policy, now)
    return Decision(message.message_id, "delay", until, _held(reason, until, message), code)


def _check_batch(pending: Sequence[Pending], now: datetime) -> None:
    _aware(now, "now")
    if len({m.message_id for m in pending}) != len(pending):
        raise ValueError("a batch lists each message once")
    if len({(m.customer_id, m.timezone, m.region) for m in pending}) > 1:
        raise ValueError("a batch is one customer's messages, in one time zone and region")
    late = [m.message_id for m in pending if m.due_at > now]
    if late:
        raise ValueError(f"messages not due yet: {', '.join(late)}")


def decide(
    pending: Sequence[Pending], history: Sequence[Sent], policy: Policy, now: datetime
) -> list[Decision]:
    """What to do ``now`` with one customer's due messages (``pending``, all due by ``now``), given what
    they already received (``history``; the sends since :func:`history_start` suffice). One decision per
    message, in the order given.

    Messages are taken by priority (highest first; then the earliest due, then the smallest id), each
    sent unless held, so where a cap has less room than candidates the higher priorities take it:

    - transactional messages go out (unless a quiet-hours window set for transactional holds them);
    - a message in quiet hours (or a commercial SMS at night, on a Sunday or a public holiday) waits for
      the first instant the rules and the caps allow — quiet hours delay, they never drop;
    - a message a cap has no room for is dropped if it says so, else waits for the start of the first
      period with room (and the rules' first allowed instant from there).

    A message held by quiet hours keeps no room under the caps: what may go now goes now. The history is
    sorted once per cap rule, then each count is two bisections: no pass over the history per message.
    """
    _check_batch(pending, now)
    if not pending:
        return []
    now = now.astimezone(UTC)
    ledger = _Ledger(policy.caps, history, zone(pending[0].timezone))
    decided: dict[str, Decision] = {}
    for message in sorted(pending, key=lambda m: (-m.priority, m.due_at, m.message_id)):
        decision = decided[message.message_id] = _decide_one(message, ledger, policy, now)
        if decision.action == "send":
            ledger.record(message, now)
    return [decided[m.message_id] for m in pending]
