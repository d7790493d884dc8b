"""HTTP API of the catalogue: taxonomy, products and variants, publication, relations.

Thin: parse, call the service, set ETag/Location. Assets, search and files have their own modules.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from comptoir.catalog import service
from comptoir.catalog.schemas import (
    AttributeIn,
    AttributeOut,
    AttributePatch,
    BulkPublicationIn,
    BulkPublicationOut,
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    Channel,
    CompletenessOut,
    FamilyIn,
    FamilyOut,
    ProductIn,
    ProductOut,
    ProductPatch,
    ProductSummary,
    PublicationIn,
    PublicationOut,
    RelatedProduct,
    RelationIn,
    RelationKind,
    RelationsIn,
    VariantIn,
    VariantSummary,
)
from comptoir.core.api import PROBLEM_RESPONSES, IfMatch, RequestContext, allow, etag
from comptoir.core.pagination import Page

router = APIRouter(prefix="/v1/catalog", tags=["catalog"], responses=PROBLEM_RESPONSES)

# Anyone shopping browses the catalogue with a key; staff and secret keys of the whole retailer edit it.
Reader = Annotated[
    RequestContext, Depends(allow("catalog", "read", "publishable", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("catalog", "read", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("catalog", "write", "staff", "secret", retailer_wide=True))]
Limit = Annotated[int, Query(ge=1, le=200)]


def locales_of(ctx: RequestContext, locale: str | None) -> list[str]:
    return [locale] if locale else list(ctx.settings.locales)


# -- taxonomy ---------------------------------------------------------------------------------------------


@router.post("/categories", status_code=201, summary="Create a category (under a parent by its code)")
def create_category(body: CategoryIn, ctx: Writer, response: Response) -> CategoryOut:
    with ctx.uow() as uow:
        out = service.create_category(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/catalog/categories/{out.id}"
    return out


@router.get("/categories", summary="The category tree, parents first")
def list_categories(ctx: Reader) -> list[CategoryOut]:
    with ctx.reader() as uow:
        return service.list_categories(uow)


@router.get("/categories/{ref}", summary="One category, by id or code")
def get_category(ref: str, ctx: Reader) -> CategoryOut:
    with ctx.reader() as uow:
        return service.get_category(uow, ref)


@router.patch("/categories/{ref}", summary="Rename, reorder or move a category (its products follow)")
def update_category(ref: str, body: CategoryPatch, ctx: Writer) -> CategoryOut:
    with ctx.uow() as uow:
        out = service.update_category(uow, ref, body)
        uow.commit()
    return out


@router.post("/attributes", status_code=201, summary="Create a typed attribute")
def create_attribute(body: AttributeIn, ctx: Writer) -> AttributeOut:
    with ctx.uow() as uow:
        out = service.create_attribute(uow, body)
        uow.commit()
    return out


@router.get("/attributes", summary="Every attribute")
def list_attributes(ctx: Reader) -> list[AttributeOut]:
    with ctx.reader() as uow:
        return service.list_attributes(uow)


@router.patch("/attributes/{code}", summary="Change an attribute's label, options or facet flag")
def update_attribute(code: str, body: AttributePatch, ctx: Writer) -> AttributeOut:
    with ctx.uow() as uow:
        out = service.update_attribute(uow, code, body)
        uow.commit()
    return out


@router.post(
    "/families", status_code=201, summary="Create a family: its attributes and where each is required"
)
def create_family(body: FamilyIn, ctx: Writer) -> FamilyOut:
    with ctx.uow() as uow:
        out = service.create_family(uow, body)
        uow.commit()
    return out


@router.get("/families", summary="Every family")
def list_families(ctx: Reader) -> list[FamilyOut]:
    with ctx.reader() as uow:
        return service.list_families(uow)


@router.get("/families/{code}", summary="One family")
def get_family(code: str, ctx: Reader) -> FamilyOut:
    with ctx.reader() as uow:
        return service.get_family(uow, code)


@router.put(
    "/families/{code}",
    summary="Replace a family (publications it leaves incomplete are withdrawn by the worker)",
)
def replace_family(code: str, body: FamilyIn, ctx: Writer) -> FamilyOut:
    with ctx.uow() as uow:
        out = service.replace_family(uow, code, body)
        uow.commit()
    return out


# -- products ---------------------------------------------------------------------------------------------


def _with_etag(out: ProductOut, response: Response) -> ProductOut:
    response.headers["ETag"] = etag(out.version)
    return out


@router.post("/products", status_code=201, summary="Create a product with its variants")
def create_product(body: ProductIn, ctx: Writer, response: Response) -> ProductOut:
    with ctx.uow() as uow:
        out = service.create_product(uow, body)
        uow.commit()
    response.headers["Location"] = f"/v1/catalog/products/{out.id}"
    return _with_etag(out, response)


@router.get(
    "/products", summary="Products, oldest first, filtered by status, category subtree, brand, family"
)
def list_products(
    ctx: Reader,
    status: Literal["draft", "active", "archived"] | None = None,
    category: Annotated[str | None, Query(description="Category id or code (its subtree)")] = None,
    brand: str | None = None,
    family: str | None = None,
    cursor: str | None = None,
    limit: Limit = 50,
) -> Page[ProductSummary]:
    with ctx.reader() as uow:
        return service.list_products(
            uow, status=status, category=category, brand=brand, family=family, cursor=cursor, limit=limit
        )


@router.get("/products/{ref}", summary="One product (by id or code) with variants, publications and assets")
def get_product(ref: str, ctx: Reader, response: Response) -> ProductOut:
    with ctx.reader() as uow:
        return _with_etag(service.get_product(uow, ref), response)


@router.patch(
    "/products/{ref}",
    summary="Change a product or its status (draft → active → archived); send If-Match",
)
def update_product(
    ref: str, body: ProductPatch, ctx: Writer, expected: IfMatch, response: Response
) -> ProductOut:
    with ctx.uow() as uow:
        out = service.update_product(uow, ref, body, expected)
        uow.commit()
    return _with_etag(out, response)


@router.post("/products/{ref}/variants", status_code=201, summary="Add a variant")
def add_variant(ref: str, body: VariantIn, ctx: Writer, expected: IfMatch, response: Response) -> ProductOut:
    with ctx.uow() as uow:
        out, _ = service.put_variant(uow, ref, body, expected_version=expected)
        uow.commit()
    return _with_etag(out, response)


@router.put("/products/{ref}/variants/{sku}", summary="Replace a variant (the SKU stays)")
def replace_variant(
    ref: str, sku: str, body: VariantIn, ctx: Writer, expected: IfMatch, response: Response
) -> ProductOut:
    with ctx.uow() as uow:
        out, _ = service.put_variant(uow, ref, body, sku=sku, expected_version=expected)
        uow.commit()
    return _with_etag(out, response)


@router.get("/variants", summary="Variants by SKU, as carts and orders show them")
def get_variants(
    ctx: Reader,
    sku: Annotated[list[str], Query(max_length=200, description="Repeat for several SKUs")],
    locale: str | None = None,
    territory: str | None = None,
) -> dict[str, VariantSummary]:
    with ctx.reader() as uow:
        return service.get_variants(
            uow,
            sku,
            locale or ctx.settings.default_locale,
            territory=territory or ctx.settings.default_region,
        )


# -- publication --------------------------------------------------------------------------------------------


@router.get("/products/{ref}/completeness", summary="Completeness per channel and locale")
def completeness(ref: str, ctx: Reader, locale: str | None = None) -> list[CompletenessOut]:
    with ctx.reader() as uow:
        return service.completeness(uow, ref, locales_of(ctx, locale))


@router.post(
    "/products/{ref}/publications",
    status_code=201,
    summary="Publish on a channel in a locale (422 listing what is missing when incomplete)",
)
def publish(ref: str, body: PublicationIn, ctx: Writer) -> PublicationOut:
    with ctx.uow() as uow:
        out = service.publish(uow, ref, body)
        uow.commit()
    return out


@router.post(
    "/publications",
    summary="Publish active products (all or listed) on channels and locales wherever they are complete",
)
def publish_where_complete(body: BulkPublicationIn, ctx: Writer) -> BulkPublicationOut:
    with ctx.uow() as uow:
        out = service.publish_where_complete(uow, body)
        uow.commit()
    return out


@router.delete("/products/{ref}/publications/{channel}/{locale}", status_code=204, summary="Withdraw")
def unpublish(ref: str, channel: Channel, locale: str, ctx: Writer) -> Response:
    with ctx.uow() as uow:
        service.unpublish(uow, ref, channel, locale)
        uow.commit()
    return Response(status_code=204)


# -- relations ------------------------------------------------------------------------------------------------


@router.get(
    "/products/{ref}/relations", summary="Related products (cross-sell, up-sell, accessory, substitute)"
)
def get_relations(ref: str, ctx: Reader, kind: RelationKind | None = None) -> list[RelatedProduct]:
    with ctx.reader() as uow:
        return service.get_relations(uow, service.product_id(uow, ref), kind)


@router.put("/products/{ref}/relations/{kind}", summary="Replace the list of one kind, in order")
def replace_relations(ref: str, kind: RelationKind, body: RelationsIn, ctx: Writer) -> list[RelatedProduct]:
    with ctx.uow() as uow:
        out = service.replace_relations(uow, ref, kind, body)
        uow.commit()
    return out


@router.post("/products/{ref}/relations/{kind}", summary="Add one related product (at a position)")
def add_relation(ref: str, kind: RelationKind, body: RelationIn, ctx: Writer) -> list[RelatedProduct]:
    with ctx.uow() as uow:
        out = service.add_relation(uow, ref, kind, body)
        uow.commit()
    return out


@router.delete("/products/{ref}/relations/{kind}/{related}", status_code=204, summary="Remove one relation")
def remove_relation(ref: str, kind: RelationKind, related: str, ctx: Writer) -> Response:
    with ctx.uow() as uow:
        service.remove_relation(uow, ref, kind, related)
        uow.commit()
    return Response(status_code=204)
