"""Comparison vectors: for each pair of records, the agreement level of each field.

Records are encoded once as columns of integer codes (:func:`encode`); the level of every field of
millions of pairs is then computed with numpy and rapidfuzz (each distinct pair of values once). The
levels are what the Fellegi–Sunter model (:mod:`~comptoir.customers.linkage`) learns weights for.
Level 0 is always "missing on either side": it carries no evidence.

=========  =============================================================================================
field      levels after 0
=========  =============================================================================================
given      1 same · 2 a nickname, the same sound, or Jaro–Winkler ≥ 0.92 · 3 an initial, a short form,
           or two edits (one up to three letters) · 4 other
family     1 same · 2 Jaro–Winkler ≥ 0.92 · 3 ≥ 0.75, or the same sound · 4 other
order      1 given and family names as written · 2 swapped (the alignment that agrees best is used)
birth      1 same · 2 one of day, month, year differs, or day and month swapped · 3 within a year
           (two slips) · 4 other
street     1 same (abbreviations expanded) · 2 Jaro–Winkler ≥ 0.90 · 3 other
locality   1 same postcode and town · 2 one of them the same · 3 neither
email      1 same · 2 at most two edits apart · 3 other
phone      1 same · 2 one digit wrong or two swapped · 3 other
loyalty    1 same · 2 other
=========  =============================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from comptoir.customers.normalisation import Person, name_key, phonetic, street_key

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float32]
Levels = NDArray[np.int8]

FIELDS = ("given", "family", "order", "birth", "street", "locality", "email", "phone", "loyalty")
LEVELS = {
    "given": 4, "family": 4, "order": 2, "birth": 4, "street": 3, "locality": 3, "email": 3, "phone": 3,
    "loyalty": 2,
}  # fmt: skip
_LEVEL_NAMES = {
    "given": ("exact", "near", "weak", "other"), "family": ("exact", "near", "weak", "other"),
    "order": ("as-written", "swapped"), "birth": ("exact", "near", "close", "other"), "street": ("exact", "near", "other"),
    "locality": ("both", "one", "neither"), "email": ("exact", "near", "other"), "phone": ("exact", "near", "other"),
    "loyalty": ("exact", "other"),
}  # fmt: skip


def level_names(field: str) -> tuple[str, ...]:
    """Short English names of a field's levels, index 0 being "missing" (CLI output, CSV columns)."""
    return ("missing", *_LEVEL_NAMES[field])


NAME_HIGH, NAME_MID, STREET_NEAR = 0.92, 0.75, 0.90

# Short forms of first names, both ways (compared on name keys: no accents, lower case).
NICKNAMES: dict[str, set[str]] = {}
for _full, _shorts in {
    "alexandre": "alex", "alexandra": "alex sandra", "alexis": "alex", "christophe": "chris", "christine": "chris",
    "christian": "chris", "nicolas": "nico", "frederic": "fred", "frederique": "fred", "sebastien": "seb",
    "stephanie": "steph", "stephane": "steph", "valerie": "val", "thomas": "tom", "maximilien": "max",
    "maxime": "max", "dominique": "dom", "catherine": "cathy cath", "elisabeth": "babeth elisa lise",
    "elizabeth": "liz beth betty", "isabelle": "isa", "benjamin": "ben", "guillaume": "will guigui",
    "jean baptiste": "jb", "jean pierre": "jp", "jean claude": "jc", "jean michel": "jm", "jean louis": "jl",
    "jean francois": "jf", "jean marc": "jm", "patrick": "pat", "patricia": "pat", "philippe": "phil",
    "emmanuel": "manu", "emmanuelle": "manue manu", "francoise": "fanfan", "jacqueline": "jacky",
    "jacques": "jacky", "josephine": "josie jo", "joseph": "jo jojo", "raphael": "raph", "anthony": "tony",
    "antoine": "toine", "mathilde": "mathou", "charlotte": "charlie lotte", "charles": "charlie",
    "victoria": "vicky", "virginie": "virgi", "caroline": "caro", "amandine": "mandine", "delphine": "delph",
    "margaux": "margot", "marguerite": "maggie margot", "bernard": "nanard", "robert": "bob bobby",
    "william": "bill will", "katharina": "kathi", "alejandro": "alex", "francisco": "paco", "jose": "pepe",
    "giuseppe": "beppe", "francesco": "checco", "michael": "mike", "mickael": "mika", "daniel": "dany dan",
    "gabriel": "gaby", "gabrielle": "gaby", "nathalie": "nath", "audrey": "audrey", "pierre": "pierrot",
    "dorothee": "doro", "sylvie": "sylvie", "laurence": "lolo", "laurent": "lolo", "thierry": "titi",
}.items():  # fmt: skip
    for _short in _shorts.split():
        NICKNAMES.setdefault(_full, set()).add(_short)
        NICKNAMES.setdefault(_short, set()).add(_full)


def is_nickname(a: str, b: str) -> bool:
    return b in NICKNAMES.get(a, ())


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
    names: list[str]  # name keys, one vocabulary for given and family names (crosswise comparison)
    email: NDArray[np.int32]
    emails: list[str]
    phone: NDArray[np.int32]
    phones: list[str]
    birth: NDArray[np.int32]  # yyyymmdd, 0 when missing
    postcode: NDArray[np.int32]
    city: NDArray[np.int32]
    street: NDArray[np.int32]
    streets: list[str]  # as written (normalised); compared by street_key, computed only where needed
    loyalty: NDArray[np.int32]


def _birth_int(value: str | None) -> int:
    return int(value.replace("-", "")) if value else 0


def encode(columns: Mapping[str, Sequence[str | None]]) -> Encoded:
    """Encode normalised columns (the :class:`Person` fields, equally long) for comparison."""
    size = len(columns["family_name"])
    names, emails, phones, streets = _Vocab(), _Vocab(), _Vocab(), _Vocab()
    postcodes, cities, cards = _Vocab(), _Vocab(), _Vocab()
    missing: list[str | None] = [None] * size
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
        city=cities.encode(name_key(v) if v else None for v in columns.get("city") or missing),
        street=streets.encode(columns["street"]),
        streets=streets.values,
        loyalty=cards.encode(columns["loyalty_card"]),
    )


def encode_people(people: Sequence[Person]) -> Encoded:
    return encode({f: [getattr(p, f) for p in people] for f in Person.__slots__})


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


def _distinct_pairs(
    left: NDArray[np.int32],
    right: NDArray[np.int32],
    vocab: list[str],
    scorer: Any,
    *,
    symmetric: bool = True,
) -> FloatArray:
    """``scorer`` of each pair of codes (0 where either is missing, 1 where equal), each distinct pair once."""
    out = np.zeros(len(left), dtype=np.float32)
    present = (left != 0) & (right != 0)
    out[present & (left == right)] = 1.0
    differ = present & (left != right)
    if not differ.any():
        return out
    a, b = left[differ].astype(np.int64), right[differ].astype(np.int64)
    size = len(vocab)
    lo, hi = (np.minimum(a, b), np.maximum(a, b)) if symmetric else (a, b)
    unique, inverse = np.unique(lo * size + hi, return_inverse=True)
    ua, ub = unique // size, unique % size
    sims = pairwise([vocab[i] for i in ua.tolist()], [vocab[i] for i in ub.tolist()], scorer)
    out[differ] = sims[inverse]
    return out


def _name_levels(sim: FloatArray, present: NDArray[np.bool_]) -> Levels:
    levels = np.select([sim >= 1.0, sim >= NAME_HIGH, sim >= NAME_MID], [1, 2, 3], 4).astype(np.int8)
    return np.where(present, levels, 0).astype(np.int8)


def _sound_alike(a: str, b: str) -> bool:
    """The same French sound key: ``"thaumas"`` and ``"thomas"``, ``"colete"`` and ``"caulette"``."""
    return phonetic(a) == phonetic(b) != ""


def _short_form(a: str, b: str) -> bool:
    """An initial or a first name cut short: ``"J"`` for ``"Jean"``, ``"Seb"`` for ``"Sebastian"``."""
    short, full = (a, b) if len(a) <= len(b) else (b, a)
    return full.startswith(short) and (len(short) == 1 or len(short) >= 3)


@dataclass
class _NameFacts:
    """Per name of a vocabulary: its sound key's code, length, first letter, whether it has nicknames."""

    sound: NDArray[np.int64]
    length: NDArray[np.int64]
    first: NDArray[np.int64]
    nick: NDArray[np.bool_]


_facts: dict[int, tuple[list[str], _NameFacts]] = {}


def _name_facts(names: list[str]) -> _NameFacts:
    cached = _facts.get(id(names))
    if cached is not None and cached[0] is names and len(cached[1].length) == len(names):
        return cached[1]
    sounds: dict[str, int] = {"": 0}
    facts = _NameFacts(
        sound=np.fromiter(
            (sounds.setdefault(phonetic(n), len(sounds)) if n else 0 for n in names), dtype=np.int64
        ),
        length=np.fromiter((len(n) for n in names), dtype=np.int64),
        first=np.fromiter((ord(n[0]) if n else 0 for n in names), dtype=np.int64),
        nick=np.fromiter((n in NICKNAMES for n in names), dtype=bool),
    )
    _facts.clear()  # one vocabulary at a time: the batch's, or one ingest's
    _facts[id(names)] = (names, facts)
    return facts


def _distinct(
    left: NDArray[np.int32], right: NDArray[np.int32], at: IntArray, size: int
) -> tuple[IntArray, IntArray, IntArray]:
    a, b = left[at].astype(np.int64), right[at].astype(np.int64)
    unique, inverse = np.unique(np.minimum(a, b) * size + np.maximum(a, b), return_inverse=True)
    return unique // size, unique % size, inverse


def _given_extras(
    left: NDArray[np.int32], right: NDArray[np.int32], names: list[str], levels: Levels
) -> Levels:
    """First names a Jaro–Winkler band alone cannot settle: a nickname or the same sound counts as a
    near match; an initial, a name cut short or two edits (one up to three letters) as a weak one;
    names further apart are other names ("Amélie" and "Élise" score 0.82 but are two people)."""
    at = np.flatnonzero(levels >= 3)
    if not len(at):
        return levels
    facts = _name_facts(names)
    ua, ub, inverse = _distinct(left, right, at, len(names))
    near = (facts.sound[ua] == facts.sound[ub]) & (facts.sound[ua] != 0)
    for k in np.flatnonzero(facts.nick[ua] & facts.nick[ub] & ~near).tolist():
        near[k] = is_nickname(names[ua[k]], names[ub[k]])
    shortest = np.minimum(facts.length[ua], facts.length[ub])
    edits = pairwise(
        [names[i] for i in ua.tolist()], [names[i] for i in ub.tolist()], OSA.distance, score_cutoff=3
    )
    weak = edits <= np.where(shortest <= 3, 1, 2)
    maybe_short = (facts.first[ua] == facts.first[ub]) & ((shortest == 1) | (shortest >= 3)) & ~weak & ~near
    for k in np.flatnonzero(maybe_short).tolist():
        weak[k] = _short_form(names[ua[k]], names[ub[k]])
    distinct_levels = np.where(near, 2, np.where(weak, 3, 4)).astype(np.int8)
    out = levels.copy()
    out[at] = distinct_levels[inverse]
    return out


def _family_extras(
    left: NDArray[np.int32], right: NDArray[np.int32], names: list[str], levels: Levels
) -> Levels:
    """Family names spelt apart but sounding alike count as a weak agreement, not another name."""
    at = np.flatnonzero(levels == 4)
    if not len(at):
        return levels
    sound = _name_facts(names).sound
    a, b = sound[left[at]], sound[right[at]]
    out = levels.copy()
    out[at] = np.where((a == b) & (a != 0), 3, 4)
    return out


def _exact_levels(left: NDArray[np.int32], right: NDArray[np.int32], differ_level: int) -> Levels:
    both = (left != 0) & (right != 0)
    return np.where(both, np.where(left == right, 1, differ_level), 0).astype(np.int8)


def _edit_levels(
    left: NDArray[np.int32], right: NDArray[np.int32], vocab: list[str], distance: Any, max_distance: int
) -> Levels:
    levels = _exact_levels(left, right, 3)
    differ = np.flatnonzero(levels == 3)
    if len(differ):
        a, b = left[differ].tolist(), right[differ].tolist()
        dist = pairwise([vocab[i] for i in a], [vocab[i] for i in b], distance, score_cutoff=max_distance + 1)
        levels[differ] = np.where(dist <= max_distance, 2, 3)
    return levels


def _birth_levels(a: NDArray[np.int32], b: NDArray[np.int32]) -> Levels:
    both = (a != 0) & (b != 0)
    ya, ma, da = a // 10000, a // 100 % 100, a % 100
    yb, mb, db = b // 10000, b // 100 % 100, b % 100
    same_parts = (ya == yb).astype(np.int8) + (ma == mb) + (da == db)
    swapped = (ya == yb) & (ma == db) & (da == mb)
    months_apart = np.abs((ya - yb) * 12 + (ma - mb))
    levels = np.select([a == b, (same_parts == 2) | swapped, months_apart <= 12], [1, 2, 3], 4)
    return np.where(both, levels, 0).astype(np.int8)


def _street_levels(left: NDArray[np.int32], right: NDArray[np.int32], streets: list[str]) -> Levels:
    levels = _exact_levels(left, right, 3)
    differ = np.flatnonzero(levels == 3)
    if len(differ):
        a, b = left[differ].tolist(), right[differ].tolist()
        keys = {code: street_key(streets[code]) for code in {*a, *b}}
        sims = pairwise([keys[c] for c in a], [keys[c] for c in b], JaroWinkler.normalized_similarity)
        levels[differ] = np.select([sims >= 1.0, sims >= STREET_NEAR], [1, 2], 3)
    return levels


def _locality_levels(enc: Encoded, left: IntArray, right: IntArray) -> Levels:
    post = _exact_levels(enc.postcode[left], enc.postcode[right], 2)
    town = _exact_levels(enc.city[left], enc.city[right], 2)
    agree = (post == 1).astype(np.int8) + (town == 1)
    known = (post != 0) | (town != 0)
    both_known = (post != 0) & (town != 0)
    levels = np.select([both_known & (agree == 2), agree >= 1], [1, 2], 3)
    return np.where(known, levels, 0).astype(np.int8)


def compare(enc: Encoded, left: IntArray, right: IntArray) -> Levels:
    """The level of each field (columns in :data:`FIELDS` order) of each pair ``(left[k], right[k])``."""
    g1, g2 = enc.given[left], enc.given[right]
    f1, f2 = enc.family[left], enc.family[right]
    jw = JaroWinkler.normalized_similarity
    sim_gg = _distinct_pairs(g1, g2, enc.names, jw)
    sim_ff = _distinct_pairs(f1, f2, enc.names, jw)
    sim_gf = _distinct_pairs(g1, f2, enc.names, jw)
    sim_fg = _distinct_pairs(f1, g2, enc.names, jw)
    has_g, has_f = (g1 != 0) & (g2 != 0), (f1 != 0) & (f2 != 0)
    has_gf, has_fg = (g1 != 0) & (f2 != 0), (f1 != 0) & (g2 != 0)
    # Swapped names: the crosswise alignment is used when it agrees better and one name agrees well
    # there (a record with only a first name and one with only a family name are not "swapped").
    crossed = ((sim_gf + sim_fg) > (sim_gg + sim_ff) + 0.05) & (np.maximum(sim_gf, sim_fg) >= NAME_MID)
    given = np.where(crossed, _name_levels(sim_gf, has_gf), _name_levels(sim_gg, has_g))
    given = np.where(
        crossed, _given_extras(g1, f2, enc.names, given), _given_extras(g1, g2, enc.names, given)
    )
    family = np.where(crossed, _name_levels(sim_fg, has_fg), _name_levels(sim_ff, has_f))
    family = np.where(
        crossed, _family_extras(f1, g2, enc.names, family), _family_extras(f1, f2, enc.names, family)
    )
    order = np.where((has_g | has_gf) & (has_f | has_fg), np.where(crossed, 2, 1), 0)
    return np.column_stack([
        given,
        family,
        order,
        _birth_levels(enc.birth[left], enc.birth[right]),
        _street_levels(enc.street[left], enc.street[right], enc.streets),
        _locality_levels(enc, left, right),
        _edit_levels(enc.email[left], enc.email[right], enc.emails, Levenshtein.distance, 2),
        _edit_levels(enc.phone[left], enc.phone[right], enc.phones, OSA.distance, 1),
        _exact_levels(enc.loyalty[left], enc.loyalty[right], 2),
    ]).astype(np.int8)  # fmt: skip
