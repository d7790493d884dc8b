"""engagement: the pure rules of satisfaction surveys — no I/O and no clock.

**Questions.** NPS asks how likely the customer is to recommend the retailer, from 0 to 10: 9 and 10 are
promoters, 7 and 8 passives, 0 to 6 detractors, and the NPS is the share of promoters minus the share of
detractors, in points from −100 to 100. CSAT asks how satisfied they are with what just happened, from
1 to 5: its mean, and the share of satisfied answers (4 and 5). A survey message asks one question, read
from its template (``survey_nps``, ``survey_csat``).

**What a click counts for.** The e-mail's scale is a row of links, one per score. Mail scanners open the
links of a message before its reader does (some open every one of them), so a click is not taken blindly
as the answer: it records the score *provisionally* and opens the comment page with that score chosen,
where the customer confirms it, changes it or adds a word. A provisional score counts as long as it is
the only score clicked; a second, different score clicked before any confirmation — what a scanner opening
every link does — makes the answer *ambiguous*, and it counts for nothing until the customer confirms one.
A confirmed answer is the customer's word: a later click changes nothing, a later confirmation replaces it
(the latest confirmed answer wins — the customer who changes their mind is right).

**Periods** are calendar periods on the retailer's clock: the local day, the ISO week (from Monday) and
the calendar month, each named by its first day.

**Touchpoints** are what a survey is about: an order (collected or delivered), an appointment, and — for
the live-shopping and customer-service domains to come — a live session and a service ticket. A journey's
touchpoint is read from its subject field (``order_id`` → an order): a journey of those domains plugs in
with its definition alone when its subject field is one of :data:`SUBJECT_TOUCHPOINTS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["nps", "csat"]
State = Literal["provisional", "confirmed", "ambiguous"]
Period = Literal["day", "week", "month"]

KINDS: tuple[Kind, ...] = ("nps", "csat")
SCALES: dict[str, range] = {"nps": range(0, 11), "csat": range(1, 6)}
TEMPLATE_KINDS: dict[str, Kind] = {"survey_nps": "nps", "survey_csat": "csat"}
TOUCHPOINTS = ("order", "appointment", "live_session", "service_ticket")
SUBJECT_TOUCHPOINTS = {
    "order_id": "order",
    "appointment_id": "appointment",
    "live_session_id": "live_session",
    "session_id": "live_session",
    "ticket_id": "service_ticket",
    "service_ticket_id": "service_ticket",
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PROMOTER, PASSIVE = 9, 7  # NPS: 9–10 promoters, 7–8 passives, 0–6 detractors
SATISFIED = 4  # CSAT: 4–5 satisfied


def kind_of(template: str) -> Kind | None:
    """The question a survey template asks (``None``: not a survey)."""
    return TEMPLATE_KINDS.get(template)


def check_score(kind: str, score: int) -> None:
    """``ValueError`` naming the scale when ``score`` is not on the question's."""
    scale = SCALES.get(kind)
    if scale is None:
        raise ValueError(f"{kind!r} is not a survey question (nps or csat)")
    if score not in scale:
        raise ValueError(f"a {kind} score is from {scale.start} to {scale.stop - 1}, not {score}")


def touchpoint_of(subject_field: str) -> str:
    """What a journey following ``subject_field`` surveys (its field's stem when not a known one)."""
    return SUBJECT_TOUCHPOINTS.get(subject_field, subject_field.removesuffix("_id")[:32] or "other")


def channel_kind(channel: str | None) -> str:
    """Where the customer met the retailer, as statistics group it: ``store`` for any shop's channel
    (``store:<id>``), the channel itself otherwise (``web``, ``app``, ``call-centre``, ``live``…)."""
    if not channel:
        return "unknown"
    return "store" if channel.startswith("store:") else channel[:32]


# -- a click and a confirmation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    state: State
    score: int


def after_click(current: Answer | None, score: int) -> Answer:
    """The answer once ``score`` is clicked in the message (see the module's docstring)."""
    if current is None:
        return Answer("provisional", score)
    if current.state == "confirmed" or current.score == score:
        return current
    return Answer("ambiguous", score)


def counts(state: str) -> bool:
    """Whether an answer in this state counts in the statistics."""
    return state in ("provisional", "confirmed")


# -- NPS and CSAT ------------------------------------------------------------------------------------------


def _percent(part: int, whole: int) -> Fraction:
    return Fraction(100 * part, whole)


def rounded(value: Fraction, places: int) -> float:
    """``value`` to ``places`` decimals, halves away from zero (−31.25 → −31.3, as people round)."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int
    passives: int
    detractors: int

    @property
    def exact(self) -> Fraction | None:
        """% promoters − % detractors, exactly (``None`` without answers)."""
        if not self.answers:
            return None
        return _percent(self.promoters, self.answers) - _percent(self.detractors, self.answers)

    @property
    def score(self) -> float | None:
        """The NPS in points, to one decimal."""
        exact = self.exact
        return None if exact is None else rounded(exact, 1)


def nps(scores: Iterable[int]) -> Nps:
    """The NPS of these scores."""
    return summarise(("nps", score, 1) for score in scores).nps


@dataclass(frozen=True)
class Csat:
    answers: int
    satisfied: int
    total: int  # the sum of the scores

    @property
    def mean(self) -> float | None:
        """The mean score, to two decimals (``None`` without answers)."""
        return None if not self.answers else rounded(Fraction(self.total, self.answers), 2)

    @property
    def satisfied_percent(self) -> float | None:
        """The share of 4 and 5, in percent, to one decimal."""
        if not self.answers:
            return None
        return rounded(_percent(self.satisfied, self.answers), 1)


def csat(scores: Iterable[int]) -> Csat:
    """The CSAT of these scores."""
    return summarise(("csat", score, 1) for score in scores).csat


@dataclass(frozen=True)
class Summary:
    nps: Nps
    csat: Csat


def summarise(counts: Iterable[tuple[str, int, int]]) -> Summary:
    """The NPS and the CSAT of ``(kind, score, how many answers gave it)`` counts."""
    promoters = passives = detractors = answers = satisfied = total = 0
    for kind, score, n in counts:
        check_score(kind, score)
        if n < 0:
            raise ValueError("a count of answers is never negative")
        if kind == "csat":
            answers, total = answers + n, total + score * n
            satisfied += n if score >= SATISFIED else 0
        elif score >= PROMOTER:
            promoters += n
        elif score >= PASSIVE:
            passives += n
        else:
            detractors += n
    return Summary(
        Nps(promoters + passives + detractors, promoters, passives, detractors),
        Csat(answers, satisfied, total),
    )


def group(rows: Iterable[tuple[str | None, str, int, int]]) -> dict[str | None, Summary]:
    """``(key, kind, score, how many)`` counts summarised per key (``None``: none known, e.g. no shop)."""
    grouped: dict[str | None, list[tuple[str, int, int]]] = {}
    for key, kind, score, n in rows:
        grouped.setdefault(key, []).append((kind, score, n))
    return {key: summarise(counts) for key, counts in grouped.items()}


# -- periods ---------------------------------------------------------------------------------------------


def period_start(day: date, period: Period) -> date:
    """The first day of the period holding ``day``."""
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def bucket(at: datetime, period: Period, tz: ZoneInfo) -> date:
    """The period an instant falls in, on the clock of ``tz`` (named by its first day)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("an answer's time must be a timezone-aware datetime")
    return period_start(at.astimezone(tz).date(), period)


def _next(start: date, period: Period) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def buckets(first: date, last: date, period: Period) -> list[date]:
    """Every period from the one holding ``first`` to the one holding ``last``, in order."""
    if last < first:
        raise ValueError("the last day comes before the first")
    out, start = [], period_start(first, period)
    while start <= last:
        out.append(start)
        start = _next(start, period)
    return out


def offsets(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, int]]:
    """The clock of ``tz`` from ``start`` to ``end``, as segments: each instant from which an offset from
    UTC (in seconds) holds, in order, the first being ``start`` — what a database without time zones
    needs to read its UTC times on the retailer's clock. A change is found to the second (at most one a
    day: the clock changes twice a year)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the instants must be timezone-aware")

    def offset(at: datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    out = [(start, offset(start))]
    low = start
    while low < end:
        high = min(low + timedelta(days=1), end)
        if offset(high) != offset(low):
            before, after = int(low.timestamp()), math.ceil(high.timestamp())  # whole seconds
            while after - before > 1:
                middle = (before + after) // 2
                if offset(_EPOCH + timedelta(seconds=middle)) == offset(low):
                    before = middle
                else:
                    after = middle
            changed = _EPOCH + timedelta(seconds=after)
            out.append((changed, offset(changed)))
        low = high
    return out
