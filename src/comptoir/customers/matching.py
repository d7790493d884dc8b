"""Identity resolution rules: blocking keys, the pair score and its decision, clusters.

One scoring function, :func:`score_pairs`, vectorised with numpy and rapidfuzz, serves both the
matching of each record at ingest (one record against its few candidates) and batch deduplication
(millions of candidate pairs). So the precision and recall measured by ``bench/identity.py`` are the
product's, and ingest decides exactly as the batch engine would.

The score is a sum of agreement points in the Fellegi–Sunter spirit (each comparison outcome adds
or removes evidence). The deterministic keys — the same e-mail, phone or loyalty card — decide on
their own when no other comparison disagrees (a bare e-mail from the e-receipt finds its customer).
Two conflicts cap the score below the auto-merge threshold whatever the rest says: two different
first names (twins, spouses sharing an e-mail) and two different birth dates (a father and his son
of the same name at the same address). Those pairs go to staff review at most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from comptoir.customers.normalisation import Person, name_key, phonetic, street_key

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float32]

# A key shared by more records than this does not discriminate (a placeholder e-mail, a very common
# name): it is ignored, in batch and at ingest alike.
MAX_BLOCK = 100

AUTO_MERGE_SCORE = 9.0
REVIEW_SCORE = 6.5  # names alone (6 points) never reach staff review
# Where a conflict caps the score: just below auto-merge, so such pairs can still reach review.
CONFLICT_CAP = AUTO_MERGE_SCORE - 0.5

MERGE, REVIEW, NO_MATCH = "merge", "review", "none"


@dataclass(frozen=True)
class Weights:
    """Points for each comparison outcome; a missing value on either side counts 0."""

    loyalty_same: float = 12.0
    loyalty_diff: float = -6.0
    email_same: float = 5.0
    email_near: float = 2.0  # at most 2 edits apart: a typo
    email_diff: float = -1.0
    phone_same: float = 5.0
    phone_near: float = 2.0  # one digit wrong or two swapped
    phone_diff: float = -1.0
    birth_same: float = 4.0
    birth_near: float = 1.0  # one of day, month, year differs, or day and month swapped
    birth_diff: float = -5.0
    name_high: float = 3.0  # per name, Jaro–Winkler ≥ name_high_sim
    name_mid: float = 1.5  # ≥ name_mid_sim: a typo
    name_diff: float = -3.5
    name_high_sim: float = 0.97
    name_mid_sim: float = 0.88
    given_conflict_sim: float = 0.75  # first names further apart than this are two people
    swap_penalty: float = 0.5  # names matched crosswise are slightly less convincing
    postcode_same: float = 1.0
    street_same: float = 2.0  # only with the same postcode
    street_sim: float = 0.9


WEIGHTS = Weights()


# -- blocking ----------------------------------------------------------------------------------------


def blocking_keys(
    given: str | None,
    family: str | None,
    email: str | None,
    phone: str | None,
    birth_date: str | None,
    postcode: str | None,
    loyalty_card: str | None,
) -> list[str]:
    """Keys under which a record is filed; only records sharing a key are ever compared.

    Each kind of duplicate keeps at least one: a typo in a name (e-mail, phone, birth date), swapped
    names (name keys are symmetric), a move (e-mail, phone, birth date), a new e-mail (phone, names
    + postcode, birth date). A key on the names alone is left out on purpose: at a million records
    it multiplies candidate pairs by twenty-five and finds no pair the others miss that would score
    high enough to merge. Values are the normalised ones (:class:`Person` fields)."""
    keys: list[str] = []
    if loyalty_card:
        keys.append("l:" + loyalty_card)
    if email:
        keys.append("e:" + email)
    if phone:
        keys.append("p:" + phone)
    a, b = phonetic(family), phonetic(given)
    if a or b:
        pair = (a + "|" + b if a <= b else b + "|" + a) if a and b else a or b
        if postcode:
            keys.append("n:" + pair + ":" + postcode)
        if birth_date:
            initials = "".join(sorted(s[0] for s in (a, b) if s))
            keys.append("b:" + birth_date + ":" + initials)
    return keys


def person_keys(p: Person) -> list[str]:
    return blocking_keys(
        p.given_name, p.family_name, p.email, p.phone, p.birth_date, p.postcode, p.loyalty_card
    )


def candidate_pairs(
    record_keys: Iterable[Sequence[str]], max_block: int = MAX_BLOCK
) -> tuple[IntArray, IntArray]:
    """Every pair ``(i, j)``, ``i < j``, of records sharing a key of at most ``max_block`` records, once."""
    counts: list[int] = []
    flat: list[str] = []
    for keys in record_keys:
        counts.append(len(keys))
        flat += keys
    codes: dict[str, int] = {}
    blocks = np.fromiter((codes.setdefault(k, len(codes)) for k in flat), dtype=np.int64, count=len(flat))
    del codes, flat
    members = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    order = np.argsort(blocks, kind="stable")
    blocks, members = blocks[order], members[order]
    starts = np.flatnonzero(np.r_[True, blocks[1:] != blocks[:-1]])
    sizes = np.diff(np.r_[starts, len(blocks)])
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for size in range(2, max_block + 1):
        at = starts[sizes == size]
        if not len(at):
            continue
        ii, jj = np.triu_indices(size, 1)
        lefts.append(members[(at[:, None] + ii[None, :]).ravel()])
        rights.append(members[(at[:, None] + jj[None, :]).ravel()])
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    left, right = np.concatenate(lefts), np.concatenate(rights)
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    n = int(hi.max()) + 1
    unique = np.unique(lo * n + hi)
    return unique // n, unique % n


# -- encoded records ---------------------------------------------------------------------------------


class _Vocab:
    """Strings to small integer codes; code 0 is "missing"."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {"": 0}
        self.values: list[str] = [""]

    def encode(self, values: Iterable[str | None]) -> NDArray[np.int32]:
        codes = self.codes
        setdefault = codes.setdefault
        out = np.fromiter((setdefault(v, len(codes)) if v else 0 for v in values), dtype=np.int32)
        self.values.extend(list(codes)[len(self.values) :])
        return out


@dataclass
class Encoded:
    """Records as columns of integer codes, ready for vectorised comparison."""

    size: int
    given: NDArray[np.int32]
    family: NDArray[np.int32]
    names: list[str]  # vocabulary shared by given and family names (crosswise comparison)
    email: NDArray[np.int32]
    emails: list[str]
    phone: NDArray[np.int32]
    phones: list[str]
    birth: NDArray[np.int32]  # yyyymmdd, 0 when missing
    postcode: NDArray[np.int32]
    street: NDArray[np.int32]
    streets: list[str]  # as written (normalised); compared by street_key, computed only where needed
    loyalty: NDArray[np.int32]


def _birth_int(value: str | None) -> int:
    return int(value.replace("-", "")) if value else 0


def encode(columns: dict[str, Sequence[str | None]]) -> Encoded:
    """Encode normalised columns (the :class:`Person` fields, equally long) for :func:`score_pairs`."""
    size = len(columns["family_name"])
    names, emails, phones, streets = _Vocab(), _Vocab(), _Vocab(), _Vocab()
    postcodes, cards = _Vocab(), _Vocab()
    return Encoded(
        size=size,
        given=names.encode(name_key(v) if v else None for v in columns["given_name"]),
        family=names.encode(name_key(v) if v else None for v in columns["family_name"]),
        names=names.values,
        email=emails.encode(columns["email"]),
        emails=emails.values,
        phone=phones.encode(columns["phone"]),
        phones=phones.values,
        birth=np.asarray([_birth_int(v) for v in columns["birth_date"]], dtype=np.int32),
        postcode=postcodes.encode(columns["postcode"]),
        street=streets.encode(columns["street"]),
        streets=streets.values,
        loyalty=cards.encode(columns["loyalty_card"]),
    )


def encode_people(people: Sequence[Person]) -> Encoded:
    return encode({f: [getattr(p, f) for p in people] for f in Person.__slots__})


# -- scoring -------------------------------------------------------------------------------------------


def pairwise(left: list[str], right: list[str], scorer: Any, **kwargs: Any) -> FloatArray:
    """``scorer(left[k], right[k])`` for each k: rapidfuzz's C loop (on both cores) for many pairs, a
    plain loop for the few candidates of one ingest, where starting the C loop would cost more."""
    if len(left) < 256:
        return np.asarray(
            [scorer(x, y, **kwargs) for x, y in zip(left, right, strict=True)], dtype=np.float32
        )
    workers = -1 if len(left) >= 50_000 else 1
    result: FloatArray = process.cpdist(left, right, scorer=scorer, workers=workers, **kwargs).astype(
        np.float32
    )
    return result


def _similarity(
    left: NDArray[np.int32], right: NDArray[np.int32], vocab: list[str], scorer: Any, *, dedupe: bool
) -> FloatArray:
    """``scorer`` of each pair of codes (0 where either is missing), computing each distinct pair once."""
    out = np.zeros(len(left), dtype=np.float32)
    present = (left != 0) & (right != 0)
    if not present.any():
        return out
    a, b = left[present].astype(np.int64), right[present].astype(np.int64)
    if dedupe:
        size = len(vocab)
        unique, inverse = np.unique(np.minimum(a, b) * size + np.maximum(a, b), return_inverse=True)
        a, b = unique // size, unique % size
    sims = pairwise([vocab[i] for i in a.tolist()], [vocab[i] for i in b.tolist()], scorer)
    out[present] = sims[inverse] if dedupe else sims
    return out


def _street_similarity(left: NDArray[np.int32], right: NDArray[np.int32], streets: list[str]) -> FloatArray:
    """Jaro–Winkler similarity of the street keys ("av." and "avenue" agree), 0 where one is missing."""
    out = np.zeros(len(left), dtype=np.float32)
    present = (left != 0) & (right != 0)
    out[present & (left == right)] = 1.0
    differ = present & (left != right)
    if differ.any():
        a, b = left[differ].tolist(), right[differ].tolist()
        keys = {code: street_key(streets[code]) for code in {*a, *b}}
        out[differ] = pairwise([keys[c] for c in a], [keys[c] for c in b], JaroWinkler.normalized_similarity)
    return out


def _name_points(sim: FloatArray, present: NDArray[np.bool_], w: Weights) -> FloatArray:
    points = np.select(
        [sim >= w.name_high_sim, sim >= w.name_mid_sim], [w.name_high, w.name_mid], w.name_diff
    )
    return np.where(present, points, 0.0).astype(np.float32)


def _exact(left: NDArray[np.int32], right: NDArray[np.int32], same: float, diff: float) -> FloatArray:
    both = (left != 0) & (right != 0)
    return np.where(both, np.where(left == right, same, diff), 0.0).astype(np.float32)


def _near_or_diff(
    left: NDArray[np.int32],
    right: NDArray[np.int32],
    vocab: list[str],
    distance: Any,
    max_distance: int,
    w_same: float,
    w_near: float,
    w_diff: float,
) -> FloatArray:
    points = _exact(left, right, w_same, w_diff)
    differ = (left != 0) & (right != 0) & (left != right)
    if differ.any():
        a, b = left[differ].tolist(), right[differ].tolist()
        dist = pairwise([vocab[i] for i in a], [vocab[i] for i in b], distance, score_cutoff=max_distance + 1)
        points[differ] = np.where(dist <= max_distance, w_near, w_diff)
    return points


def _birth_points(
    a: NDArray[np.int32], b: NDArray[np.int32], w: Weights
) -> tuple[FloatArray, NDArray[np.bool_]]:
    both = (a != 0) & (b != 0)
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    same_parts = (ya == yb).astype(np.int8) + (ma == mb) + (da == db)
    swapped = (ya == yb) & (ma == db) & (da == mb)
    near = (same_parts == 2) | swapped
    points = np.select([a == b, near], [w.birth_same, w.birth_near], w.birth_diff)
    conflict = both & (a != b) & ~near
    return np.where(both, points, 0.0).astype(np.float32), conflict


def score_pairs(enc: Encoded, left: IntArray, right: IntArray, w: Weights = WEIGHTS) -> FloatArray:
    """The score of each pair of records ``(left[k], right[k])``; see :func:`decide`."""
    g1, g2 = enc.given[left], enc.given[right]
    f1, f2 = enc.family[left], enc.family[right]
    jw = JaroWinkler.normalized_similarity
    sim_gg = _similarity(g1, g2, enc.names, jw, dedupe=True)
    sim_ff = _similarity(f1, f2, enc.names, jw, dedupe=True)
    sim_gf = _similarity(g1, f2, enc.names, jw, dedupe=True)
    sim_fg = _similarity(f1, g2, enc.names, jw, dedupe=True)
    has_g = (g1 != 0) & (g2 != 0)
    has_f = (f1 != 0) & (f2 != 0)
    straight = _name_points(sim_gg, has_g, w) + _name_points(sim_ff, has_f, w)
    all_four = (g1 != 0) & (g2 != 0) & (f1 != 0) & (f2 != 0)
    crossed = np.where(
        all_four,
        _name_points(sim_gf, all_four, w) + _name_points(sim_fg, all_four, w) - w.swap_penalty,
        -np.inf,
    ).astype(np.float32)
    use_crossed = crossed > straight
    score = np.maximum(straight, crossed)
    # The first name compared in the chosen alignment decides the first-name conflict.
    given_sim = np.where(use_crossed, sim_gf, sim_gg)
    given_present = np.where(use_crossed, all_four, has_g)
    conflict = given_present & (given_sim < w.given_conflict_sim)

    loyalty = _exact(enc.loyalty[left], enc.loyalty[right], w.loyalty_same, w.loyalty_diff)
    email = _near_or_diff(
        enc.email[left], enc.email[right], enc.emails, Levenshtein.distance, 2,
        w.email_same, w.email_near, w.email_diff,
    )  # fmt: skip
    phone = _near_or_diff(
        enc.phone[left], enc.phone[right], enc.phones, OSA.distance, 1,
        w.phone_same, w.phone_near, w.phone_diff,
    )  # fmt: skip
    # Points of the deterministic keys the two records share exactly (e-mail, phone, loyalty card).
    shared_keys = (
        np.where(loyalty == w.loyalty_same, loyalty, 0.0)
        + np.where(email == w.email_same, email, 0.0)
        + np.where(phone == w.phone_same, phone, 0.0)
    )
    score += loyalty + email + phone
    birth, birth_conflict = _birth_points(enc.birth[left], enc.birth[right], w)
    score += birth
    conflict |= birth_conflict

    p1, p2 = enc.postcode[left], enc.postcode[right]
    same_postcode = (p1 != 0) & (p1 == p2)
    score += np.where(same_postcode, w.postcode_same, 0.0).astype(np.float32)
    if same_postcode.any():
        s1 = np.where(same_postcode, enc.street[left], 0).astype(np.int32)
        s2 = np.where(same_postcode, enc.street[right], 0).astype(np.int32)
        score += np.where(_street_similarity(s1, s2, enc.streets) >= w.street_sim, w.street_same, 0.0)
    # A deterministic key decides when nothing else disagrees: the e-receipt's bare e-mail address
    # finds its customer. Anything against it (another family name, another phone) leaves the score.
    deterministic = (shared_keys > 0) & (score - shared_keys >= 0)
    score = np.where(deterministic, np.maximum(score, AUTO_MERGE_SCORE), score)
    capped: FloatArray = np.where(conflict, np.minimum(score, CONFLICT_CAP), score).astype(np.float32)
    return capped


def decide(score: float) -> str:
    if score >= AUTO_MERGE_SCORE:
        return MERGE
    if score >= REVIEW_SCORE:
        return REVIEW
    return NO_MATCH


def score_people(a: Person, b: Person, w: Weights = WEIGHTS) -> float:
    """The score of one pair (tests, explanations); the very same computation as for millions."""
    enc = encode_people([a, b])
    return float(score_pairs(enc, np.array([0]), np.array([1]), w)[0])


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


def cluster_pairs(labels: IntArray) -> tuple[IntArray, IntArray]:
    """Every pair ``(i, j)``, ``i < j``, of records in the same cluster."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    sizes = np.diff(np.r_[starts, len(labels)])
    lefts: list[IntArray] = []
    rights: list[IntArray] = []
    for size in np.unique(sizes[sizes > 1]).tolist():
        at = starts[sizes == size]
        ii, jj = np.triu_indices(size, 1)
        lefts.append(order[(at[:, None] + ii[None, :]).ravel()])
        rights.append(order[(at[:, None] + jj[None, :]).ravel()])
    if not lefts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    left, right = np.concatenate(lefts), np.concatenate(rights)
    return np.minimum(left, right), np.maximum(left, right)
