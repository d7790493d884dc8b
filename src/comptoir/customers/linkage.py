"""The Fellegi–Sunter model of identity resolution, learned from the data by expectation–maximisation.

For each field ``f`` and agreement level ``l`` (:mod:`~comptoir.customers.comparisons`), ``m[f][l]`` is
the probability of that level between two records of one person and ``u[f][l]`` between two records of
different people. A pair's match weight is the prior log-odds plus ``log2(m / u)`` of each field's level
(a missing value adds nothing), plus a term-frequency adjustment of an exact name agreement: agreeing on
a rare surname weighs more than agreeing on "Martin". The weight is the log2-odds of the match
probability, so the auto-merge and review thresholds are stated as probabilities
(:data:`MERGE_PROBABILITY`, :data:`REVIEW_PROBABILITY`).

``m``, ``u`` and the prior are learned by EM over the candidate pairs of a batch (the comparison
patterns are few, so EM runs on distinct patterns with their counts). Before any batch was learned,
the starting values of EM serve (:data:`DEFAULT_MODEL`), as the leading open-source linkers do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from comptoir.customers.comparisons import FIELDS, LEVELS, Encoded, IntArray, Levels, compare

FloatArray = NDArray[np.float64]

MERGE_PROBABILITY = 0.99
REVIEW_PROBABILITY = 0.5


def log_odds(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


AUTO_MERGE_SCORE = log_odds(MERGE_PROBABILITY)
REVIEW_SCORE = log_odds(REVIEW_PROBABILITY)
# Where a conflict caps the weight: just below auto-merge, so such pairs can still reach review.
CONFLICT_CAP = AUTO_MERGE_SCORE - 0.5
TF_CLIP = 4.0  # bits: the most a name's rarity or commonness moves the weight
TF_KEPT = 20_000  # names per field whose frequency the stored model keeps
# Levels that disagree (a conflict for first names and birth dates, a veto on deterministic keys).
DISAGREE = {
    "given": 4,
    "family": 4,
    "birth": 4,
    "street": 3,
    "locality": 3,
    "email": 3,
    "phone": 3,
    "loyalty": 2,
}

# Starting values of EM, and the model used before any batch was learned: m and u of each level 1..n.
_START_M = {
    "given": [0.85, 0.09, 0.05, 0.01], "family": [0.85, 0.08, 0.03, 0.04], "order": [0.9, 0.1],
    "birth": [0.9, 0.09, 0.005, 0.005], "street": [0.8, 0.1, 0.1], "locality": [0.85, 0.1, 0.05],
    "email": [0.8, 0.05, 0.15], "phone": [0.8, 0.05, 0.15], "loyalty": [0.95, 0.05],
}  # fmt: skip
_START_U = {
    "given": [0.02, 0.02, 0.06, 0.9], "family": [0.05, 0.02, 0.08, 0.85], "order": [0.9, 0.1],
    "birth": [0.002, 0.01, 0.03, 0.958], "street": [0.01, 0.01, 0.98], "locality": [0.05, 0.1, 0.85],
    "email": [0.0005, 0.0005, 0.999], "phone": [0.0005, 0.0005, 0.999], "loyalty": [0.0001, 0.9999],
}  # fmt: skip


@dataclass
class TermFrequencies:
    """How common each name is, per field: frequencies of the most common names, and the one assumed
    for a name not kept (the least common kept)."""

    given: dict[str, float] = field(default_factory=dict)
    family: dict[str, float] = field(default_factory=dict)
    given_sum_sq: float = 0.0  # sum of squared frequencies: the chance two random records agree
    family_sum_sq: float = 0.0

    def adjustment(self, which: str, names: list[str]) -> FloatArray:
        table = self.given if which == "given" else self.family
        sum_sq = self.given_sum_sq if which == "given" else self.family_sum_sq
        if not table or sum_sq <= 0:
            return np.zeros(len(names))
        floor = min(table.values())
        freq = np.asarray([table.get(n, floor) for n in names], dtype=np.float64)
        return np.asarray(np.clip(np.log2(sum_sq / freq), -TF_CLIP, TF_CLIP))


@dataclass
class MatchModel:
    """Learned parameters; ``version`` is the stored row's, 0 for the built-in starting values."""

    prior: float
    m: dict[str, list[float]]
    u: dict[str, list[float]]
    tf: TermFrequencies = field(default_factory=TermFrequencies)
    version: int = 0
    trained_on: dict[str, Any] = field(default_factory=dict)  # records, pairs, iterations…

    def weights(self) -> dict[str, list[float]]:
        """``log2(m / u)`` of each level of each field: the evidence the level brings, in bits."""
        return {f: [math.log2(m / u) for m, u in zip(self.m[f], self.u[f], strict=True)] for f in FIELDS}

    def weight_table(self) -> FloatArray:
        """Weights as a (field, level) table, level 0 (missing) weighing nothing."""
        table = np.zeros((len(FIELDS), max(LEVELS.values()) + 1))
        for i, w in enumerate(self.weights().values()):
            table[i, 1 : len(w) + 1] = w
        return table

    def as_json(self) -> dict[str, Any]:
        return {
            "prior": self.prior,
            "m": self.m,
            "u": self.u,
            "tf": {
                "given": self.tf.given,
                "family": self.tf.family,
                "given_sum_sq": self.tf.given_sum_sq,
                "family_sum_sq": self.tf.family_sum_sq,
            },
            "trained_on": self.trained_on,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], version: int = 0) -> MatchModel:
        tf = data.get("tf") or {}
        return cls(
            prior=float(data["prior"]),
            m={f: [float(x) for x in data["m"][f]] for f in FIELDS},
            u={f: [float(x) for x in data["u"][f]] for f in FIELDS},
            tf=TermFrequencies(
                given=dict(tf.get("given") or {}),
                family=dict(tf.get("family") or {}),
                given_sum_sq=float(tf.get("given_sum_sq") or 0.0),
                family_sum_sq=float(tf.get("family_sum_sq") or 0.0),
            ),
            version=version,
            trained_on=dict(data.get("trained_on") or {}),
        )


DEFAULT_MODEL = MatchModel(prior=0.001, m=_START_M, u=_START_U)


# -- learning ------------------------------------------------------------------------------------------


def patterns(levels: Levels) -> tuple[Levels, IntArray, IntArray]:
    """The distinct comparison patterns, their counts, and each pair's pattern index."""
    radix = max(LEVELS.values()) + 1
    codes = np.zeros(len(levels), dtype=np.int64)
    for column in range(levels.shape[1]):
        codes = codes * radix + levels[:, column]
    unique, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    decoded = np.zeros((len(unique), levels.shape[1]), dtype=np.int8)
    rest = unique.copy()
    for column in reversed(range(levels.shape[1])):
        decoded[:, column] = rest % radix
        rest //= radix
    return decoded, counts.astype(np.int64), inverse.astype(np.int64)


def _log_likelihood(table: Levels, probs: dict[str, list[float]]) -> FloatArray:
    total = np.zeros(len(table))
    for column, f in enumerate(FIELDS):
        logs = np.r_[0.0, np.log(np.asarray(probs[f]))]
        total += logs[table[:, column]]
    return total


def expectation_maximisation(
    table: Levels, counts: IntArray, start: MatchModel = DEFAULT_MODEL, iterations: int = 60
) -> tuple[float, dict[str, list[float]], dict[str, list[float]], int]:
    """The share of matches, m and u among pairs with the distinct patterns ``table`` seen ``counts``
    times (two latent classes, fields independent given the class); returns them and the iterations."""
    prior, m, u = (
        start.prior,
        {f: list(v) for f, v in start.m.items()},
        {f: list(v) for f, v in start.u.items()},
    )
    prior = max(prior, 0.05)  # among candidates, matches are far from rare
    weights = counts.astype(np.float64)
    done = 0
    while done < iterations:
        done += 1
        lm = math.log(prior) + _log_likelihood(table, m)
        lu = math.log(1.0 - prior) + _log_likelihood(table, u)
        posterior = 1.0 / (1.0 + np.exp(np.clip(lu - lm, -50, 50)))
        wm, wu = weights * posterior, weights * (1.0 - posterior)
        new_prior = float(np.clip(wm.sum() / weights.sum(), 1e-9, 1 - 1e-9))
        shift = abs(new_prior - prior)
        prior = new_prior
        for column, f in enumerate(FIELDS):
            sm = np.bincount(table[:, column], wm, minlength=LEVELS[f] + 1)[1:] + 1e-3
            su = np.bincount(table[:, column], wu, minlength=LEVELS[f] + 1)[1:] + 1e-3
            new_m = (sm / sm.sum()).tolist()
            shift = max(shift, max(abs(a - b) for a, b in zip(new_m, m[f], strict=True)))
            m[f], u[f] = new_m, (su / su.sum()).tolist()
        if shift < 1e-5:
            break
    return prior, m, u, done


def random_pair_u(enc: Encoded, samples: int = 100_000, seed: int = 29) -> dict[str, list[float]]:
    """u of each level: how often two records drawn at random (almost always two people) compare so."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, enc.size, samples)
    right = rng.integers(0, enc.size, samples)
    keep = left != right
    levels = compare(enc, left[keep], right[keep])
    u: dict[str, list[float]] = {}
    for column, f in enumerate(FIELDS):
        counts = np.bincount(levels[:, column], minlength=LEVELS[f] + 1)[1:] + 0.5
        u[f] = (counts / counts.sum()).tolist()
    return u


def term_frequencies(enc: Encoded) -> TermFrequencies:
    """Frequencies of first and family names among the records."""
    tables: list[dict[str, float]] = []
    sums: list[float] = []
    for codes in (enc.given, enc.family):
        counts = np.bincount(codes, minlength=len(enc.names))[1:]
        total = counts.sum()
        if not total:
            tables.append({})
            sums.append(0.0)
            continue
        freq = counts / total
        sums.append(float((freq**2).sum()))
        top = np.argsort(-counts, kind="stable")[:TF_KEPT]
        top = top[counts[top] > 0]
        tables.append({enc.names[int(i) + 1]: float(freq[i]) for i in top})
    return TermFrequencies(tables[0], tables[1], sums[0], sums[1])


MIN_PAIRS_TO_LEARN = 1000  # fewer candidate pairs say too little to learn from


def learn(enc: Encoded, levels: Levels, start: MatchModel = DEFAULT_MODEL) -> MatchModel:
    """A model learned from a batch; ``start`` itself when the batch is too small (:data:`MIN_PAIRS_TO_LEARN`).

    EM over the comparison levels of the candidate pairs separates matches from non-matches there:
    it gives m (nearly every match is a candidate, so m among candidates is m) and the number of
    matches. u comes from random pairs of the records instead: non-matches among candidates look
    alike by construction (they share a blocking key), random ones are what "two people" means. The
    prior is the chance that a random pair matches: the matches found over all pairs. As the blocking
    keys derive from the compared fields, a pair's match probability given its levels is then the
    same among candidates as among all pairs, and the weights hold at ingest."""
    if len(levels) < MIN_PAIRS_TO_LEARN or enc.size < 3:
        return start
    u = random_pair_u(enc)
    table, counts, _ = patterns(levels)
    share, m, _, iterations = expectation_maximisation(table, counts, start)
    all_pairs = enc.size * (enc.size - 1) / 2
    prior = min(share * len(levels) / all_pairs, 0.5)
    return MatchModel(
        prior=prior,
        m=m,
        u=u,
        tf=term_frequencies(enc),
        trained_on={
            "records": enc.size,
            "pairs": len(levels),
            "patterns": len(table),
            "iterations": iterations,
            "candidate_match_share": share,
        },
    )


def has_shifted(old: MatchModel, new: MatchModel, *, bits: float = 1.0) -> bool:
    """Whether the data moved enough for the newer model to replace the older: some level's weight or
    the prior's log-odds moved by ``bits`` or more."""
    if old.version == 0:
        return True
    old_w, new_w = old.weight_table(), new.weight_table()
    moved = float(np.abs(old_w - new_w).max())
    return moved >= bits or abs(log_odds(old.prior) - log_odds(new.prior)) >= bits


# -- scoring -------------------------------------------------------------------------------------------


def weigh(model: MatchModel, enc: Encoded, left: IntArray, levels: Levels) -> FloatArray:
    """The match weight (log2-odds of the match probability) of each pair, before conflict rules."""
    table = model.weight_table()
    score = np.full(len(levels), log_odds(model.prior))
    for column in range(len(FIELDS)):
        score += table[column][levels[:, column]]
    for which, codes, column in (("given", enc.given, 0), ("family", enc.family, 1)):
        exact = np.flatnonzero(levels[:, column] == 1)
        if len(exact):
            # The exact level's weight is the average over names: each name moves it by its rarity.
            values = codes[left[exact]]
            used = np.unique(values)
            per_code = np.zeros(len(enc.names))
            per_code[used] = model.tf.adjustment(which, [enc.names[c] for c in used.tolist()])
            score[exact] += per_code[values]
    return score


def probability(score: float) -> float:
    return float(1.0 / (1.0 + 2.0 ** (-float(score))))
