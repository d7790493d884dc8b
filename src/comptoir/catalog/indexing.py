"""The search documents: per product, its folded text in French and English and its facet values.

Kept in the same transaction as the product change: the documents are a derived table of the same
database (like an index), so search never shows a product as it no longer is. The full-text indexes
over them follow by triggers (see migration 0003_catalog).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.catalog import policies
from comptoir.catalog.models import (
    Attribute,
    Category,
    Product,
    Publication,
    SearchDocument,
    SearchText,
    Variant,
)
from comptoir.core.uow import UnitOfWork

CHUNK = 500
LANGUAGES = {"fr": "fr_FR", "en": "en_GB"}


@dataclass(frozen=True)
class IndexContext:
    """Categories and attributes, loaded once for many products (imports, full reindex)."""

    category_paths: dict[str, list[str]]
    category_codes: dict[str, str]
    category_names: dict[str, dict[str, str]]
    facet_attributes: set[str]
    attribute_types: dict[str, str]

    @classmethod
    def load(cls, uow: UnitOfWork) -> IndexContext:
        categories = uow.session.execute(
            select(Category.id, Category.path, Category.name, Category.code)
        ).all()
        attributes = uow.session.execute(select(Attribute.code, Attribute.type, Attribute.facet)).all()
        return cls(
            category_paths={cid: path.split("/") for cid, path, _, _ in categories},
            category_codes={cid: code for cid, _, _, code in categories},
            category_names={cid: dict(name) for cid, _, name, _ in categories},
            facet_attributes={code for code, _, facet in attributes if facet},
            attribute_types={code: kind for code, kind, _ in attributes},
        )


# Pseudo-facets filtered on but not shown in the facet panel.
STATUS = "_status"
PUBLISHED = "_published"


def _facet_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return f"{value['value']} {value['unit']}" if "unit" in value else None  # localised text: no facet
    text = " ".join(str(value).split())  # one line: facets are stored one per line
    return text[:200] or None


def _document(
    product: Any, variants: list[Any], publications: list[str], ctx: IndexContext
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the search document row, its text row without doc_id)"""
    path = ctx.category_paths.get(product.category_id or "", [])
    facets: set[tuple[str, str]] = set()
    if product.brand and (brand := _facet_value(product.brand)):
        facets.add(("brand", brand))
    facets.update(("category", ctx.category_codes[cid]) for cid in path)  # codes: short, stable
    for v in variants:
        if v.colour and (colour := _facet_value(v.colour)):
            facets.add(("colour", colour))
        if v.size and (size := _facet_value(v.size)):
            facets.add(("size", size))
    for attributes in [product.attributes, *(v.attributes for v in variants)]:
        for code, value in attributes.items():
            if code in ctx.facet_attributes and (text := _facet_value(value)) is not None:
                facets.add((code, text))

    ordered = sorted(facets)
    tokens = [policies.facet_token(f, v) for f, v in ordered]
    tokens.append(policies.facet_token(STATUS, product.status))
    tokens += [policies.facet_token(PUBLISHED, p) for p in publications]
    doc: dict[str, Any] = {
        "product_id": product.id,
        "status": product.status,
        "facets": "\n".join(f"{f}={v}" for f, v in ordered),
    }
    texts: dict[str, Any] = {"tokens": " ".join(tokens)}
    for lang, locale in LANGUAGES.items():
        words: list[str] = [product.code, product.brand or ""]
        words += [policies.localised(ctx.category_names.get(cid), locale) for cid in path]
        words.append(policies.localised(product.description, locale))
        words += list(product.labels)
        words += [str(c.get("material", "")) for c in product.composition]
        for attributes in [product.attributes, *(v.attributes for v in variants)]:
            words += [policies.attribute_text(value, locale) for value in attributes.values()]
        for v in variants:
            words += [v.sku, v.gtin or "", v.colour or "", v.size or ""]
        name = policies.fold(policies.localised(product.name, locale))
        texts[f"name_{lang}"] = name
        texts[f"text_{lang}"] = policies.fold(" ".join(dict.fromkeys(w for w in words if w)))
    return doc, texts


def _insert(uow: UnitOfWork, model: Any) -> Any:
    table = model.__table__
    return pg_insert(table) if uow.dialect == "postgresql" else sqlite_insert(table)


TEXT_COLUMNS = ("name_fr", "name_en", "text_fr", "text_en", "tokens")

PG_UPSERT_DOCUMENTS = """
    INSERT INTO catalog_search_documents (product_id, status, facets)
    SELECT * FROM unnest(%(product_id)s::varchar[], %(status)s::varchar[], %(facets)s::text[])
    ON CONFLICT (product_id) DO UPDATE SET status = EXCLUDED.status, facets = EXCLUDED.facets
    RETURNING doc_id, product_id"""
PG_UPSERT_TEXTS = f"""
    INSERT INTO catalog_search_texts (doc_id, {", ".join(TEXT_COLUMNS)})
    SELECT * FROM unnest(%(doc_id)s::integer[], {", ".join(f"%({c})s::text[]" for c in TEXT_COLUMNS)})
    ON CONFLICT (doc_id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in TEXT_COLUMNS)}"""


def _upsert_postgres(uow: UnitOfWork, docs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """One statement per table whatever the number of documents: the rows travel as arrays."""
    connection = uow.session.connection()
    columns = {c: [d[c] for d, _ in docs] for c in ("product_id", "status", "facets")}
    doc_ids = dict((pid, did) for did, pid in connection.exec_driver_sql(PG_UPSERT_DOCUMENTS, columns))
    texts: dict[str, list[Any]] = {"doc_id": [doc_ids[d["product_id"]] for d, _ in docs]}
    texts.update({c: [t[c] for _, t in docs] for c in TEXT_COLUMNS})
    connection.exec_driver_sql(PG_UPSERT_TEXTS, texts)


def _upsert(uow: UnitOfWork, docs: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """Documents by product id, then their texts by the doc ids the documents got (updated in place)."""
    if uow.dialect == "postgresql":
        _upsert_postgres(uow, docs)
        return
    connection = uow.session.connection()
    stmt = _insert(uow, SearchDocument)
    table = SearchDocument.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.product_id],
        set_={c: stmt.excluded[c] for c in ("status", "facets")},
    ).returning(table.c.doc_id, table.c.product_id)
    doc_ids = {pid: did for did, pid in connection.execute(stmt, [d for d, _ in docs])}
    texts = [{"doc_id": doc_ids[d["product_id"]], **t} for d, t in docs]
    stmt = _insert(uow, SearchText)
    stmt = stmt.on_conflict_do_update(
        index_elements=[SearchText.__table__.c.doc_id],
        set_={c: stmt.excluded[c] for c in TEXT_COLUMNS},
    )
    connection.execute(stmt, texts)


def reindex_products(uow: UnitOfWork, product_ids: Collection[str], ctx: IndexContext | None = None) -> None:
    """Rebuild the search documents and facets of these products (removing those of deleted ones)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    uow.session.flush()
    ctx = ctx or IndexContext.load(uow)
    for start in range(0, len(ids), CHUNK):
        _reindex_chunk(uow, ids[start : start + CHUNK], ctx)


def _reindex_chunk(uow: UnitOfWork, ids: list[str], ctx: IndexContext) -> None:
    session = uow.session
    products = session.execute(
        select(
            Product.id,
            Product.code,
            Product.status,
            Product.brand,
            Product.category_id,
            Product.name,
            Product.description,
            Product.labels,
            Product.composition,
            Product.attributes,
        ).where(Product.id.in_(ids))
    ).all()
    by_product: dict[str, list[Any]] = defaultdict(list)
    for v in session.execute(
        select(
            Variant.product_id, Variant.sku, Variant.gtin, Variant.size, Variant.colour, Variant.attributes
        )
        .where(Variant.product_id.in_(ids))
        .order_by(Variant.product_id, Variant.position)
    ):
        by_product[v.product_id].append(v)
    published: dict[str, list[str]] = defaultdict(list)
    for product_id, channel, locale in session.execute(
        select(Publication.product_id, Publication.channel, Publication.locale).where(
            Publication.product_id.in_(ids)
        )
    ):
        published[product_id].append(f"{channel}:{locale}")
    docs = [_document(p, by_product[p.id], published[p.id], ctx) for p in products]
    gone = set(ids) - {p.id for p in products}
    if gone:
        session.execute(delete(SearchDocument).where(SearchDocument.product_id.in_(gone)))
    if docs:
        _upsert(uow, docs)


def reindex_all(uow: UnitOfWork, *, batch: int = 2000) -> Iterable[int]:
    """Rebuild every document, ``batch`` products at a time; yields how many are done so far."""
    ctx = IndexContext.load(uow)
    done = 0
    last = ""
    while True:
        ids = list(
            uow.session.scalars(select(Product.id).where(Product.id > last).order_by(Product.id).limit(batch))
        )
        if not ids:
            return
        reindex_products(uow, ids, ctx)
        done += len(ids)
        last = ids[-1]
        yield done


def reindex_categories(uow: UnitOfWork, category_ids: Collection[str]) -> int:
    """Reindex the products filed in these categories (after a rename or a move)."""
    ids = list(uow.session.scalars(select(Product.id).where(Product.category_id.in_(list(category_ids)))))
    reindex_products(uow, ids)
    return len(ids)
