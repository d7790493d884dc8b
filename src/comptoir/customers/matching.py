"""Identity resolution decisions: the pair score, its decision, and clusters that do not chain.

One scoring function, :func:`score_pairs`, serves both the match of each record at ingest (one record
against its few candidates) and batch deduplication (millions of candidate pairs): the comparison
levels of :mod:`~comptoir.customers.comparisons` weighed by the Fellegi–Sunter model of
:mod:`~comptoir.customers.linkage` (learned from the data, stored and versioned). A score is the
log2-odds of the match probability; :data:`AUTO_MERGE_SCORE` and :data:`REVIEW_SCORE` are the
probabilities :data:`~comptoir.customers.linkage.MERGE_PROBABILITY` and
:data:`~comptoir.customers.linkage.REVIEW_PROBABILITY` in that unit.

Two rules sit on top of the model. Two different first names (twins, spouses sharing an e-mail) or
two different birth dates (a father and his son of the same name at the same address) cap the score
below auto-merge whatever the rest says: such pairs reach staff review at most. And a deterministic
key shared exactly — the same e-mail, phone or loyalty card — decides on its own when no other field
disagrees (the e-receipt's bare e-mail address finds its customer).

Self-asserted records (sign-up, web forms) must not join an existing customer before a contact point
is verified: the caller demotes the decision with :func:`decide` ``(score, self_asserted=True)``,
which never answers :data:`MERGE` (an auto-merge becomes a separate customer, ``NO_MATCH``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from comptoir.customers.blocking import MAX_BLOCK, candidate_pairs, person_keys
from comptoir.customers.comparisons import (
    FIELDS,
    Encoded,
    IntArray,
    Levels,
    compare,
    encode,
    encode_people,
)
from comptoir.customers.linkage import (
    AUTO_MERGE_SCORE,
    CONFLICT_CAP,
    DEFAULT_MODEL,
    DISAGREE,
    REVIEW_SCORE,
    MatchModel,
    probability,
    weigh,
)
from comptoir.customers.normalisation import Person

__all__ = [
    "AUTO_MERGE_SCORE", "MAX_BLOCK", "MERGE", "NO_MATCH", "REVIEW", "REVIEW_SCORE", "Encoded", "IntArray",
    "candidate_pairs", "encode", "encode_people", "person_keys",
]  # fmt: skip

Scores = NDArray[np.float64]  # log2-odds of the match probability: float64, compared with thresholds exactly
MERGE, REVIEW, NO_MATCH = "merge", "review", "none"
_COLUMN = {f: i for i, f in enumerate(FIELDS)}
_DETERMINISTIC = ("email", "phone", "loyalty")


def conflicts(levels: Levels) -> NDArray[np.bool_]:
    """Pairs with two different first names or two different birth dates."""
    given = levels[:, _COLUMN["given"]] == DISAGREE["given"]
    result: NDArray[np.bool_] = given | (levels[:, _COLUMN["birth"]] == DISAGREE["birth"])
    return result


def score_levels(model: MatchModel, enc: Encoded, left: IntArray, levels: Levels) -> Scores:
    """Scores of pairs whose comparison levels are known: the model's weight and the two rules."""
    score = weigh(model, enc, left, levels)
    conflict = conflicts(levels)
    shared = np.zeros(len(levels), dtype=bool)
    for f in _DETERMINISTIC:
        shared |= levels[:, _COLUMN[f]] == 1
    disagreeing = np.zeros(len(levels), dtype=bool)
    for f, level in DISAGREE.items():
        if f not in ("street", "locality"):  # a move is no argument against the same e-mail
            disagreeing |= levels[:, _COLUMN[f]] == level
    score = np.where(shared & ~disagreeing, np.maximum(score, AUTO_MERGE_SCORE), score)
    capped: Scores = np.where(conflict, np.minimum(score, CONFLICT_CAP), score)
    return capped


def score_pairs(enc: Encoded, left: IntArray, right: IntArray, model: MatchModel | None = None) -> Scores:
    """The score of each pair of records ``(left[k], right[k])``; see :func:`decide`."""
    if not len(left):
        return np.zeros(0)
    return score_levels(model or DEFAULT_MODEL, enc, left, compare(enc, left, right))


def decide(score: float, *, self_asserted: bool = False) -> str:
    """``MERGE``, ``REVIEW`` or ``NO_MATCH`` for a pair's score.

    ``self_asserted=True`` is for a record its author typed in (sign-up, web form, app profile) whose
    contact points are not verified yet: it never merges into an existing customer, so a would-be
    auto-merge becomes a separate customer (``NO_MATCH``) and a review stays a review."""
    if score >= AUTO_MERGE_SCORE:
        return NO_MATCH if self_asserted else MERGE
    if score >= REVIEW_SCORE:
        return REVIEW
    return NO_MATCH


def score_people(a: Person, b: Person, model: MatchModel | None = None) -> float:
    """The score of one pair (tests, explanations); the very same computation as for millions."""
    enc = encode_people([a, b])
    return float(score_pairs(enc, np.array([0]), np.array([1]), model)[0])


@dataclass(frozen=True)
class Evidence:
    """One field's comparison in a pair: its level, in words, and the weight it added (bits)."""

    field: str
    level: int
    weight: float


def explain_levels(model: MatchModel, levels: Levels) -> list[Evidence]:
    weights = model.weights()
    return [
        Evidence(f, int(level), weights[f][int(level) - 1] if level else 0.0)
        for f, level in zip(FIELDS, levels.tolist(), strict=True)
    ]


def explain_people(
    a: Person, b: Person, model: MatchModel | None = None
) -> tuple[float, float, list[Evidence]]:
    """Score, match probability and per-field evidence of one pair (staff review, ``--explain``)."""
    model = model or DEFAULT_MODEL
    enc = encode_people([a, b])
    left, right = np.array([0]), np.array([1])
    levels = compare(enc, left, right)
    score = float(score_levels(model, enc, left, levels)[0])
    return score, probability(score), explain_levels(model, levels[0])


# -- clusters ------------------------------------------------------------------------------------------


def connected_components(size: int, left: IntArray, right: IntArray) -> IntArray:
    """Cluster label of each record (the smallest record index in its cluster): links are transitive."""
    labels = np.arange(size, dtype=np.int64)
    if not len(left):
        return labels
    while True:
        before = labels.copy()
        low = np.minimum(labels[left], labels[right])
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]  # pointer jumping
        if np.array_equal(labels, before):
            return labels


def cluster_pairs(labels: IntArray, min_size: int = 2) -> tuple[IntArray, IntArray]:
    """Every pair ``(i, j)``, ``i < j``, of records in the same cluster of ``min_size`` or more."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    sizes = np.diff(np.r_[starts, len(labels)])
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for size in np.unique(sizes[sizes >= max(min_size, 2)]).tolist():
        at = starts[sizes == size]
        ii, jj = np.triu_indices(size, 1)
        lefts.append(order[(at[:, None] + ii[None, :]).ravel()])
        rights.append(order[(at[:, None] + jj[None, :]).ravel()])
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    left, right = np.concatenate(lefts), np.concatenate(rights)
    return np.minimum(left, right), np.maximum(left, right)


def _components(members: list[int], links: list[tuple[float, int, int]]) -> dict[int, int]:
    parent = {m: m for m in members}

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {m: root(m) for m in members}


def _split(
    members: list[int],
    links: list[tuple[float, int, int]],
    scores: dict[tuple[int, int], float],
    floor: float,
) -> dict[int, int]:
    """Labels of one cluster's members once its weak links are cut: while two records in conflict
    (scoring below ``floor``) are together, the weakest link whose removal alone separates them is cut.
    Records in conflict that several paths of strong links join stay together: the evidence of many
    records outweighs one conflict (two misspellings of one first name), a single path does not."""
    links = sorted(links, reverse=True)
    in_conflict = [(a, b) for (a, b), s in scores.items() if s < floor]
    labels = _components(members, links)
    while True:
        together = [(a, b) for a, b in in_conflict if labels[a] == labels[b]]
        if not together:
            return labels
        for k in range(len(links) - 1, -1, -1):  # weakest first
            trial = _components(members, links[:k] + links[k + 1 :])
            if any(trial[a] != trial[b] for a, b in together):
                del links[k]
                labels = trial
                break
        else:
            return labels


def resolve_clusters(
    size: int,
    left: IntArray,
    right: IntArray,
    scores: Scores,
    score_within: ScoreFn,
    threshold: float = AUTO_MERGE_SCORE,
) -> tuple[IntArray, int]:
    """Clusters of records linked by pairs scoring ``threshold`` or more, with no chaining: in each
    cluster of three or more, every pair is scored, and a cluster holding a pair in conflict (another
    first name, another birth date: never merged directly) loses its weakest links until none is left
    together. A pair merely short of evidence (one record moved and changed its e-mail) stays joined
    through the others. Returns the labels and the number of clusters split."""
    keep = scores >= threshold
    labels = connected_components(size, left[keep], right[keep])
    cl, cr = cluster_pairs(labels, min_size=3)
    if not len(cl):
        return labels, 0
    within, conflict = score_within(cl, cr)
    within = np.where(conflict, within, np.inf)  # only a conflict breaks a chain
    bad_labels = np.unique(labels[cl[within < threshold]])
    if not len(bad_labels):
        return labels, 0
    in_bad = np.isin(labels[left], bad_labels) & keep
    link_l, link_r, link_s = left[in_bad].tolist(), right[in_bad].tolist(), scores[in_bad].tolist()
    pair_scores: dict[int, dict[tuple[int, int], float]] = {}
    pair_mask = np.isin(labels[cl], bad_labels)
    for a, b, s in zip(
        cl[pair_mask].tolist(), cr[pair_mask].tolist(), within[pair_mask].tolist(), strict=True
    ):
        pair_scores.setdefault(int(labels[a]), {})[(a, b)] = s
    cluster_links: dict[int, list[tuple[float, int, int]]] = {}
    for a, b, s in zip(link_l, link_r, link_s, strict=True):
        cluster_links.setdefault(int(labels[a]), []).append((s, a, b))
    members_of: dict[int, list[int]] = {}
    for index in np.flatnonzero(np.isin(labels, bad_labels)).tolist():
        members_of.setdefault(int(labels[index]), []).append(index)
    cut = 0
    for label, members in members_of.items():
        parts = _split(members, cluster_links.get(label, []), pair_scores.get(label, {}), threshold)
        cut += len(set(parts.values())) > 1
        for member, new in parts.items():
            labels[member] = new
    return labels, cut


class ScoreFn:
    """Scores of pairs not necessarily compared yet (``(left, right) -> scores``), for clustering."""

    def __init__(self, enc: Encoded, model: MatchModel) -> None:
        self.enc, self.model = enc, model

    def __call__(self, left: IntArray, right: IntArray) -> tuple[Scores, NDArray[np.bool_]]:
        """Scores and conflicts (another first name, another birth date) of each pair."""
        levels = compare(self.enc, left, right)
        return score_levels(self.model, self.enc, left, levels), conflicts(levels)
