"""engagement: A/B variants of a message — deterministic assignment of customers to variants, a holdout
and "the rest", the two-proportion test, and a verdict that names a winner only once it is significant.
No I/O and no clock: the service stores assignments and counts outcomes, then calls these.

The life of an experiment:

1. At its start every customer of the audience is assigned once (:meth:`Experiment.assign`) and the
   caller **stores** the result. A share of the audience is *held out*: it receives nothing, ever, and
   measures the lift of the message itself. A *test share* is split between the variants by weight.
   *The rest* waits for the winner.
2. The caller counts, per arm, the customers sent, those who opened, clicked and converted (ordered
   within N days of the send, from the orders' events); for the holdout, its customers and conversions.
3. :func:`decide_winner` compares the arms on the experiment's primary metric; once one variant is
   significantly better than every other, the rest receives it (:func:`variant_for`).
   :func:`holdout_lift` tells whether sending the message beats sending nothing.

Rates are per customer sent (or held out), counted once each. Opens are inflated by mail clients that
prefetch images (Apple Mail Privacy Protection): prefer clicks or conversions as the primary metric.
Every look at the data is a test: decide once the planned sample is reached (see
:func:`required_sample_size`, or set ``min_per_arm`` to it), as repeated looks inflate false winners.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any, Literal, get_args

HOLDOUT = "holdout"  # receives nothing, for ever
REST = "rest"  # waits for the winner
Metric = Literal["opened", "clicked", "converted"]
METRICS: tuple[Metric, ...] = get_args(Metric)
_SEPARATOR = "\x1f"  # between experiment id and customer id in the hashed text
_UNIT = 2.0**-53  # 53 random bits → a float uniform in [0, 1), every value exact


def _norm() -> Any:
    """scipy's normal distribution, imported when a test is first computed: importing ``scipy.stats``
    takes most of a second, which an API process's start must not pay."""
    from scipy.stats import norm

    return norm


# -- assignment -------------------------------------------------------------------------------------------


def hash_units(experiment_id: str, customer_id: str) -> tuple[float, float]:
    """Two independent numbers, uniform in [0, 1), for one customer in one experiment: the top 53 bits
    of bytes 0–7 and of bytes 8–15 of ``sha256(experiment_id + "\\x1f" + customer_id)`` (UTF-8), scaled
    by 2⁻⁵³. The first places the customer in the holdout, the test or the rest; the second picks the
    arm. Stable across processes, machines and releases (unlike Python's salted ``hash()``)."""
    digest = hashlib.sha256(f"{experiment_id}{_SEPARATOR}{customer_id}".encode()).digest()
    return (
        (int.from_bytes(digest[:8], "big") >> 11) * _UNIT,
        (int.from_bytes(digest[8:16], "big") >> 11) * _UNIT,
    )


@dataclass(frozen=True)
class Arm:
    """A variant of the message (``"A"``, ``"B"``, …) and its relative weight within the test share."""

    code: str
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not self.code or self.code in (HOLDOUT, REST):
            raise ValueError(f"arm code must be non-empty and not {HOLDOUT!r} or {REST!r}: {self.code!r}")
        if not (math.isfinite(self.weight) and self.weight > 0):
            raise ValueError(f"arm {self.code}: weight must be a positive number, got {self.weight!r}")


@dataclass(frozen=True)
class Experiment:
    """Variants of one message tried on an audience. ``holdout_share`` of the audience receives
    nothing; ``test_share`` of the audience (not of what the holdout leaves) is split between the
    ``arms`` by weight; the remaining ``1 - holdout_share - test_share`` is *the rest*, which receives
    the winner. ``metric`` is the primary metric, chosen before the results are seen.

    The holdout/test/rest split and the arm are read from two independent hashes, so widening
    ``test_share`` only moves customers from the rest into the test, each keeping the arm they would
    always have had. Changing the arms or their weights (even appending an arm) moves customers between
    arms: an assignment is fixed at the experiment's start and stored by the caller, never recomputed
    from a changed definition."""

    id: str
    arms: tuple[Arm, ...]
    holdout_share: float = 0.0
    test_share: float = 1.0
    metric: Metric = "converted"
    _bounds: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _test_end: float = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        arms = tuple(self.arms)
        object.__setattr__(self, "arms", arms)
        if not self.id or _SEPARATOR in self.id:
            raise ValueError(f"experiment id must be non-empty without U+001F: {self.id!r}")
        codes = [arm.code for arm in arms]
        if not arms or len(set(codes)) != len(codes):
            raise ValueError(f"experiment {self.id}: arms must be at least one, with distinct codes: {codes}")
        if not 0 <= self.holdout_share < 1:
            raise ValueError(f"holdout_share must be in [0, 1), got {self.holdout_share!r}")
        end = self.holdout_share + self.test_share
        if not (self.test_share > 0 and end <= 1 + 1e-9):
            raise ValueError(f"test_share must be in (0, 1 - holdout_share], got {self.test_share!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {self.metric!r}")
        total = sum(arm.weight for arm in arms)
        object.__setattr__(self, "_bounds", tuple(accumulate(arm.weight / total for arm in arms)))
        object.__setattr__(self, "_test_end", 1.0 if end >= 1 - 1e-9 else end)

    def assign(self, customer_id: str) -> str:
        """``"holdout"``, ``"rest"`` or the code of the customer's arm — the same answer every time."""
        split, pick = hash_units(self.id, customer_id)
        if split < self.holdout_share:
            return HOLDOUT
        if split >= self._test_end:
            return REST
        return self.arms[min(bisect_right(self._bounds, pick), len(self.arms) - 1)].code


def assign(
    experiment_id: str,
    customer_id: str,
    arms: Sequence[Arm],
    *,
    holdout_share: float = 0.0,
    test_share: float = 1.0,
) -> str:
    """:meth:`Experiment.assign` without building the experiment first (build it once for many ids)."""
    experiment = Experiment(experiment_id, tuple(arms), holdout_share, test_share)
    return experiment.assign(customer_id)


def variant_for(assigned: str, winner: str | None) -> str | None:
    """What a customer receives: their own arm in the test; in the rest, the winner once declared
    (``None`` while it waits); in the holdout, nothing."""
    if assigned == HOLDOUT:
        return None
    if assigned == REST:
        return winner
    return assigned


# -- outcomes and the test --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmOutcome:
    """What an arm's customers did: ``sent`` customers (for the holdout, the customers held out), of
    whom ``opened``, ``clicked`` and ``converted`` (ordered within the window) — each customer once."""

    code: str
    sent: int
    opened: int = 0
    clicked: int = 0
    converted: int = 0

    def __post_init__(self) -> None:
        if self.sent < 0:
            raise ValueError(f"{self.code}: sent must be ≥ 0, got {self.sent}")
        for metric in METRICS:
            if not 0 <= getattr(self, metric) <= self.sent:
                raise ValueError(f"{self.code}: {metric} must be within 0..{self.sent} (sent)")

    def count(self, metric: Metric) -> int:
        if metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
        return int(getattr(self, metric))

    def rate(self, metric: Metric) -> float:
        return self.count(metric) / self.sent if self.sent else 0.0


@dataclass(frozen=True)
class ProportionTest:
    """``z`` is positive when the first group's rate is the higher; ``reason`` says why a test could
    not tell anything (then ``z`` is 0 and ``p_value`` 1)."""

    z: float
    p_value: float
    reason: str | None = None


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> ProportionTest:
    """The two-sided z-test of ``x1/n1`` against ``x2/n2`` with the pooled standard error
    ``√(p̂(1−p̂)(1/n1 + 1/n2))``, ``p̂ = (x1+x2)/(n1+n2)`` — the error under the hypothesis that both
    rates are equal; ``z²`` is Pearson's χ² of the 2×2 table (no continuity correction). An empty
    group, or groups where nobody or everybody succeeded, give ``z = 0, p = 1`` and a reason."""
    for x, n in ((x1, n1), (x2, n2)):
        if not 0 <= x <= n:
            raise ValueError(f"successes must be within 0..n, got {x} of {n}")
    if n1 == 0 or n2 == 0:
        return ProportionTest(0.0, 1.0, "a group has nobody in it")
    if x1 + x2 == 0:
        return ProportionTest(0.0, 1.0, "nobody in either group succeeded")
    if x1 + x2 == n1 + n2:
        return ProportionTest(0.0, 1.0, "everybody in both groups succeeded")
    pooled = (x1 + x2) / (n1 + n2)
    z = (x1 / n1 - x2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return ProportionTest(z, min(1.0, float(2 * _norm().sf(abs(z)))))


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    centre, spread = (x + z * z / 2) / (n + z * z), z / (n + z * z) * math.sqrt(x * (n - x) / n + z * z / 4)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def difference_interval(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """A confidence interval of ``x1/n1 − x2/n2``: Newcombe's hybrid score interval (his method 10,
    built from the two Wilson intervals), which stays within [−1, 1] and does not collapse to a point
    at 0 % or 100 % as the Wald interval does. ``(−1, 1)`` when a group is empty."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    if n1 == 0 or n2 == 0:
        return -1.0, 1.0
    z = float(_norm().ppf(1 - (1 - confidence) / 2))
    p1, p2 = x1 / n1, x2 / n2
    (low1, high1), (low2, high2) = _wilson(x1, n1, z), _wilson(x2, n2, z)
    return (
        p1 - p2 - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2),
        p1 - p2 + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2),
    )


@dataclass(frozen=True)
class Comparison:
    """Arm ``code`` against arm ``other`` on one metric."""

    code: str
    other: str
    rate: float
    other_rate: float
    z: float
    p_value: float  # two-sided, unadjusted
    adjusted_p: float  # Holm–Bonferroni over the comparisons of one verdict (= p_value when alone)
    interval: tuple[float, float]  # of rate − other_rate
    reason: str | None = None  # why the test could not tell, if it could not

    @property
    def difference(self) -> float:
        return self.rate - self.other_rate

    @property
    def lift(self) -> float | None:
        """Relative: ``rate / other_rate − 1`` (``None`` when ``other_rate`` is 0)."""
        return self.rate / self.other_rate - 1 if self.other_rate else None


def compare(arm: ArmOutcome, other: ArmOutcome, metric: Metric, confidence: float = 0.95) -> Comparison:
    """``arm`` against ``other`` on ``metric``: :func:`two_proportion_test` and :func:`difference_interval`."""
    x1, x2 = arm.count(metric), other.count(metric)
    test = two_proportion_test(x1, arm.sent, x2, other.sent)
    interval = difference_interval(x1, arm.sent, x2, other.sent, confidence)
    return Comparison(
        arm.code, other.code, arm.rate(metric), other.rate(metric), test.z, test.p_value, test.p_value,
        interval, test.reason,
    )  # fmt: skip


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the given order: the i-th smallest of m is multiplied by
    ``m − i + 1``, capped at 1 and made non-decreasing. A hypothesis is rejected at ``alpha`` when its
    adjusted p-value is below ``alpha``."""
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted, running = [1.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


# -- verdicts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """The leading arm is the ``winner`` only when it is significantly better than every other arm,
    each with at least the minimum sample. ``rival`` is the arm it is least clearly better than (the
    largest Holm-adjusted p-value, which is ``p_value``); ``lift``, ``difference`` and ``interval``
    (at ``confidence`` = 1 − alpha/(arms − 1), Bonferroni-simultaneous) are against the rival."""

    winner: str | None
    metric: Metric
    leader: str
    rival: str
    p_value: float
    lift: float | None
    difference: float
    interval: tuple[float, float]
    confidence: float
    reason: str
    rates: Mapping[str, float]
    comparisons: tuple[Comparison, ...]


def decide_winner(
    outcomes: Sequence[ArmOutcome], metric: Metric, alpha: float = 0.05, min_per_arm: int = 1000
) -> Verdict:
    """Compare the arm with the best rate (the first listed on a tie) with each other arm by
    :func:`two_proportion_test`, Holm–Bonferroni-corrected over the ``len(outcomes) − 1`` comparisons,
    and declare it the winner only if every comparison is significant at ``alpha`` and every arm was
    sent to at least ``min_per_arm`` customers. The reason is a sentence a marketer can read."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    codes = [arm.code for arm in outcomes]
    if len(codes) < 2 or len(set(codes)) != len(codes) or HOLDOUT in codes or REST in codes:
        raise ValueError(f"a verdict needs two or more variants with distinct codes (no holdout): {codes}")
    rates = {arm.code: arm.rate(metric) for arm in outcomes}
    leader = max(outcomes, key=lambda arm: rates[arm.code])
    confidence = 1 - alpha / (len(outcomes) - 1)
    raw = [compare(leader, other, metric, confidence) for other in outcomes if other is not leader]
    comparisons = tuple(
        replace(c, adjusted_p=p) for c, p in zip(raw, holm([c.p_value for c in raw]), strict=True)
    )
    decisive = max(comparisons, key=lambda c: c.adjusted_p)
    short = [arm for arm in outcomes if arm.sent < min_per_arm]
    won = not short and decisive.adjusted_p < alpha and decisive.difference > 0
    if short:
        reason = _short_reason([(arm.code, arm.sent) for arm in short], "sends", min_per_arm)
    else:
        reason = _sentence(decisive, metric, alpha, len(comparisons), won)
    return Verdict(
        leader.code if won else None, metric, leader.code, decisive.other, decisive.adjusted_p,
        decisive.lift, decisive.difference, decisive.interval, confidence, reason, rates, comparisons,
    )  # fmt: skip


@dataclass(frozen=True)
class Lift:
    """Whether sending the message changed conversion against the holdout, which received nothing:
    ``comparison`` is the messaged customers against the holdout; ``significant`` is ``p < alpha`` in
    either direction (a message can lower conversion, e.g. by prompting unsubscribes)."""

    significant: bool
    comparison: Comparison
    reason: str


def holdout_lift(
    treated: ArmOutcome | Sequence[ArmOutcome],
    holdout: ArmOutcome,
    alpha: float = 0.05,
    min_per_arm: int = 1000,
) -> Lift:
    """The conversion of the customers who received a message (one arm, or several pooled — the test
    arms and, once the winner went out, the rest) against the holdout's, by the same two-proportion
    test. Only conversion is compared: the holdout cannot open or click what it never received."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    arms = [treated] if isinstance(treated, ArmOutcome) else list(treated)
    if not arms:
        raise ValueError("holdout_lift needs at least one messaged arm")
    pooled = ArmOutcome(
        "+".join(arm.code for arm in arms),
        sum(arm.sent for arm in arms),
        converted=sum(arm.converted for arm in arms),
    )
    comparison = compare(pooled, replace(holdout, code=HOLDOUT), "converted", 1 - alpha)
    short = [(group.code, group.sent) for group in (pooled, holdout) if group.sent < min_per_arm]
    significant = not short and comparison.p_value < alpha
    p = _p(comparison.p_value, alpha)
    if short:
        reason = _short_reason(short, "customers", min_per_arm)
    elif not significant:
        reason = f"no measurable lift yet: p = {p} ≥ {alpha:g} ({_rates(comparison)})"
    else:
        verb = "raises" if comparison.difference > 0 else "lowers"
        reason = f"the message {verb} conversion: {_rates(comparison)}, p = {p} < {alpha:g}"
    return Lift(significant, comparison, reason)


def _short_reason(short: Sequence[tuple[str, int]], unit: str, needed: int) -> str:
    parts = [f"{code} has {n} {unit if n != 1 else unit[:-1]}" for code, n in short]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{listed}, fewer than the {needed} needed"


def _rates(c: Comparison) -> str:
    lift = f" ({c.lift:+.0%})" if c.lift is not None else ""
    return f"{c.code} {c.rate:.1%} vs {c.other} {c.other_rate:.1%}{lift}"


def _sentence(c: Comparison, metric: Metric, alpha: float, tests: int, won: bool) -> str:
    holm_note = f", Holm-corrected over {tests} comparisons" if tests > 1 else ""
    p = _p(c.adjusted_p, alpha)
    if won:
        return f"{c.code} wins on {metric}: {_rates(c)}, p = {p} < {alpha:g}{holm_note}"
    detail = c.reason or f"{metric}: {_rates(c)}"
    return f"not significant yet: p = {p} ≥ {alpha:g} ({detail}{holm_note})"


def _p(p: float, alpha: float) -> str:
    """``p`` with 2 significant digits, or more when rounding would put it on, or across, alpha."""
    for digits in range(2, 8):
        text = f"{p:.{digits}g}"
        shown = float(text)
        if (shown < alpha) == (p < alpha) and (shown == alpha) == (p == alpha):
            return text
    return repr(p)


# -- planning ---------------------------------------------------------------------------------------------


def required_sample_size(
    baseline_rate: float, minimum_detectable_lift: float, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Customers to send to in *each* arm so that :func:`two_proportion_test` at two-sided ``alpha``
    detects a relative lift of ``minimum_detectable_lift`` (0.10 = +10 %) over ``baseline_rate`` with
    probability ``power`` (normal approximation, pooled error under the null)::

        n = (z₁₋α/₂ √(2 p̄ (1 − p̄)) + z_power √(p₁(1 − p₁) + p₂(1 − p₂)))² / (p₂ − p₁)²

    With k variants, pass ``alpha / (k − 1)`` to plan for the Holm-corrected verdict."""
    target = baseline_rate * (1 + minimum_detectable_lift)
    if not (0 < baseline_rate < 1 and minimum_detectable_lift != 0 and 0 < target < 1):
        raise ValueError("baseline_rate and baseline_rate × (1 + lift) must be in (0, 1), lift non-zero")
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must be in (0, 1)")
    mean = (baseline_rate + target) / 2
    under_null = float(_norm().ppf(1 - alpha / 2)) * math.sqrt(2 * mean * (1 - mean))
    under_lift = float(_norm().ppf(power)) * math.sqrt(
        baseline_rate * (1 - baseline_rate) + target * (1 - target)
    )
    return math.ceil((under_null + under_lift) ** 2 / (target - baseline_rate) ** 2 - 1e-9)
