"""Bulk import of products and variants (one row per variant), chunk by chunk, with SQLAlchemy Core.

Each row is checked like an API request (same schemas, same rules); a bad row is reported with its
line and reason and the good rows are kept. Rows of one product are expected together (as exports
write them); a product whose rows come apart is simply updated by its later rows. Products are
matched by code and variants by SKU: importing the same file twice changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import JSON, Table, TypeDecorator, bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from comptoir.catalog import columns, indexing, policies, publishing
from comptoir.catalog.events import (
    CatalogImported,
    ProductActivated,
    ProductArchived,
    ProductCreated,
    ProductUpdated,
)
from comptoir.catalog.models import Product, Variant
from comptoir.catalog.products import PRODUCT_FIELDS, VARIANT_FIELDS
from comptoir.catalog.schemas import ImportReport, ProductIn, RowError, VariantIn
from comptoir.catalog.taxonomy import Taxonomy
from comptoir.catalog.validation import normalise_product, normalise_variant
from comptoir.core import clock
from comptoir.core.errors import InvalidInput, Problem
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork

Row = tuple[int, dict[str, Any]]  # (line in the file, the row's columns)
CHUNK_ROWS = 2000
ANALYZE_AFTER = 1000
ANALYZED_TABLES = (
    "catalog_products",
    "catalog_variants",
    "catalog_search_documents",
    "catalog_search_texts",
    "catalog_search_fts_fr",
    "catalog_search_fts_en",
    "catalog_search_fts_tokens",
)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err["loc"])
            parts.append(f"{where}: {err['msg']}" if where else str(err["msg"]))
        return "; ".join(parts)
    if isinstance(exc, Problem):
        pointer = exc.errors[0].get("pointer", "") if exc.errors else ""
        return f"{pointer.removeprefix('#/')}: {exc.detail}" if pointer else exc.detail
    return str(exc)


@dataclass
class _Product:
    """One product's rows in a chunk: its validated values and its valid variant rows."""

    code: str
    line: int
    values: dict[str, Any] | None = None
    status: str | None = None
    key: tuple[tuple[str, str], ...] = ()
    variants: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class _Outcome:
    """What writing a chunk did; counted only once its savepoint is released."""

    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    def fail(self, line: int, sku: Any, reason: str) -> None:
        self.errors.append(RowError(line=line, sku=str(sku) if sku else None, reason=reason))


@dataclass
class Importer:
    """Feed it chunks (``chunks``), one unit of work each or all in one; ``finish`` records the summary."""

    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    _tax: Taxonomy | None = None
    _index: indexing.IndexContext | None = None

    # -- grouping -----------------------------------------------------------------------------------
    @staticmethod
    def chunks(rows: Iterable[Row], size: int = CHUNK_ROWS) -> Iterator[list[Row]]:
        """Groups of about ``size`` rows that never split the rows of one product (when contiguous)."""
        chunk: list[Row] = []
        for line, row in rows:
            code = str(row.get("product_code") or "")
            if len(chunk) >= size and code != str(chunk[-1][1].get("product_code") or ""):
                yield chunk
                chunk = []
            chunk.append((line, row))
        if chunk:
            yield chunk

    def report(self) -> ImportReport:
        return ImportReport(
            rows=self.rows,
            products_created=self.products_created,
            products_updated=self.products_updated,
            variants_created=self.variants_created,
            variants_updated=self.variants_updated,
            unchanged=self.unchanged,
            errors=sorted(self.errors, key=lambda e: e.line),
        )

    def finish(self, uow: UnitOfWork) -> ImportReport:
        if uow.dialect == "postgresql" and self.products_created + self.products_updated >= ANALYZE_AFTER:
            # Fresh statistics, or the planner keeps choosing plans made for an empty catalogue.
            for table in ANALYZED_TABLES:
                uow.session.execute(text(f"ANALYZE {table}"))
        uow.record(
            CatalogImported(
                rows=self.rows,
                products_created=self.products_created,
                products_updated=self.products_updated,
                variants_created=self.variants_created,
                variants_updated=self.variants_updated,
                errors=len(self.errors),
            )
        )
        return self.report()

    def _fail(self, line: int, sku: Any, reason: str) -> None:
        self.errors.append(RowError(line=line, sku=str(sku) if sku else None, reason=reason))

    # -- one chunk ----------------------------------------------------------------------------------------
    def apply(self, uow: UnitOfWork, chunk: list[Row]) -> None:
        """Import one chunk in a savepoint; if the database refuses it (a concurrent writer took a SKU),
        redo it product by product so only the products concerned fail."""
        self.rows += len(chunk)
        if self._tax is None:
            self._tax = Taxonomy.load(uow)
            self._index = indexing.IndexContext.load(uow)
        products = self._parse(chunk)
        try:
            with uow.savepoint():
                outcomes = [self._write(uow, products)]
        except IntegrityError:
            outcomes = []
            for product in products:
                try:
                    with uow.savepoint():
                        outcomes.append(self._write(uow, [product]))
                except IntegrityError as exc:
                    for line, v in product.variants:
                        self._fail(line, v["sku"], f"refused by the database: {str(exc.orig)[:200]}")
        for outcome in outcomes:
            self.products_created += outcome.products_created
            self.products_updated += outcome.products_updated
            self.variants_created += outcome.variants_created
            self.variants_updated += outcome.variants_updated
            self.unchanged += outcome.unchanged
            self.errors += outcome.errors

    def _parse(self, chunk: list[Row]) -> list[_Product]:
        assert self._tax is not None
        products: dict[str, _Product] = {}
        seen_skus: set[str] = set()
        for line, row in chunk:
            sku = row.get("sku")
            unknown = columns.unknown_columns(row)
            if unknown:
                self._fail(line, sku, f"unknown column {unknown[0]!r}")
                continue
            code = str(row.get("product_code") or "").strip()
            if not code:
                self._fail(line, sku, "product_code: required")
                continue
            key = columns.product_key(row)
            product = products.get(code)
            if product is None:
                product = products[code] = _Product(code=code, line=line, key=key)
                status = str(row.get("status") or "").strip() or None
                try:
                    if status is not None and status not in policies.STATUSES:
                        raise InvalidInput(f"status is one of {', '.join(policies.STATUSES)}", field="status")
                    command = ProductIn.model_validate(columns.product_fields(row))
                    product.values = normalise_product(command, self._tax)
                    product.status = status
                except (ValidationError, Problem) as exc:
                    self._fail(line, sku, _reason(exc))
                    continue
            elif product.values is None:
                self._fail(line, sku, f"product {code} is invalid (see line {product.line})")
                continue
            elif key != product.key:
                self._fail(line, sku, f"the product columns differ from line {product.line} of {code}")
                continue
            try:
                variant = VariantIn.model_validate(columns.variant_fields(row))
                values = normalise_variant(variant, self._tax, product.values["family_code"])
            except (ValidationError, Problem) as exc:
                self._fail(line, sku, _reason(exc))
                continue
            if values["sku"] in seen_skus:
                self._fail(line, sku, f"SKU {values['sku']} appears twice in the file")
                continue
            seen_skus.add(values["sku"])
            product.variants.append((line, values))
        return [p for p in products.values() if p.values is not None and p.variants]

    def _write(self, uow: UnitOfWork, products: list[_Product]) -> _Outcome:
        out = _Outcome()
        known = _Known.load(uow, products)
        batch = _Batch(now=clock.now(), channel=uow.actor.channel, key_id=uow.actor.key_id)
        for p in products:
            assert p.values is not None
            current = known.products.get(p.code)
            product_id = current.id if current else new_id("prd")
            kept = _checked_variants(p, product_id, known, out)
            if kept:
                batch.plan(p, current, product_id, kept, known, out)
        batch.write(uow)
        updated_ids = [e.product_id for e in batch.events if isinstance(e, ProductUpdated)]
        for product in batch.withdraw_archived:
            publishing.withdraw(uow, product, reason="archived")
        if updated_ids:
            publishing.withdraw_incomplete(uow, updated_ids)
        indexing.reindex_products(uow, batch.touched, self._index)
        uow.record(*batch.events)
        return out


Kept = list[tuple[int, dict[str, Any], Variant | None]]  # (line, the variant's values, its row if known)


@dataclass
class _Known:
    """What the database holds for a chunk's products: the products by code, the variants by SKU (or
    by GTIN), which SKU owns each GTIN, and each known product's variants."""

    products: dict[str, Product]
    by_sku: dict[str, Variant]
    gtin_owner: dict[str, str]
    siblings: dict[str, list[Variant]]

    @classmethod
    def load(cls, uow: UnitOfWork, products: list[_Product]) -> _Known:
        session = uow.session
        codes = [p.code for p in products]
        existing = {
            r.code: r for r in session.execute(select(Product).where(Product.code.in_(codes))).scalars()
        }
        skus = [v["sku"] for p in products for _, v in p.variants]
        gtins = [v["gtin"] for p in products for _, v in p.variants if v["gtin"]]
        by_sku = {
            r.sku: r
            for r in session.scalars(
                select(Variant).where(Variant.sku.in_(skus) | (Variant.gtin.in_(gtins) if gtins else False))
            )
        }
        siblings: dict[str, list[Variant]] = {}
        if existing:
            for sibling in session.scalars(
                select(Variant).where(Variant.product_id.in_([p.id for p in existing.values()]))
            ):
                siblings.setdefault(sibling.product_id, []).append(sibling)
        gtin_owner = {r.gtin: r.sku for r in by_sku.values() if r.gtin}
        return cls(existing, by_sku, gtin_owner, siblings)


def _checked_variants(p: _Product, product_id: str, known: _Known, out: _Outcome) -> Kept:
    """The product's variant rows that may be written: their SKU and GTIN are not another's, and their
    axis values (size, colour…) are given and not already another SKU's. The others fail their line."""
    assert p.values is not None
    axes = p.values["axes"]
    taken = {tuple(getattr(v, a) for a in axes): v.sku for v in known.siblings.get(product_id, [])}
    kept: Kept = []
    for line, v in p.variants:
        old = known.by_sku.get(v["sku"])
        if old is not None and old.product_id != product_id:
            out.fail(line, v["sku"], f"SKU {v['sku']} belongs to another product")
            continue
        owner = known.gtin_owner.get(v["gtin"]) if v["gtin"] else None
        if owner is not None and owner != v["sku"]:
            out.fail(line, v["sku"], f"GTIN {v['gtin']} is already used by SKU {owner}")
            continue
        missing = [a for a in axes if not v.get(a)]
        if missing:
            out.fail(line, v["sku"], f"{missing[0]}: required (an axis of {p.code})")
            continue
        key = tuple(v.get(a) for a in axes)
        if axes and taken.get(key, v["sku"]) != v["sku"]:
            combo = ", ".join(f"{a}={x}" for a, x in zip(axes, key, strict=True))
            out.fail(line, v["sku"], f"SKU {taken[key]} already has {combo}")
            continue
        taken[key] = v["sku"]
        if v["gtin"]:
            known.gtin_owner[v["gtin"]] = v["sku"]
        kept.append((line, v, old))
    return kept


@dataclass
class _Batch:
    """What one chunk writes: rows to insert and to update, products touched, events, withdrawals."""

    now: datetime
    channel: str | None
    key_id: str | None
    new_products: list[dict[str, Any]] = field(default_factory=list)
    changed_products: list[dict[str, Any]] = field(default_factory=list)
    new_variants: list[dict[str, Any]] = field(default_factory=list)
    changed_variants: list[dict[str, Any]] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    withdraw_archived: list[Product] = field(default_factory=list)

    @property
    def updated(self) -> dict[str, Any]:
        return {"updated_at": self.now, "updated_channel": self.channel, "updated_by_key": self.key_id}

    @property
    def stamp(self) -> dict[str, Any]:
        return {
            "created_at": self.now,
            "created_channel": self.channel,
            "created_by_key": self.key_id,
            **self.updated,
        }

    def plan(
        self, p: _Product, current: Product | None, product_id: str, kept: Kept, known: _Known, out: _Outcome
    ) -> None:
        """Plan one product's writes and events: created, or its changed fields, status and variants."""
        assert p.values is not None
        status = p.status
        if current is None:
            status = status or "draft"
            self._created(p, product_id, status, kept)
            out.products_created += 1
        product_changes = [k for k in PRODUCT_FIELDS if p.values[k] != getattr(current, k)] if current else []
        if current is not None and status is not None and status != current.status:
            problem = policies.transition_problem(current.status, status)
            if problem:
                for line, v, _ in kept:
                    out.fail(line, v["sku"], f"status: {problem}")
                return
            product_changes.append("status")
        positions = len(known.siblings.get(product_id, []))
        added, changed = self._variants(
            product_id, kept, positions, quiet=current is not None and not product_changes, out=out
        )
        out.variants_created += len(added)
        out.variants_updated += len(changed)
        if current is None or not (product_changes or added or changed):
            return
        new_status = status or current.status
        self.changed_products.append({"b_id": current.id, **p.values, "status": new_status, **self.updated})
        out.products_updated += 1
        self.touched.append(current.id)
        self.events.append(
            ProductUpdated(
                product_id=current.id,
                code=current.code,
                version=current.version + 1,
                fields=product_changes + (["variants"] if added or changed else []),
                skus_added=added,
                skus_changed=changed,
            )
        )
        skus_now = [v.sku for v in known.siblings.get(current.id, [])] + added
        if "status" in product_changes and new_status == "active":
            self.events.append(ProductActivated(product_id=current.id, code=current.code, skus=skus_now))
        if "status" in product_changes and new_status == "archived":
            self.events.append(ProductArchived(product_id=current.id, code=current.code, skus=skus_now))
            self.withdraw_archived.append(current)

    def _created(self, p: _Product, product_id: str, status: str, kept: Kept) -> None:
        assert p.values is not None
        self.new_products.append(
            {"id": product_id, "code": p.code, "status": status, "version": 1, **p.values, **self.stamp}
        )
        self.touched.append(product_id)
        skus = [v["sku"] for _, v, _ in kept]
        self.events.append(
            ProductCreated(
                product_id=product_id,
                code=p.code,
                family=p.values["family_code"],
                category_id=p.values["category_id"],
                brand=p.values["brand"],
                status=status,
                skus=skus,
            )
        )
        if status == "active":
            self.events.append(ProductActivated(product_id=product_id, code=p.code, skus=skus))

    def _variants(
        self, product_id: str, kept: Kept, positions: int, *, quiet: bool, out: _Outcome
    ) -> tuple[list[str], list[str]]:
        """The SKUs added and changed; a variant unchanged (its product unchanged too) counts as such."""
        added: list[str] = []
        changed: list[str] = []
        for _line, v, old in kept:
            if old is None:
                self.new_variants.append(
                    {"id": new_id("var"), "product_id": product_id, "position": positions, **v, **self.stamp}
                )
                positions += 1
                added.append(v["sku"])
            elif any(v[k] != getattr(old, k) for k in VARIANT_FIELDS):
                self.changed_variants.append(
                    {"b_id": old.id, **{k: v[k] for k in VARIANT_FIELDS}, **self.updated}
                )
                changed.append(v["sku"])
            elif quiet:
                out.unchanged += 1
        return added, changed

    def write(self, uow: UnitOfWork) -> None:
        """Core statements on the session's connection: executemany, no ORM bookkeeping per row."""
        connection = uow.session.connection()
        products_table, variants_table = cast(Table, Product.__table__), cast(Table, Variant.__table__)
        if self.new_products:
            bulk_insert(uow, products_table, self.new_products)
        if self.changed_products:
            product_set: dict[str, Any] = {k: bindparam(k) for k in self.changed_products[0] if k != "b_id"}
            connection.execute(
                update(products_table)
                .where(products_table.c.id == bindparam("b_id"))
                .values(version=products_table.c.version + 1, **product_set),
                self.changed_products,
            )
        if self.new_variants:
            bulk_insert(uow, variants_table, self.new_variants)
        if self.changed_variants:
            variant_set: dict[str, Any] = {k: bindparam(k) for k in self.changed_variants[0] if k != "b_id"}
            connection.execute(
                update(variants_table).where(variants_table.c.id == bindparam("b_id")).values(**variant_set),
                self.changed_variants,
            )
        uow.session.expire_all()


def bulk_insert(uow: UnitOfWork, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many new rows: COPY on PostgreSQL (ten times fewer server round trips than one INSERT per
    row), executemany on SQLite. Values go through the columns' own types (JSON, UTC times) first."""
    connection = uow.session.connection()
    if uow.dialect != "postgresql":
        connection.execute(insert(table), rows)
        return
    names = list(rows[0])
    converters = [_copy_converter(table.c[name].type, connection.dialect) for name in names]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    columns_sql = ", ".join(f'"{name}"' for name in names)
    statement = f"COPY {table.name} ({columns_sql}) FROM STDIN"
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([convert(row[n]) for convert, n in zip(converters, names, strict=True)])
    except connection.dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        # The same error SQLAlchemy raises for an INSERT, so callers handle both alike.
        raise IntegrityError(statement, None, exc) from exc


def _copy_converter(column_type: Any, dialect: Any) -> Any:
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value, ensure_ascii=False)
    if isinstance(column_type, TypeDecorator):
        return lambda value: column_type.process_bind_param(value, dialect)
    return lambda value: value


def import_rows(uow: UnitOfWork, rows: Iterable[Row]) -> ImportReport:
    """Import every row in this unit of work (API uploads). The CLI commits chunk by chunk instead."""
    importer = Importer()
    for chunk in Importer.chunks(rows):
        importer.apply(uow, chunk)
    return importer.finish(uow)
