"""Products and their variants: create, change, lifecycle (draft → active → archived), read, list."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select

from comptoir.catalog import indexing, policies, publishing
from comptoir.catalog.events import ProductActivated, ProductArchived, ProductCreated, ProductUpdated
from comptoir.catalog.models import Asset, Category, Product, Publication, Variant
from comptoir.catalog.schemas import (
    AssetBrief,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductSummary,
    PublicationOut,
    VariantIn,
    VariantOut,
)
from comptoir.catalog.taxonomy import Taxonomy
from comptoir.catalog.urls import media_url
from comptoir.catalog.validation import check_axes, normalise_product, normalise_variant
from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, check_version, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork

PRODUCT_FIELDS = (
    "family_code",
    "category_id",
    "brand",
    "origin",
    "tax_class",
    "name",
    "description",
    "composition",
    "labels",
    "axes",
    "attributes",
)
VARIANT_FIELDS = ("gtin", "size", "colour", "weight_g", "length_mm", "width_mm", "height_mm", "attributes")


def load_product(uow: UnitOfWork, id_or_code: str, *, for_update: bool = False) -> Product:
    stmt = select(Product).where((Product.id == id_or_code) | (Product.code == id_or_code))
    if for_update and uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    row = uow.session.scalar(stmt)
    if row is None:
        raise not_found("Product", id_or_code)
    return row


def _variants(uow: UnitOfWork, product_id: str) -> list[Variant]:
    stmt = select(Variant).where(Variant.product_id == product_id).order_by(Variant.position, Variant.sku)
    return list(uow.session.scalars(stmt))


def _check_unique_identifiers(uow: UnitOfWork, product_id: str | None, values: list[dict[str, Any]]) -> None:
    """SKUs and GTINs are unique across the catalogue: say which variant already uses one."""
    skus = [v["sku"] for v in values]
    for index, sku in enumerate(skus):
        if sku in skus[:index]:
            raise InvalidInput(f"SKU {sku} is given twice.", field=f"variants/{index}/sku")
    gtins = [v["gtin"] for v in values if v["gtin"]]
    for index, value in enumerate(values):
        if value["gtin"] and gtins.count(value["gtin"]) > 1:
            raise InvalidInput(f"GTIN {value['gtin']} is given twice.", field=f"variants/{index}/gtin")
    taken = uow.session.execute(
        select(Variant.sku, Variant.gtin, Variant.product_id).where(
            Variant.sku.in_(skus) | (Variant.gtin.in_(gtins) if gtins else False)
        )
    ).all()
    for sku, gtin, owner in taken:
        if owner == product_id:
            continue
        if sku in skus:
            raise Conflict(f"SKU {sku} belongs to another product.", slug="sku-taken")
        raise Conflict(f"GTIN {gtin} is already used by SKU {sku}.", slug="gtin-taken")


def create_product(uow: UnitOfWork, cmd: ProductIn) -> ProductOut:
    if uow.session.scalar(select(Product.id).where(Product.code == cmd.code)) is not None:
        raise Conflict(f"A product with code {cmd.code} already exists.", slug="product-exists")
    tax = Taxonomy.load(uow)
    values = normalise_product(cmd, tax)
    variants = [normalise_variant(v, tax, cmd.family, f"variants/{i}") for i, v in enumerate(cmd.variants)]
    check_axes(values["axes"], variants)
    _check_unique_identifiers(uow, None, variants)
    if cmd.status == "active" and not variants:
        raise InvalidInput("An active product has at least one variant.", field="status")
    product = Product(id=new_id("prd"), code=cmd.code, status=cmd.status, **values)
    uow.session.add(product)
    for position, (given, value) in enumerate(zip(cmd.variants, variants, strict=True)):
        uow.session.add(
            Variant(
                id=new_id("var"),
                product_id=product.id,
                position=given.position if given.position is not None else position,
                **value,
            )
        )
    uow.session.flush()
    indexing.reindex_products(uow, [product.id])
    skus = [v["sku"] for v in variants]
    uow.record(
        ProductCreated(
            product_id=product.id,
            code=product.code,
            family=product.family_code,
            category_id=product.category_id,
            brand=product.brand,
            status=product.status,
            skus=skus,
        )
    )
    if product.status == "active":
        uow.record(ProductActivated(product_id=product.id, code=product.code, skus=skus))
    return product_out(uow, product)


def update_product(
    uow: UnitOfWork, id_or_code: str, cmd: ProductPatch, expected_version: int | None = None
) -> ProductOut:
    product = load_product(uow, id_or_code, for_update=True)
    check_version(product.version, expected_version)
    given = cmd.model_dump(exclude_unset=True)
    status = given.pop("status", None)
    if "attributes" in given:
        merged = dict(product.attributes)
        for code, value in (given["attributes"] or {}).items():
            if value is None:
                merged.pop(code, None)
            else:
                merged[code] = value
        given["attributes"] = merged
    for key in ("name", "description"):
        if key in given and given[key] is not None:
            given[key] = {**getattr(product, key), **given[key]}
    tax = Taxonomy.load(uow)
    current = {
        "code": product.code,
        "family": product.family_code,
        "category": tax.category_codes.get(product.category_id or ""),
        "brand": product.brand,
        "origin": product.origin,
        "tax_class": product.tax_class,
        "name": dict(product.name),
        "description": dict(product.description),
        "composition": list(product.composition),
        "labels": list(product.labels),
        "axes": list(product.axes),
        "attributes": dict(product.attributes),
    }
    for key, value in given.items():
        if value is not None or key in ("category", "brand", "origin"):
            current[key] = value
    try:
        command = ProductIn.model_validate(current)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInput(str(first["msg"]), field="/".join(str(p) for p in first["loc"])) from exc
    values = normalise_product(command, tax)
    variants = _variants(uow, product.id)
    if values["axes"] != product.axes:
        check_axes(values["axes"], [{"sku": v.sku, "size": v.size, "colour": v.colour} for v in variants])
    changed = [key for key in PRODUCT_FIELDS if values[key] != getattr(product, key)]
    for key in changed:
        setattr(product, key, values[key])
    events: list[Any] = []
    if status is not None and status != product.status:
        problem = policies.transition_problem(product.status, status)
        if problem:
            raise InvalidInput(problem[0].upper() + problem[1:] + ".", field="status")
        if status == "active" and not variants:
            raise InvalidInput("An active product has at least one variant.", field="status")
        product.status = status
        changed.append("status")
        skus = [v.sku for v in variants]
        if status == "active":
            events.append(ProductActivated(product_id=product.id, code=product.code, skus=skus))
        elif status == "archived":
            events.append(ProductArchived(product_id=product.id, code=product.code, skus=skus))
    if not changed:
        return product_out(uow, product)
    uow.session.flush()
    uow.record(
        ProductUpdated(product_id=product.id, code=product.code, version=product.version, fields=changed)
    )
    uow.record(*events)
    if product.status == "archived":
        publishing.withdraw(uow, product, reason="archived")
    else:
        publishing.withdraw_incomplete(uow, [product.id])
    indexing.reindex_products(uow, [product.id])
    return product_out(uow, product)


def put_variant(
    uow: UnitOfWork,
    id_or_code: str,
    variant: VariantIn,
    *,
    sku: str | None = None,
    expected_version: int | None = None,
) -> tuple[ProductOut, bool]:
    """Add a variant, or replace the one with ``sku``; returns the product and whether it was created."""
    product = load_product(uow, id_or_code, for_update=True)
    check_version(product.version, expected_version)
    if sku is not None and variant.sku != sku:
        raise InvalidInput("The SKU in the body differs from the one in the path.", field="sku")
    if product.status == "archived":
        raise Conflict("An archived product's variants cannot change.", slug="product-archived")
    tax = Taxonomy.load(uow)
    value = normalise_variant(variant, tax, product.family_code)
    existing = _variants(uow, product.id)
    others = [v for v in existing if v.sku != variant.sku]
    current = next((v for v in existing if v.sku == variant.sku), None)
    if sku is None and current is not None:
        raise Conflict(f"Product {product.code} already has SKU {variant.sku}.", slug="sku-exists")
    _check_unique_identifiers(uow, product.id, [value])
    check_axes(
        list(product.axes),
        [{"sku": v.sku, "size": v.size, "colour": v.colour} for v in others] + [value],
        field="size" if "size" in product.axes else "colour",
    )
    if current is None:
        position = variant.position if variant.position is not None else len(existing)
        uow.session.add(Variant(id=new_id("var"), product_id=product.id, position=position, **value))
        added, changed = [variant.sku], []
    else:
        differs = [key for key in VARIANT_FIELDS if value[key] != getattr(current, key)]
        if variant.position is not None and variant.position != current.position:
            current.position = variant.position
            differs.append("position")
        for key in differs:
            if key != "position":
                setattr(current, key, value[key])
        if not differs:
            return product_out(uow, product), False
        added, changed = [], [variant.sku]
    _bump(uow, product)
    uow.record(
        ProductUpdated(
            product_id=product.id,
            code=product.code,
            version=product.version,
            fields=["variants"],
            skus_added=added,
            skus_changed=changed,
        )
    )
    publishing.withdraw_incomplete(uow, [product.id])
    indexing.reindex_products(uow, [product.id])
    return product_out(uow, product), current is None


def _bump(uow: UnitOfWork, product: Product) -> None:
    """The product is the aggregate: its version moves when only its variants changed."""
    product.updated_at = clock.now()
    uow.session.flush()


def get_product(uow: UnitOfWork, id_or_code: str) -> ProductOut:
    return product_out(uow, load_product(uow, id_or_code))


def product_out(uow: UnitOfWork, product: Product) -> ProductOut:
    variants = _variants(uow, product.id)
    category_ids: list[str] = []
    if product.category_id:
        path = uow.session.scalar(select(Category.path).where(Category.id == product.category_id))
        category_ids = str(path).split("/") if path else []
    publications = uow.session.scalars(
        select(Publication)
        .where(Publication.product_id == product.id)
        .order_by(Publication.channel, Publication.locale)
    )
    assets = uow.session.scalars(
        select(Asset).where(Asset.product_id == product.id).order_by(Asset.position, Asset.id)
    )
    return ProductOut(
        id=product.id,
        code=product.code,
        family=product.family_code,
        category_id=product.category_id,
        category_ids=category_ids,
        status=product.status,
        brand=product.brand,
        origin=product.origin,
        tax_class=product.tax_class,
        name=dict(product.name),
        description=dict(product.description),
        composition=list(product.composition),
        labels=list(product.labels),
        axes=list(product.axes),
        attributes=dict(product.attributes),
        variants=[_variant_out(product, v, category_ids) for v in variants],
        publications=[
            PublicationOut(channel=p.channel, locale=p.locale, published_at=p.published_at)
            for p in publications
        ],
        assets=[
            AssetBrief(
                id=a.id,
                kind=a.kind,
                role=a.role,
                title=a.title,
                url=media_url(a.id),
                renditions={name: media_url(a.id, name) for name in a.renditions},
            )
            for a in assets
        ],
        version=product.version,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def _variant_out(product: Product, v: Variant, category_ids: list[str]) -> VariantOut:
    dims = [v.length_mm, v.width_mm, v.height_mm]
    return VariantOut(
        id=v.id,
        sku=v.sku,
        product_id=product.id,
        product_code=product.code,
        status=product.status,
        name=dict(product.name),
        brand=product.brand,
        gtin=v.gtin,
        size=v.size,
        colour=v.colour,
        category_ids=category_ids,
        attributes={**product.attributes, **v.attributes},
        weight_g=v.weight_g,
        dimensions_mm=[d for d in dims if d is not None] if all(d is not None for d in dims) else None,
        position=v.position,
    )


def list_products(
    uow: UnitOfWork,
    *,
    status: str | None = None,
    category: str | None = None,
    brand: str | None = None,
    family: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ProductSummary]:
    """Products by id (creation order), optionally of a status, family, brand or category subtree."""
    stmt = select(Product)
    if status:
        stmt = stmt.where(Product.status == status)
    if brand:
        stmt = stmt.where(Product.brand == brand)
    if family:
        stmt = stmt.where(Product.family_code == family)
    if category:
        path = uow.session.scalar(
            select(Category.path).where((Category.id == category) | (Category.code == category))
        )
        if path is None:
            raise InvalidInput(f"There is no category {category}.", errors=[{"parameter": "category"}])
        subtree = select(Category.id).where(
            (Category.path == path) | Category.path.startswith(f"{path}/", autoescape=True)
        )
        stmt = stmt.where(Product.category_id.in_(subtree))
    return paginate(
        uow.session,
        stmt,
        Product.id,
        cursor=cursor,
        limit=limit,
        convert=lambda p: ProductSummary(
            id=p.id,
            code=p.code,
            family=p.family_code,
            status=p.status,
            brand=p.brand,
            name=dict(p.name),
            category_id=p.category_id,
            version=p.version,
            updated_at=p.updated_at,
        ),
    )


def count_products(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(Product)) or 0)
