"""Relations between products: cross-sell, up-sell, accessories, substitutes (ordered lists per kind)."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from comptoir.catalog.events import RelationsChanged
from comptoir.catalog.models import Product, Publication, Relation
from comptoir.catalog.products import load_product
from comptoir.catalog.schemas import RelatedProduct, RelationIn, RelationsIn
from comptoir.core.errors import InvalidInput, not_found
from comptoir.core.uow import UnitOfWork


def _resolve(uow: UnitOfWork, product_id: str, refs: list[str]) -> list[str]:
    found = dict(
        uow.session.execute(
            select(Product.code, Product.id).where(Product.id.in_(refs) | Product.code.in_(refs))
        ).all()
    )
    ids_by_ref = {**found, **{pid: pid for pid in found.values()}}
    out: list[str] = []
    for index, ref in enumerate(refs):
        related = ids_by_ref.get(ref)
        if related is None:
            raise InvalidInput(f"There is no product {ref}.", field=f"related/{index}")
        if related == product_id:
            raise InvalidInput("A product is not related to itself.", field=f"related/{index}")
        if related not in out:
            out.append(related)
    return out


def replace_relations(uow: UnitOfWork, id_or_code: str, kind: str, cmd: RelationsIn) -> list[RelatedProduct]:
    product = load_product(uow, id_or_code)
    related = _resolve(uow, product.id, cmd.related)
    uow.session.execute(delete(Relation).where(Relation.product_id == product.id, Relation.kind == kind))
    if related:
        uow.session.execute(
            insert(Relation),
            [
                {"product_id": product.id, "kind": kind, "related_id": rid, "position": position}
                for position, rid in enumerate(related)
            ],
        )
    uow.record(RelationsChanged(product_id=product.id, code=product.code, kind=kind, related_ids=related))
    return get_relations(uow, product.id, kind)


def add_relation(uow: UnitOfWork, id_or_code: str, kind: str, cmd: RelationIn) -> list[RelatedProduct]:
    product = load_product(uow, id_or_code)
    current = [r.product_id for r in get_relations(uow, product.id, kind)]
    (related,) = _resolve(uow, product.id, [cmd.related])
    if related in current:
        current.remove(related)
    position = len(current) if cmd.position is None else max(0, min(cmd.position, len(current)))
    current.insert(position, related)
    return replace_relations(uow, product.id, kind, RelationsIn(related=current))


def remove_relation(uow: UnitOfWork, id_or_code: str, kind: str, related: str) -> list[RelatedProduct]:
    product = load_product(uow, id_or_code)
    current = [r.product_id for r in get_relations(uow, product.id, kind)]
    target = uow.session.scalar(select(Product.id).where((Product.id == related) | (Product.code == related)))
    if target is None or target not in current:
        raise not_found("Relation", f"{product.code} {kind} {related}")
    current.remove(target)
    return replace_relations(uow, product.id, kind, RelationsIn(related=current))


def get_relations(
    uow: UnitOfWork,
    product_id: str,
    kind: str | None = None,
    *,
    sellable_only: bool = False,
    published_on: tuple[str, str] | None = None,
) -> list[RelatedProduct]:
    """The products related to ``product_id`` (of ``kind``, or all kinds), in order. One query.

    ``sellable_only`` keeps active products; ``published_on=(channel, locale)`` keeps those published there.
    """
    stmt = (
        select(
            Relation.kind,
            Relation.position,
            Product.id,
            Product.code,
            Product.name,
            Product.brand,
            Product.status,
        )
        .join(Product, Product.id == Relation.related_id)
        .where(Relation.product_id == product_id)
        .order_by(Relation.kind, Relation.position)
    )
    if kind is not None:
        stmt = stmt.where(Relation.kind == kind)
    if sellable_only or published_on:
        stmt = stmt.where(Product.status == "active")
    if published_on:
        channel, locale = published_on
        stmt = stmt.where(
            select(Publication.product_id)
            .where(
                Publication.product_id == Product.id,
                Publication.channel == channel,
                Publication.locale == locale,
            )
            .exists()
        )
    return [
        RelatedProduct(
            product_id=r.id,
            code=r.code,
            kind=r.kind,
            name=dict(r.name),
            brand=r.brand,
            status=r.status,
            position=r.position,
        )
        for r in uow.session.execute(stmt)
    ]
