"""Staff search: by name (typos and sound-alikes forgiven), e-mail, phone, loyalty card or receipt number.

Each customer is filed under terms (:class:`~comptoir.customers.models.SearchTerm`): name words and
their French sound key, every e-mail and phone of their source records, and their identifiers. Typo
tolerance uses a SymSpell vocabulary: each known word is stored under each of its one-letter
deletions, so a query word finds the words within about two edits with one indexed lookup, on
SQLite and PostgreSQL alike. A search is a handful of index lookups, then a ranking in Python of at
most a few hundred candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import case, delete, func, insert, select

from comptoir.core.db import insert_ignore
from comptoir.core.uow import UnitOfWork
from comptoir.customers.models import Customer, SearchTerm, SearchWord, Segment, table
from comptoir.customers.normalisation import clean, name_key, normalise_email, normalise_phone, phonetic
from comptoir.customers.schemas import CustomerSummary, SearchHit

MAX_WORD = 40
CANDIDATES = 100


def identifier_term(value: str) -> str:
    return "i:" + re.sub(r"[\s\-./]", "", value).upper()


def name_words(names: Iterable[str | None]) -> set[str]:
    return {w[:MAX_WORD] for n in names if n for w in name_key(n).split() if len(w) >= 2}


def terms_for(
    names: Iterable[str | None],
    emails: Iterable[str | None],
    phones: Iterable[str | None],
    identifiers: Iterable[str],
) -> set[str]:
    terms: set[str] = set()
    for word in name_words(names):
        terms.add("w:" + word)
        if sound := phonetic(word):
            terms.add("f:" + sound)
    terms.update("e:" + e for e in emails if e)
    terms.update("p:" + p for p in phones if p)
    terms.update(identifier_term(i) for i in identifiers if i)
    return terms


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}


def add_words(uow: UnitOfWork, words: Iterable[str]) -> None:
    """File new words of the vocabulary under their one-letter deletions."""
    words = set(words)
    if not words:
        return
    known = set(
        uow.session.scalars(
            select(SearchWord.word).where(
                SearchWord.variant.in_(words), SearchWord.word == SearchWord.variant
            )
        )
    )
    rows = [{"variant": v, "word": w} for w in words - known for v in deletions(w)]
    insert_ignore(uow.session, SearchWord, rows)


def index_customer(uow: UnitOfWork, customer_id: str, terms: set[str]) -> None:
    """File the customer under exactly ``terms`` (only the difference with what is filed is written)."""
    filed = set(uow.session.scalars(select(SearchTerm.term).where(SearchTerm.customer_id == customer_id)))
    gone, new = filed - terms, terms - filed
    if gone:
        uow.session.execute(
            delete(SearchTerm).where(SearchTerm.customer_id == customer_id, SearchTerm.term.in_(gone))
        )
    if new:
        uow.session.execute(
            insert(table(SearchTerm)), [{"term": t, "customer_id": customer_id} for t in sorted(new)]
        )
        add_words(uow, (t[2:] for t in new if t.startswith("w:")))


def unindex_customer(uow: UnitOfWork, customer_id: str) -> None:
    """Remove a customer's terms, and vocabulary words nobody else bears (erasure leaves no trace)."""
    words = [
        t[2:]
        for t in uow.session.scalars(
            select(SearchTerm.term).where(
                SearchTerm.customer_id == customer_id, SearchTerm.term.startswith("w:")
            )
        )
    ]
    uow.session.execute(delete(SearchTerm).where(SearchTerm.customer_id == customer_id))
    if words:
        still_used = {
            t[2:]
            for t in uow.session.scalars(
                select(SearchTerm.term).where(SearchTerm.term.in_(["w:" + w for w in words]))
            )
        }
        orphans = [w for w in words if w not in still_used]
        if orphans:
            uow.session.execute(delete(SearchWord).where(SearchWord.word.in_(orphans)))


# -- querying ---------------------------------------------------------------------------------------------


def _similar_words(uow: UnitOfWork, word: str) -> set[str]:
    """Known words within one edit (short words) or two (longer ones)."""
    from rapidfuzz.distance import Levenshtein

    limit = 1 if len(word) <= 4 else 2
    return {
        w
        for w in uow.session.scalars(
            select(SearchWord.word).where(SearchWord.variant.in_(deletions(word))).distinct()
        )
        if Levenshtein.distance(w, word, score_cutoff=limit) <= limit
    }


def _completions(uow: UnitOfWork, prefix: str) -> list[str]:
    """Known words starting with what the seller is typing (the last word of the query)."""
    if len(prefix) < 2:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return list(
        uow.session.scalars(
            select(SearchWord.word)
            .where(
                SearchWord.variant >= prefix,
                SearchWord.variant < upper,
                SearchWord.word == SearchWord.variant,
            )
            .limit(50)
        )
    )


def _exact_terms(q: str) -> list[tuple[str, str]]:
    """(term, what it is) for a query that may be an e-mail, a phone, a card or a receipt number."""
    terms: list[tuple[str, str]] = []
    if "@" in q:
        email, _ = normalise_email(q)
        if email:
            terms.append(("e:" + email, "email"))
    digits = re.sub(r"\D", "", q)
    if len(digits) >= 8:
        phone, _ = normalise_phone(q)
        if phone:
            terms.append(("p:" + phone, "phone"))
    if any(c.isdigit() for c in q) and len(q) >= 4:
        terms.append((identifier_term(q), "identifier"))
    return terms


def _customers_matching(uow: UnitOfWork, groups: list[list[str]]) -> tuple[list[str], int]:
    """Customers bearing a term of the most groups (one group per query word), and how many groups."""
    which = case(*((SearchTerm.term.in_(g), i) for i, g in enumerate(groups)))
    hits = func.count(func.distinct(which)).label("hits")
    rows = uow.session.execute(
        select(SearchTerm.customer_id, hits)
        .where(SearchTerm.term.in_([t for g in groups for t in g]))
        .group_by(SearchTerm.customer_id)
        .order_by(hits.desc())
        .limit(CANDIDATES)
    ).all()
    best = max((r[1] for r in rows), default=0)
    return [r[0] for r in rows if r[1] == best], best


def _name_matches(uow: UnitOfWork, words: list[str], limit: int) -> list[str]:
    """Customers whose names match the query words: the words as typed first (fast, even for the
    commonest names); only when that finds too few, the words within two typos and their sound."""
    last = len(words) - 1
    exact = [
        ["w:" + w, *(["w:" + c for c in _completions(uow, w)] if i == last else [])]
        for i, w in enumerate(words)
    ]
    found, hits = _customers_matching(uow, exact)
    if hits == len(words) and len(found) >= limit:
        return found
    groups = []
    for i, word in enumerate(words):
        group = {*exact[i], *("w:" + w for w in _similar_words(uow, word))}
        if len(sound := phonetic(word)) >= 2:
            group.add("f:" + sound)
        groups.append(sorted(group))
    return _customers_matching(uow, groups)[0]


def search(uow: UnitOfWork, query: str, *, limit: int = 20) -> list[SearchHit]:
    from rapidfuzz import fuzz

    q = clean(query)[:200]
    if len(q) < 2:
        return []
    matched: dict[str, set[str]] = {}
    exact = _exact_terms(q)
    if exact:
        kinds = dict(exact)
        for term, customer_id in uow.session.execute(
            select(SearchTerm.term, SearchTerm.customer_id)
            .where(SearchTerm.term.in_(kinds))
            .limit(CANDIDATES)
        ):
            matched.setdefault(customer_id, set()).add(kinds[term])
    words = [w[:MAX_WORD] for w in name_key(q).split() if len(w) >= 2][:6] if "@" not in q else []
    if words:
        for customer_id in _name_matches(uow, words, limit):
            matched.setdefault(customer_id, set()).add("name")
    if not matched:
        return []
    summaries = summaries_of(uow, list(matched))
    key = " ".join(words)
    hits_out: list[SearchHit] = []
    for customer_id, on in matched.items():
        summary = summaries.get(customer_id)
        if summary is None:
            continue
        score = 100.0 if on - {"name"} else float(fuzz.token_sort_ratio(key, name_key(summary.display_name)))
        hits_out.append(SearchHit(customer=summary, score=round(score, 1), matched_on=sorted(on)))
    hits_out.sort(key=lambda h: (-h.score, h.customer.display_name, h.customer.id))
    return hits_out[:limit]


def display_name(given: str | None, family: str | None, email: str | None, customer_id: str) -> str:
    return " ".join(x for x in (given, family) if x) or email or customer_id


def summaries_of(uow: UnitOfWork, ids: list[str]) -> dict[str, CustomerSummary]:
    if not ids:
        return {}
    rows = uow.session.scalars(
        select(Customer).where(Customer.id.in_(ids), Customer.status == "active")
    ).all()
    segments: dict[str, list[str]] = {}
    for customer_id, segment in uow.session.execute(
        select(Segment.customer_id, Segment.segment)
        .where(Segment.customer_id.in_(ids))
        .order_by(Segment.segment)
    ):
        segments.setdefault(customer_id, []).append(segment)
    return {
        c.id: CustomerSummary(
            id=c.id,
            display_name=display_name(c.given_name, c.family_name, c.email, c.id),
            email=c.email,
            phone=c.phone,
            postcode=c.postcode,
            city=c.city,
            birth_date=c.birth_date,
            loyalty_card=c.loyalty_card,
            segments=segments.get(c.id, []),
        )
        for c in rows
    }
