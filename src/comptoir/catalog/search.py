"""Search over the catalogue: full text in French or English, facet filters and counts, in one query.

SQLite answers with FTS5 (bm25, names weighted ten times the rest); PostgreSQL with the ``french`` or
``english`` text search configuration (ts_rank, names weighted A). Every word must match as a prefix,
so "rob lin" finds "Robe en lin". Matches, the page of hits and the facet counts come back in a
single round trip; then the hits are completed with their names and images.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, select, text

from comptoir.catalog import policies
from comptoir.catalog.models import Asset, Category, Product
from comptoir.catalog.publishing import rights_of
from comptoir.catalog.schemas import FacetValue, SearchHit, SearchQuery, SearchResult
from comptoir.catalog.urls import media_url
from comptoir.core import clock
from comptoir.core.uow import UnitOfWork


def _match_sql(
    dialect: str, lang: str, terms: list[str], params: dict[str, Any]
) -> tuple[str, str, str, bool]:
    """FROM and WHERE fragments for the documents matching ``terms``, the rank, whether best is highest."""
    if not terms:
        return "catalog_search_documents d", "1 = 1", "d.name_" + lang, False
    if dialect == "postgresql":
        params["tsquery"] = " & ".join(f"{t}:*" for t in terms)
        config = "french" if lang == "fr" else "english"
        return (
            f"catalog_search_fts f JOIN catalog_search_documents d ON d.doc_id = f.doc_id, "
            f"to_tsquery('{config}', :tsquery) q",
            f"f.tsv_{lang} @@ q",
            f"ts_rank(f.tsv_{lang}, q)",
            True,
        )
    words = " AND ".join(f'"{t}"*' for t in terms)
    params["match"] = f"{{name_{lang} text_{lang}}} : ({words})"
    return (
        "catalog_search_fts f JOIN catalog_search_documents d ON d.doc_id = f.rowid",
        "catalog_search_fts MATCH :match",
        "bm25(catalog_search_fts, 10.0, 1.0, 10.0, 1.0)",
        False,
    )


def search(uow: UnitOfWork, query: SearchQuery, *, territory: str = "FR") -> SearchResult:
    lang = policies.search_language(query.locale)
    params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    source, match, rank, best_first = _match_sql(uow.dialect, lang, policies.search_terms(query.q), params)
    where = [match]
    status = "active" if query.channel else query.status
    if status:
        where.append("d.status = :status")
        params["status"] = status
    if query.channel:
        where.append(
            "EXISTS (SELECT 1 FROM catalog_publications p WHERE p.product_id = d.product_id "
            "AND p.channel = :channel AND p.locale = :locale)"
        )
        params.update(channel=query.channel, locale=query.locale)
    expanding: list[str] = []
    for index, (facet, values) in enumerate(sorted(query.filters.items())):
        if not values:
            continue
        where.append(
            f"d.product_id IN (SELECT product_id FROM catalog_search_facets "
            f"WHERE facet = :facet_{index} AND value IN :values_{index})"
        )
        params[f"facet_{index}"] = facet
        params[f"values_{index}"] = list(values)
        expanding.append(f"values_{index}")
    sql = f"""
        WITH m AS (SELECT d.product_id AS product_id, {rank} AS rank
                   FROM {source} WHERE {" AND ".join(where)})
        SELECT 0 AS part, product_id AS a, CAST(NULL AS TEXT) AS b, 0 AS n FROM (
            SELECT product_id FROM m ORDER BY rank{" DESC" if best_first else ""}, product_id
            LIMIT :limit OFFSET :offset) page
        UNION ALL SELECT 1, CAST(NULL AS TEXT), CAST(NULL AS TEXT), count(*) FROM m
        UNION ALL SELECT 2, sf.facet, sf.value, count(*) FROM catalog_search_facets sf
            JOIN m ON m.product_id = sf.product_id GROUP BY sf.facet, sf.value
    """
    stmt = text(sql).bindparams(*(bindparam(name, expanding=True) for name in expanding))
    rows = uow.session.execute(stmt, params).all()

    hit_ids = [r.a for r in rows if r.part == 0]
    total = next((int(r.n) for r in rows if r.part == 1), 0)
    counts: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for r in rows:
        if r.part == 2:
            counts[r.a].append((r.b, int(r.n)))
    return SearchResult(
        total=total,
        hits=_hits(uow, hit_ids, query, territory),
        facets=_facets(uow, counts, query),
    )


def _facets(
    uow: UnitOfWork, counts: dict[str, list[tuple[str, int]]], query: SearchQuery
) -> dict[str, list[FacetValue]]:
    names: dict[str, dict[str, Any]] = {}
    if counts.get("category"):
        names = {cid: name for cid, name in uow.session.execute(select(Category.id, Category.name))}
    out: dict[str, list[FacetValue]] = {}
    for facet, values in sorted(counts.items()):
        top = sorted(values, key=lambda item: (-item[1], item[0]))[: query.facet_limit]
        out[facet] = [
            FacetValue(
                value=value,
                label=policies.localised(names.get(value), query.locale) if facet == "category" else None,
                count=count,
            )
            for value, count in top
        ]
    return out


def _hits(uow: UnitOfWork, ids: list[str], query: SearchQuery, territory: str) -> list[SearchHit]:
    if not ids:
        return []
    products = {
        p.id: p
        for p in uow.session.execute(
            select(Product.id, Product.code, Product.name, Product.brand, Product.status).where(
                Product.id.in_(ids)
            )
        )
    }
    images = licensed_images(uow, ids, channel=query.channel, territory=territory)
    return [
        SearchHit(
            product_id=pid,
            code=products[pid].code,
            name=policies.localised(products[pid].name, query.locale),
            brand=products[pid].brand,
            status=products[pid].status,
            image_url=pick_image(images.get(pid, [])),
        )
        for pid in ids
        if pid in products
    ]


def licensed_images(
    uow: UnitOfWork, product_ids: list[str], *, channel: str | None, territory: str
) -> dict[str, list[tuple[str | None, str]]]:
    """Per product, its images licensed for ``channel`` in ``territory`` now, in order: (colour, URL).

    The URL is the listing rendition once the worker made it, the original until then.
    """
    rows = uow.session.execute(
        select(
            Asset.id,
            Asset.product_id,
            Asset.colour,
            Asset.renditions,
            Asset.rights_holder,
            Asset.rights_valid_from,
            Asset.rights_valid_until,
            Asset.rights_channels,
            Asset.rights_territories,
        )
        .where(Asset.product_id.in_(product_ids), Asset.kind == "image")
        .order_by(Asset.product_id, Asset.position, Asset.id)
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
