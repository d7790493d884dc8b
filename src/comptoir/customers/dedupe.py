"""Batch deduplication of a file of person records (``comptoir customers dedupe``).

Retailers run it on a legacy customer file, or on two files put together, before going live. The
pipeline is column-wise and vectorised, and uses the same normalisation, blocking keys and pair
score as ingestion (:mod:`~comptoir.customers.matching`):

1. read the CSV (delimiter and encoding sniffed; English and French headers recognised);
2. normalise each column, memoised per distinct value;
3. file each record under its blocking keys (:mod:`~comptoir.customers.blocking`, as integers) and
   list the pairs sharing a key, plus a sorted neighbourhood of the names (cost near-linear);
4. compare every candidate pair field by field with numpy and rapidfuzz, in chunks (bounded memory);
5. learn the Fellegi–Sunter model from those comparisons (:mod:`~comptoir.customers.linkage`) and
   score each pair with it;
6. cluster the pairs judged the same person, cutting a cluster at a link that alone joins two
   records in conflict, and write every pair of each cluster;
7. estimate the blocking recall from the matched pairs, for the report.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from comptoir.customers.blocking import PASSES, BlockingReport, batch_pairs, blocking_report, name_ranks
from comptoir.customers.comparisons import FIELDS, Encoded, IntArray, Levels, compare, encode, level_names
from comptoir.customers.files import csv_dialect, open_text
from comptoir.customers.linkage import (
    DEFAULT_MODEL,
    MERGE_PROBABILITY,
    REVIEW_PROBABILITY,
    MatchModel,
    learn,
    probability,
)
from comptoir.customers.matching import (
    AUTO_MERGE_SCORE,
    ScoreFn,
    cluster_pairs,
    resolve_clusters,
    score_levels,
)
from comptoir.customers.normalisation import normalise_columns, strip_accents

# Recognised headers (compared without case, accents or punctuation), English and French.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "first_name", "firstname", "forename", "givenname", "prenom", "prenoms"),
    "family_name": (
        "family_name", "last_name", "lastname", "surname", "familyname", "nom", "nom_de_famille",
        "nom_famille", "nom_usage", "name",
    ),
    "email": ("email", "e_mail", "mail", "email_address", "courriel", "adresse_email", "adresse_mail", "mel"),
    "phone": (
        "phone", "telephone", "tel", "mobile", "portable", "phone_number", "mobile_phone", "cell",
        "numero_telephone", "num_tel", "gsm",
    ),
    "birth_date": (
        "birth_date", "birthdate", "date_of_birth", "dob", "birthday", "date_naissance",
        "date_de_naissance", "naissance", "ddn",
    ),
    "street": (
        "street", "address", "address1", "address_line1", "address_line_1", "street_address", "adresse",
        "adresse1", "adresse_1", "rue", "voie", "ligne_adresse",
    ),
    "postcode": ("postcode", "postal_code", "post_code", "zip", "zipcode", "zip_code", "code_postal", "cp", "codepostal"),
    "city": ("city", "town", "locality", "ville", "commune", "localite"),
    "country": ("country", "country_code", "pays", "code_pays"),
    "loyalty_card": ("loyalty_card", "loyalty", "card_number", "carte", "carte_fidelite", "numero_carte", "fidelite"),
}  # fmt: skip
FIELD_NAMES = tuple(HEADER_ALIASES)
PAIR_CHUNK = 2_000_000  # pairs scored at once: bounds memory whatever the file size


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: with millions of live strings its passes double the run time,
    and this pipeline creates no reference cycles to collect."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", strip_accents(header).lower()).strip("_")


def map_columns(headers: Sequence[str], overrides: Mapping[str, str] | None = None) -> dict[str, int]:
    """Which column holds each field: explicit ``field=header`` overrides first, then known names.

    Unknown columns are ignored and missing fields allowed; an override naming an unknown field or
    a header not in the file raises ``ValueError``."""
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    for name, header in (overrides or {}).items():
        if name not in HEADER_ALIASES:
            raise ValueError(f"unknown field {name!r}: use one of {', '.join(FIELD_NAMES)}")
        if header_key(header) not in keys:
            raise ValueError(f"column {header!r} is not in the file")
        mapping[name] = keys.index(header_key(header))
    taken = set(mapping.values())
    for name, aliases in HEADER_ALIASES.items():
        if name in mapping:
            continue
        for alias in aliases:
            if alias in keys and keys.index(alias) not in taken:
                mapping[name] = keys.index(alias)
                taken.add(mapping[name])
                break
    return mapping


@dataclass
class PersonFile:
    ids: list[str]
    columns: dict[str, list[str | None]]
    mapping: dict[str, str]  # field -> header found
    encoding: str

    @property
    def size(self) -> int:
        return len(self.ids)


def read_person_file(path: Path, id_column: str, overrides: Mapping[str, str] | None = None) -> PersonFile:
    text, encoding = open_text(path)
    reader = csv.reader(io.StringIO(text), csv_dialect(text[:65536]))
    try:
        headers = next(reader)
    except StopIteration:
        raise ValueError("the file is empty") from None
    del text
    keys = [header_key(h) for h in headers]
    if header_key(id_column) not in keys:
        raise ValueError(f"id column {id_column!r} is not in the file (columns: {', '.join(headers)})")
    id_index = keys.index(header_key(id_column))
    mapping = map_columns(headers, overrides)
    mapping.pop(next((f for f, i in mapping.items() if i == id_index), ""), None)
    ids: list[str] = []
    values: dict[str, list[str | None]] = {name: [] for name in mapping}
    indexes = list(mapping.items())
    width = len(headers)
    for row in reader:
        if not row:
            continue
        if len(row) < width:
            row += [""] * (width - len(row))
        ids.append(row[id_index])
        for name, index in indexes:
            values[name].append(row[index] or None)
    return PersonFile(ids, values, {f: headers[i] for f, i in mapping.items()}, encoding)


@dataclass
class DedupeResult:
    records: int
    candidate_pairs: int
    matched_pairs: int  # pairs scored at or above the threshold
    clusters: int  # clusters of two records or more
    output_pairs: int  # every pair within those clusters
    model: MatchModel = field(default_factory=lambda: DEFAULT_MODEL)
    blocking: BlockingReport | None = None
    split_clusters: int = 0  # clusters cut at their weakest links (a chain through a weak link)
    timings: dict[str, float] = field(default_factory=dict)
    left: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    right: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scores: dict[tuple[int, int], float] = field(default_factory=dict)
    labels: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def compare_candidates(enc: Encoded, left: IntArray, right: IntArray) -> Levels:
    levels = np.empty((len(left), len(FIELDS)), dtype=np.int8)
    for start in range(0, len(left), PAIR_CHUNK):
        stop = start + PAIR_CHUNK
        levels[start:stop] = compare(enc, left[start:stop], right[start:stop])
    return levels


def deduplicate(
    normalised: Mapping[str, Sequence[str | None]],
    size: int,
    *,
    min_score: float = AUTO_MERGE_SCORE,
    keep_scores_at_least: float | None = None,
    model: MatchModel | None = None,
    tick: Callable[[str], None] | None = None,
) -> DedupeResult:
    """Cluster normalised records (columns of :class:`Person` fields) judged the same person.

    The model is learned from these records' candidate pairs unless one is given."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now
        if tick is not None:
            tick(name)

    ranks = name_ranks(normalised)[1]
    left, right = batch_pairs(normalised, ranks=ranks)
    lap("blocking")
    enc = encode(dict(normalised))
    lap("encoding")
    levels = compare_candidates(enc, left, right)
    lap("comparing")
    if model is None:
        model = learn(enc, levels)
        lap("learning")
    scores = score_levels(model, enc, left, levels)
    del levels
    lap("scoring")
    labels, split = resolve_clusters(size, left, right, scores, ScoreFn(enc, model), threshold=min_score)
    del enc
    out_left, out_right = cluster_pairs(labels)
    floor = min_score if keep_scores_at_least is None else min(min_score, keep_scores_at_least)
    kept = scores >= floor
    direct = dict(
        zip(
            zip(left[kept].tolist(), right[kept].tolist(), strict=True),
            scores[kept].tolist(),
            strict=True,
        )
    )
    lap("clustering")
    matched = scores >= min_score
    report = blocking_report(normalised, left[matched], right[matched], ranks=ranks)
    lap("recall")
    sizes = np.bincount(labels, minlength=size)
    return DedupeResult(
        records=size,
        candidate_pairs=len(left),
        matched_pairs=int(matched.sum()),
        clusters=int((sizes > 1).sum()),
        output_pairs=len(out_left),
        model=model,
        blocking=report,
        split_clusters=split,
        timings=timings,
        left=out_left,
        right=out_right,
        scores=direct,
        labels=labels,
    )


def dedupe_file(
    source: Path,
    output: Path,
    *,
    id_column: str,
    overrides: Mapping[str, str] | None = None,
    region: str = "FR",
    min_score: float = AUTO_MERGE_SCORE,
    today: date | None = None,
    explain: bool = False,
    tick: Callable[[str], None] | None = None,
) -> DedupeResult:
    """Read ``source``, write ``output`` with one line per pair of ids judged the same person.

    Output columns: ``id_a``, ``id_b``, ``score`` (the pair's own score, the log2-odds of its match
    probability; empty when the two are linked only through other records of their cluster) and
    ``cluster`` (the first id of the cluster). With ``explain``, also the pair's ``probability`` and,
    per field, its comparison level and the weight the model gives it (``"exact +7.33"``)."""
    with no_cyclic_gc():
        return _dedupe_file(source, output, id_column, overrides, region, min_score, today, explain, tick)


def _dedupe_file(
    source: Path,
    output: Path,
    id_column: str,
    overrides: Mapping[str, str] | None,
    region: str,
    min_score: float,
    today: date | None,
    explain: bool,
    tick: Callable[[str], None] | None,
) -> DedupeResult:
    started = time.perf_counter()
    people = read_person_file(source, id_column, overrides)
    read_seconds = time.perf_counter() - started
    if tick is not None:
        tick("reading")
    normalised = normalise_columns(people.columns, people.size, region, today=today or date.today())
    del people.columns
    normalise_seconds = time.perf_counter() - started - read_seconds
    if tick is not None:
        tick("normalising")
    result = deduplicate(normalised, people.size, min_score=min_score, tick=tick)
    write_started = time.perf_counter()
    evidence = explain_pairs(result, normalised) if explain else None
    del normalised
    ids = people.ids
    with output.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id_a", "id_b", "score", "cluster", *(["probability", *FIELDS] if explain else [])])
        scores = result.scores
        labels = result.labels
        for row, (a, b) in enumerate(zip(result.left.tolist(), result.right.tolist(), strict=True)):
            score = scores.get((a, b))
            line = [ids[a], ids[b], "" if score is None else f"{score:.2f}", ids[int(labels[a])]]
            if evidence is not None:
                line += evidence[row]
            writer.writerow(line)
    result.timings = {
        "reading": read_seconds,
        "normalising": normalise_seconds,
        **result.timings,
        "writing": time.perf_counter() - write_started,
    }
    return result


def explain_pairs(result: DedupeResult, normalised: Mapping[str, Sequence[str | None]]) -> list[list[str]]:
    """Per output pair: its match probability and, per field, ``"<level> <weight>"``."""
    enc = encode(dict(normalised))
    levels = compare(enc, result.left, result.right)
    scores = score_levels(result.model, enc, result.left, levels)
    weights = result.model.weights()
    names = {f: level_names(f) for f in FIELDS}
    lines: list[list[str]] = []
    for score, row in zip(scores.tolist(), levels.tolist(), strict=True):
        cells = [f"{probability(score):.6f}"]
        for f, level in zip(FIELDS, row, strict=True):
            cells.append(f"{names[f][level]} {weights[f][level - 1]:+.2f}" if level else names[f][0])
        lines.append(cells)
    return lines


def report_lines(result: DedupeResult, output: Path) -> list[str]:
    """What ``comptoir customers dedupe`` prints: counts, blocking recall estimate, the learned model."""
    lines = [
        f"{result.records} records, {result.candidate_pairs} pairs compared, {result.clusters} clusters "
        f"({result.split_clusters} cut at a weak link), {result.output_pairs} pairs written to {output}"
    ]
    report = result.blocking
    if report is not None and report.pairs_sampled:
        lines.append(
            f"blocking recall (estimated from {report.pairs_sampled} matched pairs): "
            f"{report.estimated_recall:.4f}; found by one pass only: {report.single_pass_share:.4f}"
        )
        lines += [f"  {PASSES[p]:<46} {share:.4f}" for p, share in report.per_pass.items() if share]
    model = result.model
    source = (
        f"learned from {model.trained_on['pairs']} pairs"
        if model.trained_on
        else "built-in (batch too small)"
    )
    lines.append(
        f"model {source}: prior {model.prior:.3g}, auto-merge at p >= {MERGE_PROBABILITY}, "
        f"review at p >= {REVIEW_PROBABILITY}; weights in bits (log2 m/u):"
    )
    for f, weights in model.weights().items():
        if max(abs(w) for w in weights) < 0.01:
            continue  # a field the file does not have
        names = level_names(f)
        lines.append(f"  {f:<9} " + "  ".join(f"{names[i + 1]} {w:+.2f}" for i, w in enumerate(weights)))
    return lines
