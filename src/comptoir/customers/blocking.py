"""Blocking: which records are compared at all. Several passes, whose union is compared.

A pair of records is scored only when the two share a blocking key (or, in batch, sit next to each
other in the sorted neighbourhood of their names). Keys are chosen so that a duplicate keeps at least
one of them whatever single field is wrong, missing or swapped:

* ``l:`` ``e:`` ``p:`` — the loyalty card, e-mail and phone, when present;
* ``n:`` — the sounds of both names (Double Metaphone, which reads French, German, Spanish, Italian,
  Slavic and Asian spellings, plus a French sound key), in either order, with the postcode: a typo,
  a phonetic spelling or swapped names keep it;
* ``d:`` — the birth date with day and month in either order (a transposition keeps it) and the
  first sounds of both names;
* ``y:`` — the postcode and the birth year: both names misspelt;
* ``h:`` — the postcode and the house number with the first sound of either name: the birth date
  missing or wrong and a name misspelt;
* ``f:`` — either name's sound with the birth year and month: a move plus a misspelt name;
* ``m:`` — the day and month (either way) with the sounds of both names: a wrong birth year;
* ``a:`` — the street, abbreviations expanded: names and birth date both damaged;
* ``c:`` — the town, the house number and the first sound of either name: a wrong postcode.

A key held by more than :data:`MAX_BLOCK` records does not discriminate (a placeholder e-mail, a
very common name) and is ignored, in batch and at ingest alike. The batch engine adds a sorted
neighbourhood pass (:func:`neighbour_pairs`) on the names written backwards, which catches
spellings whose first letters differ.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from doublemetaphone import doublemetaphone
from numpy.typing import NDArray

from comptoir.customers.normalisation import Person, name_key, phonetic, street_key

IntArray = NDArray[np.int64]

MAX_BLOCK = 100
_HOUSE_NUMBER = re.compile(r"^\s*(\d+)")


@lru_cache(maxsize=400_000)
def name_sounds(raw: str | None) -> tuple[str, ...]:
    """The sound keys of a name: Double Metaphone's primary and alternate codes and the French key.

    ``"Dupont"`` and ``"Dupond"`` share ``"TPNT"``; ``"Schmidt"`` sounds ``"XMT"`` or ``"SMT"``."""
    key = name_key(raw).replace(" ", "")
    if not key:
        return ()
    primary, alternate = doublemetaphone(key)
    return tuple(dict.fromkeys(s for s in (primary[:5], alternate[:5], "f" + phonetic(raw)) if s))


@lru_cache(maxsize=200_000)
def house_number(street: str | None) -> int:
    """The number a street address starts with (its last six digits), 0 without one."""
    found = _HOUSE_NUMBER.match(street or "")
    return int(found.group(1)[-6:]) if found else 0


def _first_sound(raw: str | None) -> str:
    sounds = name_sounds(raw)
    return sounds[0] if sounds else ""


def blocking_keys(
    given: str | None,
    family: str | None,
    email: str | None,
    phone: str | None,
    birth_date: str | None,
    postcode: str | None,
    loyalty_card: str | None,
    street: str | None = None,
    city: str | None = None,
) -> list[str]:
    """Keys under which a record is filed; values are the normalised ones (:class:`Person` fields)."""
    keys: list[str] = []
    if loyalty_card:
        keys.append("l:" + loyalty_card)
    if email:
        keys.append("e:" + email)
    if phone:
        keys.append("p:" + phone)
    f, g = _first_sound(family), _first_sound(given)
    pair = "|".join(sorted(s for s in (f, g) if s))
    initials = "".join(sorted(s[0] for s in (f, g) if s))
    number = house_number(street)
    if postcode:
        if pair:
            keys.append("n:" + pair + ":" + postcode)
        if birth_date:
            keys.append("y:" + postcode + ":" + birth_date[:4])
        if number:
            keys += [f"h:{postcode}:{number}:{s[0]}" for s in (f, g) if s]
    if birth_date and initials:
        year, month, day = birth_date[:4], birth_date[5:7], birth_date[8:10]
        keys.append("d:" + year + min(month, day) + max(month, day) + ":" + initials)
    if birth_date and (f or g):
        keys += [f"f:{s}:{birth_date[:7]}" for s in (f, g) if s]
        month, day = birth_date[5:7], birth_date[8:10]
        keys.append("m:" + min(month, day) + max(month, day) + ":" + pair)
    if street and street_key(street):
        keys.append("a:" + street_key(street))
    if name_key(city) and number:
        keys += [f"c:{name_key(city)}:{number}:{s[0]}" for s in (f, g) if s]
    return list(dict.fromkeys(keys))


def person_keys(p: Person) -> list[str]:
    return blocking_keys(
        p.given_name,
        p.family_name,
        p.email,
        p.phone,
        p.birth_date,
        p.postcode,
        p.loyalty_card,
        p.street,
        p.city,
    )


def record_keys(columns: Mapping[str, Sequence[str | None]]) -> Iterable[list[str]]:
    size = len(columns["family_name"])
    missing: list[str | None] = [None] * size
    return map(
        blocking_keys,
        columns["given_name"],
        columns["family_name"],
        columns["email"],
        columns["phone"],
        columns["birth_date"],
        columns["postcode"],
        columns["loyalty_card"],
        columns.get("street") or missing,
        columns.get("city") or missing,
    )


def _block_pairs(blocks: IntArray, members: IntArray, max_block: int) -> tuple[IntArray, IntArray]:
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
    return np.concatenate(lefts), np.concatenate(rights)


def unique_pairs(left: IntArray, right: IntArray) -> tuple[IntArray, IntArray]:
    """``(min, max)`` of each pair, each pair once, self-pairs dropped."""
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    keep = lo != hi
    lo, hi = lo[keep], hi[keep]
    if not len(lo):
        return lo, hi
    n = int(hi.max()) + 1
    unique = np.unique(lo * n + hi)
    return unique // n, unique % n


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
    left, right = _block_pairs(blocks, members, max_block)
    return unique_pairs(left, right)


def reversed_name_key(given: str | None, family: str | None) -> str:
    """``family given`` written backwards, without spaces: neighbours share their last letters."""
    parts = sorted(k for k in (name_key(family).replace(" ", ""), name_key(given).replace(" ", "")) if k)
    return "".join(parts)[::-1]


SNM_WINDOW = 4
PASSES = {
    "l": "loyalty card", "e": "e-mail", "p": "phone", "n": "name sounds + postcode",
    "d": "birth date (day/month either way) + initials", "y": "postcode + birth year",
    "h": "postcode + house number + name sound", "f": "name sound + birth month",
    "m": "day and month + name sounds", "a": "street", "c": "town + house number + name sound",
    "s": "sorted neighbourhood of the names",
}  # fmt: skip


def name_ranks(columns: Mapping[str, Sequence[str | None]]) -> tuple[list[str], IntArray]:
    """Each record's sorted-neighbourhood key and its rank in that order (-1 without a name)."""
    keys = [
        reversed_name_key(g, f) for g, f in zip(columns["given_name"], columns["family_name"], strict=True)
    ]
    present = np.fromiter((i for i, k in enumerate(keys) if k), dtype=np.int64)
    ranks = np.full(len(keys), -1, dtype=np.int64)
    if len(present):
        order = present[np.argsort(np.asarray([keys[i] for i in present.tolist()]), kind="stable")]
        ranks[order] = np.arange(len(order))
    return keys, ranks


def neighbour_pairs(ranks: IntArray, window: int = SNM_WINDOW) -> tuple[IntArray, IntArray]:
    """The sorted neighbourhood's pairs from each record's rank (:func:`name_ranks`; -1 is left out)."""
    present = np.flatnonzero(ranks >= 0)
    order = present[np.argsort(ranks[present], kind="stable")]
    steps = [step for step in range(1, window) if step < len(order)]
    if not steps:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return np.concatenate([order[:-s] for s in steps]), np.concatenate([order[s:] for s in steps])


def batch_pairs(
    columns: Mapping[str, Sequence[str | None]],
    max_block: int = MAX_BLOCK,
    ranks: IntArray | None = None,
) -> tuple[IntArray, IntArray]:
    """The candidate pairs of a batch: the blocking keys' pairs and the sorted neighbourhood's
    (``ranks`` from :func:`name_ranks` when the caller already has them)."""
    left, right = batch_candidate_pairs(columns, max_block)
    sl, sr = neighbour_pairs(name_ranks(columns)[1] if ranks is None else ranks)
    return unique_pairs(np.concatenate([left, sl]), np.concatenate([right, sr]))


@dataclass(frozen=True)
class BlockingReport:
    """How well blocking reaches the matches, estimated from the pairs the model matched.

    ``per_pass`` is the share of those pairs each pass alone brings to comparison. Were the passes
    independent, the share of all true pairs that no pass reaches would be the product of their
    misses: ``estimated_recall = 1 - prod(1 - share)``. ``single_pass_share`` — pairs found by one pass
    only — tells how much the estimate leans on that assumption (the lower, the safer)."""

    pairs_sampled: int
    per_pass: dict[str, float]
    estimated_recall: float
    single_pass_share: float


def blocking_report(
    columns: Mapping[str, Sequence[str | None]],
    left: IntArray,
    right: IntArray,
    sample: int = 20_000,
    seed: int = 17,
    ranks: IntArray | None = None,
) -> BlockingReport:
    """The :class:`BlockingReport` of matched pairs ``(left, right)`` (a random sample of them)."""
    if len(left) > sample:
        chosen = np.random.default_rng(seed).choice(len(left), sample, replace=False)
        left, right = left[chosen], right[chosen]
    if not len(left):
        return BlockingReport(0, {}, 1.0, 0.0)
    if ranks is None:
        ranks = name_ranks(columns)[1]
    missing: list[str | None] = [None] * len(columns["family_name"])

    fields = (
        "given_name", "family_name", "email", "phone", "birth_date", "postcode", "loyalty_card", "street", "city",
    )  # fmt: skip
    values = [columns.get(f) or missing for f in fields]

    def keys_of(i: int) -> set[str]:
        return set(blocking_keys(*(column[i] for column in values)))

    caught = np.zeros((len(left), len(PASSES)), dtype=bool)
    passes = list(PASSES)
    for row, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        for key in keys_of(a) & keys_of(b):
            caught[row, passes.index(key[0])] = True
    near = (ranks[left] >= 0) & (ranks[right] >= 0) & (np.abs(ranks[left] - ranks[right]) < SNM_WINDOW)
    caught[:, passes.index("s")] = near
    shares = caught.mean(axis=0)
    estimate = 1.0 - float(np.prod(1.0 - shares))
    return BlockingReport(
        pairs_sampled=len(left),
        per_pass={p: float(x) for p, x in zip(passes, shares.tolist(), strict=True)},
        estimated_recall=estimate,
        single_pass_share=float((caught.sum(axis=1) == 1).mean()),
    )


def pair_recall(left: IntArray, right: IntArray, truth: Sequence[int]) -> tuple[float, int]:
    """Share of the true pairs (records of one entity in ``truth``) among ``(left, right)``, and their count."""
    labels = np.asarray(truth, dtype=np.int64)
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    true_pairs = int((counts * (counts - 1) // 2).sum())
    found = int((inverse[left] == inverse[right]).sum())
    return (found / true_pairs if true_pairs else 1.0), true_pairs


# -- the same keys, column-wise, for the batch engine --------------------------------------------------


def _codes(values: Sequence[str | None], derive: Callable[[str], str]) -> IntArray:
    """Per record, a code of ``derive(value)`` (computed once per distinct value), 0 when missing or empty."""
    derived: dict[str, int] = {}
    codes: dict[str, int] = {"": 0}
    for value in dict.fromkeys(v for v in values if v):
        key = derive(value)
        derived[value] = codes.setdefault(key, len(codes)) if key else 0
    return np.fromiter((derived[v] if v else 0 for v in values), dtype=np.int64, count=len(values))


def _per_distinct(values: Sequence[str | None], derive: Callable[[str], int]) -> IntArray:
    cache = {v: derive(v) for v in dict.fromkeys(v for v in values if v)}
    return np.fromiter((cache[v] if v else 0 for v in values), dtype=np.int64, count=len(values))


def batch_keys(columns: Mapping[str, Sequence[str | None]]) -> tuple[IntArray, IntArray]:
    """:func:`blocking_keys` of every record as integers, built column by column: ``(keys, records)``.

    Two records share an integer key exactly when they share a string key, so blocks — and the
    ``MAX_BLOCK`` rule — are the same as at ingest; only the cost differs (no string per key)."""
    size = len(columns["family_name"])
    missing: list[str | None] = [None] * size

    def col(name: str) -> Sequence[str | None]:
        return columns.get(name) or missing

    sounds: dict[str, int] = {"": 0}
    # one vocabulary of sounds for both names, so that swapped names give the same pair
    fvals = {v: _first_sound(v) for v in dict.fromkeys(x for x in col("family_name") if x)}
    gvals = {v: _first_sound(v) for v in dict.fromkeys(x for x in col("given_name") if x)}
    for key in (*fvals.values(), *gvals.values()):
        sounds.setdefault(key, len(sounds))
    f = np.fromiter((sounds[fvals[v]] if v else 0 for v in col("family_name")), dtype=np.int64, count=size)
    g = np.fromiter((sounds[gvals[v]] if v else 0 for v in col("given_name")), dtype=np.int64, count=size)
    letters = np.zeros(len(sounds), dtype=np.int64)
    for text, code in sounds.items():
        letters[code] = ord(text[0]) if text else 0
    fl, gl = letters[f], letters[g]
    radix = len(sounds) + 1
    lo, hi = np.minimum(f, g), np.maximum(f, g)
    lo = np.where(lo == 0, hi, lo)
    hi = np.where((f == 0) | (g == 0), 0, hi)
    pair = lo * radix + hi  # unordered pair of sounds, or one sound; 0 without any
    lo_l, hi_l = np.minimum(fl, gl), np.maximum(fl, gl)
    lo_l = np.where(lo_l == 0, hi_l, lo_l)
    hi_l = np.where((fl == 0) | (gl == 0), 0, hi_l)
    initials = lo_l * 128 + hi_l
    postcode = _codes(col("postcode"), str)
    birth = _per_distinct(col("birth_date"), lambda v: int(v.replace("-", "")))
    year, month, day = birth // 10000, birth // 100 % 100, birth % 100
    month_day = np.minimum(month, day) * 100 + np.maximum(month, day)
    number = _per_distinct(col("street"), house_number)
    street = _codes(col("street"), street_key)
    city = _codes(col("city"), name_key)
    has_birth, has_post, has_pair = birth != 0, postcode != 0, pair != 0
    card, email, phone = (_codes(col(name), str) for name in ("loyalty_card", "email", "phone"))
    passes: list[tuple[NDArray[np.bool_], IntArray]] = [
        (card != 0, card),
        (email != 0, email),
        (phone != 0, phone),
        (has_post & has_pair, pair * 1_000_003 + postcode),
        (has_post & has_birth, postcode * 10_000 + year),
        (has_post & (number != 0) & (fl != 0), (postcode * 1_000_000 + number) * 128 + fl),
        (has_post & (number != 0) & (gl != 0) & (gl != fl), (postcode * 1_000_000 + number) * 128 + gl),
        (has_birth & (initials != 0), (year * 10_000 + month_day) * 16_384 + initials),
        (has_birth & (f != 0), f * 1_000_000 + year * 100 + month),
        (has_birth & (g != 0) & (g != f), g * 1_000_000 + year * 100 + month),
        (has_birth & has_pair, pair * 10_000 + month_day),
        (street != 0, street),
        ((city != 0) & (number != 0) & (fl != 0), (city * 1_000_000 + number) * 128 + fl),
        ((city != 0) & (number != 0) & (gl != 0) & (gl != fl), (city * 1_000_000 + number) * 128 + gl),
    ]
    # the pass kinds of the string keys: f and g of one kind share a namespace ("h:", "f:", "c:")
    kinds = [0, 1, 2, 3, 4, 5, 5, 6, 7, 7, 8, 9, 10, 10]
    keys: list[IntArray] = []
    members: list[IntArray] = []
    records = np.arange(size, dtype=np.int64)
    for (valid, values), kind in zip(passes, kinds, strict=True):
        keys.append(values[valid] * 16 + kind)
        members.append(records[valid])
    return np.concatenate(keys), np.concatenate(members)


def batch_candidate_pairs(
    columns: Mapping[str, Sequence[str | None]], max_block: int = MAX_BLOCK
) -> tuple[IntArray, IntArray]:
    """:func:`candidate_pairs` of :func:`record_keys`, column-wise (the same pairs, far faster)."""
    keys, members = batch_keys(columns)
    _, blocks = np.unique(keys, return_inverse=True)
    left, right = _block_pairs(blocks.astype(np.int64), members, max_block)
    return unique_pairs(left, right)
