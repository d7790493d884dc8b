"""Search over the catalogue: full text in French or English, facet filters and counts.

SQLite answers with FTS5, PostgreSQL with the ``french`` or ``english`` text search configuration;
both rank the same way (every word in the name first, then the newest), so they return the same
hits in the same order; the ranking never reads the documents, only the indexes. Every word must match as a prefix, so "rob lin" finds "Robe en lin". Filters (facet values,
status, publication) are opaque words of the same full-text index (see ``indexing``), so one index
lookup answers words and filters. The matches' facet values are counted in the same round trip;
then the page of hits is completed with names and images (two small queries).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select

from comptoir.catalog import policies
from comptoir.catalog.indexing import PUBLISHED, STATUS
from comptoir.catalog.models import Asset, Attribute, Product
from comptoir.catalog.publishing import rights_of
from comptoir.catalog.schemas import FacetValue, SearchHit, SearchQuery, SearchResult
from comptoir.catalog.urls import media_url
from comptoir.core import clock
from comptoir.core.uow import UnitOfWork

# Up to this many matches the facet counts are exact; beyond, they are estimated from a sample.
FACET_SAMPLE = 1000


def _sqlite(lang: str, terms: list[str], tokens: list[list[str]]) -> tuple[str, dict[str, Any]]:
    """The matches as (doc_id, tier): FTS5 answers words and filters alike, without reading a row."""
    parts = []
    params: dict[str, Any] = {}
    tier = "1"
    if terms:
        words = " AND ".join(f'"{t}"*' for t in terms)  # no French stemmer: prefixes find plurals
        parts.append(f"{{name_{lang} text_{lang}}} : ({words})")
        params["in_name"] = f"name_{lang} : ({words})"
        tier = (
            "CASE WHEN f.rowid IN (SELECT rowid FROM catalog_search_fts "
            "WHERE catalog_search_fts MATCH :in_name) THEN 0 ELSE 1 END"
        )
    parts += ["tokens : (" + " OR ".join(group) + ")" for group in tokens]
    if not parts:
        return "SELECT d.doc_id, 1 AS tier FROM catalog_search_documents d", params
    params["match"] = " AND ".join(f"({p})" for p in parts)
    sql = f"SELECT f.rowid AS doc_id, {tier} AS tier FROM catalog_search_fts f WHERE catalog_search_fts MATCH :match"
    return sql, params


def _postgres(lang: str, terms: list[str], tokens: list[list[str]]) -> tuple[str, dict[str, Any]]:
    """The same on PostgreSQL: the narrow per-language and token tables, with their GIN indexes."""
    config = "french" if lang == "fr" else "english"
    params: dict[str, Any] = {}
    if tokens:
        params["tokens"] = " & ".join("(" + " | ".join(group) + ")" for group in tokens)
    if terms:
        # Stemming finds plurals and the like; only the last word, maybe still being typed, is a prefix.
        params["words"] = " & ".join([*terms[:-1], f"{terms[-1]}:*"])
        query = f"to_tsquery('{config}', :words)"
        sql = (
            f"SELECT w.doc_id, CASE WHEN w.name @@ {query} THEN 0 ELSE 1 END AS tier "
            f"FROM catalog_search_fts_{lang} w"
        )
        if tokens:
            sql += (
                " JOIN catalog_search_fts_tokens t ON t.doc_id = w.doc_id"
                " AND t.tsv @@ to_tsquery('simple', :tokens)"
            )
        return f"{sql} WHERE w.tsv @@ {query}", params
    if tokens:
        return (
            "SELECT t.doc_id, 1 AS tier FROM catalog_search_fts_tokens t "
            "WHERE t.tsv @@ to_tsquery('simple', :tokens)",
            params,
        )
    return "SELECT d.doc_id, 1 AS tier FROM catalog_search_documents d", params


def _token_groups(query: SearchQuery) -> list[list[str]]:
    """Each group is alternatives (values of one facet); groups combine."""
    groups = [
        [policies.facet_token(facet, value) for value in values]
        for facet, values in sorted(query.filters.items())
        if values
    ]
    status = "active" if query.channel else query.status
    if status:
        groups.append([policies.facet_token(STATUS, status)])
    if query.channel:
        groups.append([policies.facet_token(PUBLISHED, f"{query.channel}:{query.locale}")])
    return groups


def _count(facet_lines: str, scale: float) -> dict[str, list[tuple[str, int]]]:
    grouped: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for line, count in Counter(facet_lines.split("\n")).items():
        if line:
            facet, _, value = line.partition("=")
            grouped[facet].append((value, round(count * scale)))
    return grouped


def search(uow: UnitOfWork, query: SearchQuery, *, territory: str = "FR") -> SearchResult:
    """Products matching every word; when none does, each word is read as the nearest word of the
    catalogue's names (a typo: "chemse" finds "chemise"), on SQLite and PostgreSQL alike."""
    found = _search(uow, query, territory=territory)
    terms = policies.search_terms(query.q)
    if found.total or not terms:
        return found
    corrected = _nearest_words(uow, policies.search_language(query.locale), terms)
    if corrected == terms:
        return found
    return _search(uow, query.model_copy(update={"q": " ".join(corrected)}), territory=territory)


def _typos_allowed(term: str) -> int:
    """Edits (Levenshtein) forgiven in a word: none under 4 letters, one up to 7, two beyond."""
    return 0 if len(term) < 4 else 1 if len(term) < 8 else 2


def _nearest_words(uow: UnitOfWork, lang: str, terms: list[str]) -> list[str]:
    """Each term, or the vocabulary word of the product names nearest to it (a prefix counts as is)."""
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    locale = next((loc for loc in policies.LOCALES if loc.startswith(lang + "_")), policies.DEFAULT_LOCALE)
    vocabulary: set[str] = set()
    for (names,) in uow.session.execute(select(Product.name)):
        vocabulary.update(policies.search_terms(policies.localised(names, locale), limit=50))
    corrected = []
    for term in terms:
        if any(word.startswith(term) for word in vocabulary):
            corrected.append(term)
            continue
        allowed = _typos_allowed(term)
        best = (
            process.extractOne(term, sorted(vocabulary), scorer=Levenshtein.distance, score_cutoff=allowed)
            if allowed
            else None
        )
        corrected.append(best[0] if best else term)
    return corrected


def _search(uow: UnitOfWork, query: SearchQuery, *, territory: str) -> SearchResult:
    """Products whose text has every word (as a prefix) and that pass every filter.

    Ranked: products with every word in their name first, then the others, newest first. The
    database counts the matches and picks the page; the facet values of the matches are counted
    here, exactly up to ``FACET_SAMPLE`` matches, beyond that over an even sample of them (every
    k-th document) scaled to the total, and ``facets_exhaustive`` says so, as search engines do.
    One round trip brings the page, the total, the facet values and the category names; a second
    one the page's images.
    """
    lang = policies.search_language(query.locale)
    matches, params = (_postgres if uow.dialect == "postgresql" else _sqlite)(
        lang, policies.search_terms(query.q), _token_groups(query)
    )
    # The facet lines of the sampled documents come back joined in one string (one row, not thousands).
    aggregate = (
        "string_agg(d.facets, E'\\n')" if uow.dialect == "postgresql" else "group_concat(d.facets, char(10))"
    )
    sql = f"""
        WITH m AS MATERIALIZED ({matches}), total AS (SELECT count(*) AS n FROM m)
        SELECT 0 AS part, pr.id AS a, pr.code AS b, CAST(pr.name AS TEXT) AS c, pr.brand AS d,
            pr.status AS e, p.pos FROM (
            SELECT doc_id, row_number() OVER (ORDER BY tier, doc_id DESC) AS pos FROM (
                SELECT doc_id, tier FROM m ORDER BY tier, doc_id DESC LIMIT :limit OFFSET :offset
            ) top) p
            JOIN catalog_search_documents d ON d.doc_id = p.doc_id
            JOIN catalog_products pr ON pr.id = d.product_id
        UNION ALL SELECT 1, CAST(n AS TEXT), NULL, NULL, NULL, NULL, 0 FROM total
        UNION ALL SELECT 2, {aggregate}, CAST(count(*) AS TEXT), NULL, NULL, NULL, 0
            FROM m JOIN catalog_search_documents d ON d.doc_id = m.doc_id
            WHERE m.doc_id % (((SELECT n FROM total) - 1) / :sample + 1) = 0
        UNION ALL SELECT 3, code, NULL, CAST(name AS TEXT), NULL, NULL, 0 FROM catalog_categories"""
    params.update(
        limit=query.limit, offset=query.offset, sample=10**9 if query.exact_facets else FACET_SAMPLE
    )
    # The DBAPI cursor directly: thousands of facet lines come back as plain tuples.
    connection = uow.session.connection()
    if uow.dialect == "postgresql":
        # The planner prices a tsvector match like an addition and picks a sequential scan over a GIN
        # bitmap scan that is three to four times faster; for a search, it may not. The
        # penalty it then puts on scans would start JIT compilation (half a second): no JIT either.
        # Until the end of this transaction (a search's reader), whose other queries are index lookups.
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off; SET LOCAL jit = off")
    rows = connection.exec_driver_sql(*_driver_sql(uow.dialect, sql, params)).fetchall()
    page = sorted((r for r in rows if r[0] == 0), key=lambda r: r[6])
    total = next((int(r[1]) for r in rows if r[0] == 1), 0)
    facet_lines, sampled = next(((r[1] or "", int(r[2])) for r in rows if r[0] == 2), ("", 0))
    category_names = {r[1]: json.loads(r[3]) for r in rows if r[0] == 3}
    exhaustive = sampled == total
    scale = total / sampled if sampled and not exhaustive else 1.0
    images = licensed_images(uow, [r[1] for r in page], channel=query.channel, territory=territory)
    return SearchResult(
        total=total,
        hits=[
            SearchHit(
                product_id=r[1],
                code=r[2],
                name=policies.localised(json.loads(r[3]), query.locale),
                brand=r[4],
                status=r[5],
                image_url=pick_image(images.get(r[1], [])),
            )
            for r in page
        ],
        facets=_facets(_count(facet_lines, scale), category_names, _option_labels(uow), query),
        facets_exhaustive=exhaustive,
    )


def _driver_sql(dialect: str, sql: str, params: dict[str, Any]) -> tuple[str, Any]:
    """Named parameters in the driver's own style (sqlite3: ``:name``, psycopg: ``%(name)s``)."""
    if dialect == "postgresql":
        sql = re.sub(
            r":(\w+)",
            lambda m: f"%({m.group(1)})s" if m.group(1) in params else m.group(0),
            sql.replace("%", "%%"),
        )
    return sql, params


def _option_labels(uow: UnitOfWork) -> dict[str, dict[str, Any]]:
    """Each attribute's option labels per value, per locale (small: a few dozen options)."""
    return {
        code: labels or {}
        for code, labels in uow.session.execute(select(Attribute.code, Attribute.option_labels))
    }


def _label(
    facet: str,
    value: str,
    category_names: dict[str, dict[str, str]],
    option_labels: dict[str, dict[str, Any]],
    locale: str,
) -> str:
    """What a shopper reads for a facet value: the category's or the option's name in the locale; a
    brand, colour or size is its own label."""
    if facet == "category":
        return policies.localised(category_names.get(value), locale) or value
    if facet in option_labels and value in option_labels[facet]:
        return policies.localised(option_labels[facet][value], locale) or value
    if value in ("true", "false"):
        yes = locale.startswith("fr")
        return {"true": "Oui" if yes else "Yes", "false": "Non" if yes else "No"}[value]
    return value


def _facets(
    counts: dict[str, list[tuple[str, int]]],
    category_names: dict[str, dict[str, str]],
    option_labels: dict[str, dict[str, Any]],
    query: SearchQuery,
) -> dict[str, list[FacetValue]]:
    out: dict[str, list[FacetValue]] = {}
    for facet, values in sorted(counts.items()):
        if facet.startswith("_"):
            continue
        top = sorted(values, key=lambda item: (-item[1], item[0]))[: query.facet_limit]
        out[facet] = [
            FacetValue(
                value=value,
                label=_label(
                    facet, value, category_names, option_labels, query.locale or policies.DEFAULT_LOCALE
                ),
                count=count,
            )
            for value, count in top
        ]
    return out


def licensed_images(
    uow: UnitOfWork, product_ids: list[str], *, channel: str | None, territory: str
) -> dict[str, list[tuple[str | None, str]]]:
    """Per product, its images licensed for ``channel`` in ``territory`` now, in order: (colour, URL).

    The URL is the listing rendition once the worker made it, the original until then.
    """
    a = Asset.__table__.c
    rows = uow.session.execute(
        select(
            a.id,
            a.product_id,
            a.colour,
            a.renditions,
            a.rights_holder,
            a.rights_valid_from,
            a.rights_valid_until,
            a.rights_channels,
            a.rights_territories,
        )
        .where(a.product_id.in_(product_ids), a.kind == "image")
        .order_by(a.product_id, a.position, a.id)
    ).all()
    now = clock.now()
    images: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
    for row in rows:
        if policies.rights_refusal(rights_of(row), channel_kind=channel, territory=territory, at=now):
            continue
        url = media_url(row.id, "listing") if "listing" in row.renditions else media_url(row.id)
        images[row.product_id].append((row.colour, url))
    return images


def pick_image(images: list[tuple[str | None, str]], colour: str | None = None) -> str | None:
    """The first image of ``colour`` if there is one, else the first image."""
    if colour is not None:
        for image_colour, url in images:
            if image_colour == colour:
                return url
    return images[0][1] if images else None
