"""A/B variants of a message, proved without a database: the assignment against the documented hash and
over 100 000 customers, the two-proportion test against scipy's χ² of the 2×2 table, the confidence
interval against Newcombe's published values, verdicts with their sentences, properties of the test and
of the Holm correction, and simulations: equal variants rarely produce a winner, and the planned sample
size gives the planned power."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2_contingency

from comptoir.engagement.variants import (
    HOLDOUT,
    REST,
    Arm,
    ArmOutcome,
    Experiment,
    assign,
    decide_winner,
    difference_interval,
    hash_units,
    holdout_lift,
    holm,
    required_sample_size,
    two_proportion_test,
    variant_for,
)

# -- assignment -------------------------------------------------------------------------------------------


def test_hash_units_are_the_documented_sha256_bits() -> None:
    digest = hashlib.sha256(b"exp-1\x1fcus-42").digest()
    expected = (
        (int.from_bytes(digest[:8], "big") >> 11) / 2**53,
        (int.from_bytes(digest[8:16], "big") >> 11) / 2**53,
    )

    assert hash_units("exp-1", "cus-42") == expected
    assert all(0 <= u < 1 for u in expected)


def test_assignment_follows_the_units() -> None:
    # given an experiment with 10 % holdout, 30 % test split 1:2 between A and B
    experiment = Experiment("exp-1", (Arm("A", 1), Arm("B", 2)), holdout_share=0.1, test_share=0.3)

    for customer in (f"cus-{i}" for i in range(300)):
        split, pick = hash_units("exp-1", customer)
        if split < 0.1:
            expected = HOLDOUT
        elif split >= 0.4:
            expected = REST
        else:
            expected = "A" if pick < 1 / 3 else "B"
        # then the experiment and the free function agree with the documented layout, every time
        assert experiment.assign(customer) == expected
        assert experiment.assign(customer) == expected
        assert assign("exp-1", customer, [Arm("A", 1), Arm("B", 2)], holdout_share=0.1, test_share=0.3) == (
            expected
        )


def test_shares_hold_over_100_000_customers() -> None:
    experiment = Experiment(
        "spring-newsletter", (Arm("A", 1), Arm("B", 2)), holdout_share=0.1, test_share=0.3
    )

    assigned = [experiment.assign(f"cus-{i}") for i in range(100_000)]

    shares = {code: assigned.count(code) / len(assigned) for code in (HOLDOUT, "A", "B", REST)}
    # 4 standard errors at most (≤ 0.0016 for any share here)
    assert shares == {
        HOLDOUT: pytest.approx(0.1, abs=0.004),
        "A": pytest.approx(0.1, abs=0.004),
        "B": pytest.approx(0.2, abs=0.006),
        REST: pytest.approx(0.6, abs=0.007),
    }


def test_another_experiment_draws_another_split() -> None:
    arms = (Arm("A"), Arm("B"))
    first = [Experiment("exp-1", arms).assign(f"cus-{i}") for i in range(2000)]
    second = [Experiment("exp-2", arms).assign(f"cus-{i}") for i in range(2000)]

    agreeing = sum(a == b for a, b in zip(first, second, strict=True)) / 2000
    assert agreeing == pytest.approx(0.5, abs=0.05)


def test_widening_the_test_keeps_every_tested_customer_in_their_arm() -> None:
    arms = (Arm("A"), Arm("B"), Arm("C"))
    narrow = Experiment("exp-1", arms, holdout_share=0.05, test_share=0.2)
    wide = Experiment("exp-1", arms, holdout_share=0.05, test_share=0.5)

    moved = 0
    for customer in (f"cus-{i}" for i in range(5000)):
        before, after = narrow.assign(customer), wide.assign(customer)
        if before == REST:
            moved += after != REST
        else:
            assert after == before
    assert moved == pytest.approx(5000 * 0.3, rel=0.1)


def test_a_test_filling_what_the_holdout_leaves_has_no_rest() -> None:
    experiment = Experiment("exp-1", (Arm("A"), Arm("B")), holdout_share=0.1, test_share=0.9)

    assert {experiment.assign(f"cus-{i}") for i in range(3000)} == {HOLDOUT, "A", "B"}


def test_a_single_arm_with_a_holdout_measures_the_message_alone() -> None:
    experiment = Experiment("exp-1", (Arm("A"),), holdout_share=0.2, test_share=0.8)

    assert {experiment.assign(f"cus-{i}") for i in range(500)} == {HOLDOUT, "A"}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Arm(""), "non-empty"),
        (lambda: Arm(HOLDOUT), "non-empty"),
        (lambda: Arm("A", 0), "positive"),
        (lambda: Arm("A", float("nan")), "positive"),
        (lambda: Experiment("e", ()), "at least one"),
        (lambda: Experiment("e", (Arm("A"), Arm("A"))), "distinct"),
        (lambda: Experiment("", (Arm("A"),)), "non-empty"),
        (lambda: Experiment("e\x1f1", (Arm("A"),)), "001F"),
        (lambda: Experiment("e", (Arm("A"),), holdout_share=1.0), "holdout_share"),
        (lambda: Experiment("e", (Arm("A"),), holdout_share=0.3, test_share=0.8), "test_share"),
        (lambda: Experiment("e", (Arm("A"),), test_share=0), "test_share"),
        (lambda: Experiment("e", (Arm("A"),), metric="bought"), "metric"),
    ],
)
def test_bad_definitions_are_refused(build: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()  # type: ignore[operator]


def test_what_each_group_receives() -> None:
    assert variant_for("B", winner=None) == "B"
    assert variant_for("B", winner="A") == "B"
    assert variant_for(REST, winner=None) is None
    assert variant_for(REST, winner="A") == "A"
    assert variant_for(HOLDOUT, winner="A") is None


# -- the test ---------------------------------------------------------------------------------------------


def test_two_proportion_test_known_value() -> None:
    # 12 % of 1000 against 9 % of 1000: pooled 10.5 %, SE √(0.105 × 0.895 × 2/1000) = 0.013709
    result = two_proportion_test(120, 1000, 90, 1000)

    assert result.z == pytest.approx(0.03 / 0.0137094, rel=1e-5)
    assert result.p_value == pytest.approx(0.028650, abs=1e-6)
    assert result.reason is None


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(120, 1000, 90, 1000), (3, 40, 11, 35), (500, 9000, 430, 8800), (1, 2, 0, 3), (199, 200, 180, 200)],
)
def test_z_squared_is_pearsons_chi_squared(x1: int, n1: int, x2: int, n2: int) -> None:
    chi2, p, _, _ = chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)

    result = two_proportion_test(x1, n1, x2, n2)

    assert result.z**2 == pytest.approx(chi2, rel=1e-9)
    assert result.p_value == pytest.approx(p, rel=1e-9)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "reason"),
    [
        (0, 0, 5, 100, "a group has nobody in it"),
        (5, 100, 0, 0, "a group has nobody in it"),
        (0, 0, 0, 0, "a group has nobody in it"),
        (0, 100, 0, 250, "nobody in either group succeeded"),
        (100, 100, 250, 250, "everybody in both groups succeeded"),
    ],
)
def test_degenerate_tables_tell_nothing(x1: int, n1: int, x2: int, n2: int, reason: str) -> None:
    result = two_proportion_test(x1, n1, x2, n2)

    assert (result.z, result.p_value, result.reason) == (0.0, 1.0, reason)


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(-1, 10, 1, 10), (11, 10, 1, 10), (1, 10, 1, -1)])
def test_impossible_counts_are_refused(x1: int, n1: int, x2: int, n2: int) -> None:
    with pytest.raises(ValueError, match="within"):
        two_proportion_test(x1, n1, x2, n2)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "low", "high"),
    # Newcombe (1998), Statistics in Medicine 17:873–890, table II, method 10
    [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ],
)
def test_difference_interval_matches_newcombe(
    x1: int, n1: int, x2: int, n2: int, low: float, high: float
) -> None:
    assert difference_interval(x1, n1, x2, n2) == (
        pytest.approx(low, abs=6e-5),
        pytest.approx(high, abs=6e-5),
    )


def test_difference_interval_of_an_empty_group_is_everything() -> None:
    assert difference_interval(0, 0, 3, 10) == (-1.0, 1.0)


def test_holm_known_values() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    assert holm([0.9, 0.8]) == [1.0, 1.0]
    assert holm([]) == []


# -- verdicts ---------------------------------------------------------------------------------------------


def test_a_significant_variant_wins() -> None:
    outcomes = [ArmOutcome("A", 2000, opened=700, clicked=60), ArmOutcome("B", 2000, opened=690, clicked=95)]

    verdict = decide_winner(outcomes, "clicked", min_per_arm=1000)

    assert (verdict.winner, verdict.leader, verdict.rival) == ("B", "B", "A")
    assert verdict.rates == {"A": 0.03, "B": 0.0475}
    assert verdict.difference == pytest.approx(0.0175)
    assert verdict.lift == pytest.approx(0.0175 / 0.03)
    assert verdict.p_value == pytest.approx(two_proportion_test(95, 2000, 60, 2000).p_value)
    assert verdict.interval == difference_interval(95, 2000, 60, 2000, 0.95)
    assert verdict.confidence == 0.95
    assert verdict.reason == "B wins on clicked: B 4.8% vs A 3.0% (+58%), p = 0.0041 < 0.05"


def test_a_lead_that_is_not_significant_declares_nothing() -> None:
    outcomes = [ArmOutcome("A", 2000, clicked=60), ArmOutcome("B", 2000, clicked=78)]

    verdict = decide_winner(outcomes, "clicked", min_per_arm=200)

    assert (verdict.winner, verdict.leader) == (None, "B")
    assert verdict.p_value == pytest.approx(0.1189, abs=1e-4)
    assert verdict.reason == "not significant yet: p = 0.12 ≥ 0.05 (clicked: B 3.9% vs A 3.0% (+30%))"


def test_an_arm_below_the_minimum_sample_blocks_the_verdict() -> None:
    outcomes = [ArmOutcome("A", 2000, clicked=40), ArmOutcome("B", 80, clicked=20)]

    verdict = decide_winner(outcomes, "clicked", min_per_arm=200)

    assert verdict.winner is None
    assert verdict.p_value < 1e-10  # B's lead is overwhelming, but on 80 sends only
    assert verdict.reason == "B has 80 sends, fewer than the 200 needed"


def test_every_short_arm_is_named() -> None:
    outcomes = [ArmOutcome("A", 150), ArmOutcome("B", 1), ArmOutcome("C", 900)]

    verdict = decide_winner(outcomes, "converted", min_per_arm=1000)

    assert verdict.reason == "A has 150 sends, B has 1 send and C has 900 sends, fewer than the 1000 needed"


def test_nobody_converting_yet_says_so() -> None:
    verdict = decide_winner([ArmOutcome("A", 1500), ArmOutcome("B", 1500)], "converted")

    assert verdict.winner is None
    assert verdict.reason == "not significant yet: p = 1 ≥ 0.05 (nobody in either group succeeded)"


def test_holm_withholds_a_winner_that_two_raw_tests_would_give() -> None:
    # given B ahead of both A and C with raw p-values 0.029 and 0.035, each below 0.05
    outcomes = [
        ArmOutcome("A", 3000, clicked=89),
        ArmOutcome("B", 3000, clicked=120),
        ArmOutcome("C", 3000, clicked=90),
    ]

    verdict = decide_winner(outcomes, "clicked")

    assert [round(c.p_value, 4) for c in verdict.comparisons] == [0.0291, 0.0351]
    assert [c.adjusted_p for c in verdict.comparisons] == pytest.approx([0.0581207, 0.0581207], abs=1e-6)
    assert (verdict.winner, verdict.rival, verdict.confidence) == (None, "A", 0.975)
    assert verdict.reason == (
        "not significant yet: p = 0.058 ≥ 0.05 (clicked: B 4.0% vs A 3.0% (+35%), "
        "Holm-corrected over 2 comparisons)"
    )


def test_the_best_of_three_wins_when_it_beats_both() -> None:
    outcomes = [
        ArmOutcome("A", 3000, converted=60),
        ArmOutcome("B", 3000, converted=65),
        ArmOutcome("C", 3000, converted=110),
    ]

    verdict = decide_winner(outcomes, "converted")

    assert (verdict.winner, verdict.rival) == ("C", "B")
    raw = sorted(two_proportion_test(110, 3000, x, 3000).p_value for x in (60, 65))
    assert verdict.p_value == pytest.approx(max(2 * raw[0], raw[1]))
    assert verdict.reason == (
        "C wins on converted: C 3.7% vs B 2.2% (+69%), p = 0.00056 < 0.05, Holm-corrected over 2 comparisons"
    )


def test_p_value_gets_digits_when_rounding_would_cross_alpha() -> None:
    # raw p = 0.0501 rounds to 0.05: the sentence must not read "p = 0.05 ≥ 0.05"
    verdict = decide_winner([ArmOutcome("A", 2000, clicked=60), ArmOutcome("B", 2000, clicked=83)], "clicked")

    assert verdict.reason.startswith("not significant yet: p = 0.0501 ≥ 0.05")


@pytest.mark.parametrize(
    ("outcomes", "alpha"),
    [
        ([ArmOutcome("A", 10)], 0.05),
        ([ArmOutcome("A", 10), ArmOutcome("A", 10)], 0.05),
        ([ArmOutcome("A", 10), ArmOutcome(HOLDOUT, 10)], 0.05),
        ([ArmOutcome("A", 10), ArmOutcome("B", 10)], 0.0),
    ],
)
def test_bad_verdict_requests_are_refused(outcomes: list[ArmOutcome], alpha: float) -> None:
    with pytest.raises(ValueError):
        decide_winner(outcomes, "converted", alpha=alpha)


def test_impossible_outcomes_are_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("clicked must be within 0..10")):
        ArmOutcome("A", 10, clicked=11)
    with pytest.raises(ValueError, match="sent"):
        ArmOutcome("A", -1)


def test_the_message_lifts_conversion_against_the_holdout() -> None:
    arms = [ArmOutcome("A", 5000, converted=130), ArmOutcome("B", 5000, converted=140)]

    lift = holdout_lift(arms, ArmOutcome(HOLDOUT, 2000, converted=36))

    assert lift.significant
    assert (lift.comparison.rate, lift.comparison.other_rate) == (0.027, 0.018)
    assert lift.comparison.p_value == pytest.approx(two_proportion_test(270, 10_000, 36, 2000).p_value)
    assert lift.reason == "the message raises conversion: A+B 2.7% vs holdout 1.8% (+50%), p = 0.02 < 0.05"


def test_no_lift_and_a_small_holdout_are_told_apart() -> None:
    arm = ArmOutcome("A", 5000, converted=100)

    flat = holdout_lift(arm, ArmOutcome(HOLDOUT, 2000, converted=39))
    small = holdout_lift(arm, ArmOutcome(HOLDOUT, 300, converted=2))

    assert not flat.significant
    assert flat.reason == "no measurable lift yet: p = 0.89 ≥ 0.05 (A 2.0% vs holdout 1.9% (+3%))"
    assert not small.significant
    assert small.reason == "holdout has 300 customers, fewer than the 1000 needed"


def test_a_message_can_lower_conversion() -> None:
    lift = holdout_lift(ArmOutcome("A", 5000, converted=50), ArmOutcome(HOLDOUT, 5000, converted=100))

    assert lift.significant
    assert lift.comparison.difference < 0
    assert lift.reason.startswith("the message lowers conversion: A 1.0% vs holdout 2.0% (-50%)")


# -- planning ---------------------------------------------------------------------------------------------


def test_required_sample_size_known_values() -> None:
    # 10 % → 12 %, two-sided 5 %, power 80 %: the textbook 3841 per group (no continuity correction)
    assert required_sample_size(0.10, 0.20) == 3841
    assert required_sample_size(0.05, 0.10) == 31234
    assert required_sample_size(0.10, -0.20) < required_sample_size(0.10, 0.20)  # a drop from 10 % to 8 %
    with pytest.raises(ValueError):
        required_sample_size(0.6, 1.0)
    with pytest.raises(ValueError):
        required_sample_size(0.1, 0.1, power=1.0)


def test_the_planned_sample_gives_the_planned_power() -> None:
    n = required_sample_size(0.10, 0.20)
    rng = np.random.default_rng(20240611)

    a, b = rng.binomial(n, 0.10, size=1000), rng.binomial(n, 0.12, size=1000)
    detected = sum(
        two_proportion_test(int(x), n, int(y), n).p_value < 0.05 for x, y in zip(b, a, strict=True)
    )

    assert detected / 1000 == pytest.approx(0.80, abs=0.04)


# -- properties -------------------------------------------------------------------------------------------


@st.composite
def counts(draw: st.DrawFn, max_n: int = 5000) -> tuple[int, int]:
    n = draw(st.integers(0, max_n))
    return draw(st.integers(0, n)), n


@settings(max_examples=200, deadline=None)
@given(counts(), counts())
def test_p_is_a_probability_and_symmetric(first: tuple[int, int], second: tuple[int, int]) -> None:
    forward = two_proportion_test(*first, *second)
    backward = two_proportion_test(*second, *first)

    assert 0.0 <= forward.p_value <= 1.0
    assert backward.p_value == forward.p_value
    assert backward.z == -forward.z


@settings(max_examples=100, deadline=None)
@given(counts(), counts())
def test_z_squared_is_chi_squared_whenever_defined(first: tuple[int, int], second: tuple[int, int]) -> None:
    (x1, n1), (x2, n2) = first, second
    result = two_proportion_test(x1, n1, x2, n2)
    if result.reason is None:
        chi2 = chi2_contingency([[x1, n1 - x1], [x2, n2 - x2]], correction=False)[0]
        assert result.z**2 == pytest.approx(chi2, rel=1e-6, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(counts(), st.integers(2, 5))
def test_equal_rates_never_win(arm: tuple[int, int], arms: int) -> None:
    clicked, sent = arm
    outcomes = [ArmOutcome(chr(65 + i), sent, clicked=clicked) for i in range(arms)]

    assert decide_winner(outcomes, "clicked", min_per_arm=0).winner is None


@settings(max_examples=100, deadline=None)
@given(st.lists(counts(), min_size=2, max_size=4), st.integers(1, 5000))
def test_no_winner_below_the_minimum_sample(arms: list[tuple[int, int]], minimum: int) -> None:
    outcomes = [ArmOutcome(chr(65 + i), n, clicked=x) for i, (x, n) in enumerate(arms)]

    verdict = decide_winner(outcomes, "clicked", min_per_arm=minimum)

    if min(n for _, n in arms) < minimum:
        assert verdict.winner is None
        assert verdict.reason.endswith(f"fewer than the {minimum} needed")


@settings(max_examples=150, deadline=None)
@given(st.lists(counts(3000), min_size=2, max_size=5), st.sampled_from([0.01, 0.05, 0.1]))
def test_holm_sits_between_bonferroni_and_raw_tests(arms: list[tuple[int, int]], alpha: float) -> None:
    outcomes = [ArmOutcome(chr(65 + i), n, clicked=x) for i, (x, n) in enumerate(arms)]

    verdict = decide_winner(outcomes, "clicked", alpha=alpha, min_per_arm=0)

    raw = [c.p_value for c in verdict.comparisons]
    better = all(c.difference > 0 for c in verdict.comparisons)
    if verdict.winner is not None:  # Holm never declares what the unadjusted tests would not
        assert verdict.winner == verdict.leader
        assert all(p < alpha for p in raw)
    if better and all(p < alpha / len(raw) for p in raw):  # and declares whatever Bonferroni would
        assert verdict.winner == verdict.leader
    assert all(c.adjusted_p >= c.p_value for c in verdict.comparisons)


# -- simulations ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("arms", [2, 3])
def test_equal_variants_rarely_produce_a_false_winner(arms: int) -> None:
    # given 300 experiments whose variants all convert at 5 %, 2000 sends each
    rng = np.random.default_rng(7 + arms)
    conversions = rng.binomial(2000, 0.05, size=(300, arms))

    winners = sum(
        decide_winner(
            [ArmOutcome(chr(65 + i), 2000, converted=int(x)) for i, x in enumerate(row)], "converted"
        ).winner
        is not None
        for row in conversions
    )

    # then false winners stay near alpha (15 of 300 expected at most), well under 2·alpha
    assert winners <= 2 * 0.05 * 300
