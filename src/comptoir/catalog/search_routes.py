"""HTTP API for channels: search with facets, a product as the channel shows it, catalogue files."""

import io
import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from comptoir.catalog import exchange, policies, service
from comptoir.catalog.route_helpers import content_locale, delivery_channel, territory_of
from comptoir.catalog.schemas import HitPrice, ImportReport, ProductView, SearchQuery, SearchResult
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import InvalidInput
from comptoir.core.i18n import negotiate
from comptoir.core.uow import UnitOfWork

router = APIRouter(prefix="/v1/catalog", tags=["catalog search and files"], responses=PROBLEM_RESPONSES)

# Anyone shopping browses the catalogue with a key; staff and secret keys of the whole retailer edit it.
Reader = Annotated[
    RequestContext, Depends(allow("catalog", "read", "publishable", "customer", "staff", "shop", "secret"))
]
StaffReader = Annotated[RequestContext, Depends(allow("catalog", "read", "staff", "shop", "secret"))]
Writer = Annotated[RequestContext, Depends(allow("catalog", "write", "staff", "secret", retailer_wide=True))]
Values = Annotated[list[str], Query()]


@router.get(
    "/search",
    summary="Search names, descriptions and attributes, with facet counts",
    description=(
        "Every word must match (as a prefix); when nothing matches, each word is read as the nearest "
        "word of the catalogue (one typo away). Without `locale`, the request's `Accept-Language` "
        "chooses the language, else the shop's default. Filter by `brand`, `category` (id or code, with its "
        "subtree), `colour`, `size` and `filter=<attribute>:<value>`; values of one facet are "
        "alternatives, facets combine. Channel keys see active products published on their channel "
        "in the locale; back-office keys see everything unless they pass `channel`."
    ),
)
def search(
    ctx: Reader,
    request: Request,
    q: Annotated[str, Query(max_length=200)] = "",
    locale: str | None = None,
    brand: Values = [],  # noqa: B006 — FastAPI copies defaults
    category: Values = [],  # noqa: B006
    colour: Values = [],  # noqa: B006
    size: Values = [],  # noqa: B006
    filter: Annotated[list[str], Query(description="<attribute code>:<value>, repeatable")] = [],  # noqa: B006
    status: Literal["draft", "active", "archived"] | None = None,
    channel: str | None = None,
    territory: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    exact_facets: Annotated[
        bool, Query(description="Count facets over every match even when there are thousands (slower)")
    ] = False,
) -> SearchResult:
    filters: dict[str, list[str]] = {}
    for name, values in (("brand", brand), ("colour", colour), ("size", size)):
        if values:
            filters[name] = values
    for item in filter:
        code, sep, value = item.partition(":")
        if not sep or not code or not value:
            raise InvalidInput(
                "A filter is <attribute code>:<value>, e.g. filter=collar:mao.",
                errors=[{"parameter": "filter", "in": "query", "detail": item}],
            )
        filters.setdefault(code, []).append(value)
    query_locale = content_locale(ctx, locale or _accepted_locale(ctx, request))
    with ctx.reader() as uow:
        if category:
            filters["category"] = [service.get_category(uow, ref).code for ref in category]
        found = service.search(
            uow,
            SearchQuery(
                q=q,
                locale=query_locale,
                filters=filters,
                channel=delivery_channel(ctx, channel),
                status=status,
                limit=limit,
                offset=offset,
                exact_facets=exact_facets,
            ),
            territory=territory_of(ctx, territory),
        )
        return _priced(ctx, uow, found, channel)


def _priced(ctx: RequestContext, uow: UnitOfWork, result: SearchResult, channel: str | None) -> SearchResult:
    """Each hit with what it costs here: its cheapest variant's price, resolved by the pricing domain for
    the caller's channel, shop and signed-in customer (the price a shelf label or a cart would show)."""
    pricer = ctx.state.shelf_prices
    if pricer is None or not result.hits:
        return result
    skus = service.skus_of_products(uow, [hit.product_id for hit in result.hits])
    actor = ctx.actor
    prices = pricer(
        uow,
        [sku for found in skus.values() for sku in found],
        currency=ctx.settings.default_currency,
        channel=actor.channel if actor.channel and actor.channel != "system" else (channel or "web"),
        store_id=actor.store_id,
        customer_id=actor.customer_id,
    )
    hits = []
    for hit in result.hits:
        mine = [prices[sku] for sku in skus.get(hit.product_id, []) if sku in prices]
        if not mine:
            hits.append(hit)
            continue
        cheapest = min(mine, key=lambda p: p.price)
        price = HitPrice(
            currency=cheapest.currency,
            from_price=cheapest.price,
            compare_at_price=cheapest.compare_at_price,
            discounted=cheapest.discounted,
            reference_price=cheapest.reference_price,
            varies=len({p.price for p in mine}) > 1,
        )
        hits.append(hit.model_copy(update={"price": price}))
    return result.model_copy(update={"hits": hits})


def _accepted_locale(ctx: RequestContext, request: Request) -> str:
    """The catalogue locale of the request's languages (``Accept-Language``), else the default."""
    language = negotiate(request.headers.get("accept-language"), ctx.settings.default_locale)
    return next(
        (loc for loc in policies.LOCALES if loc.startswith(language + "_")), ctx.settings.default_locale
    )


@router.get(
    "/channel/products/{ref}",
    summary="A product as a channel shows it: published there, localised, with the assets its rights allow",
)
def product_view(
    ref: str,
    ctx: Reader,
    locale: str | None = None,
    territory: str | None = None,
    channel: Annotated[str | None, Query(description="Back-office keys: the channel to show")] = None,
) -> ProductView:
    shown_on = delivery_channel(ctx, channel)
    if shown_on is None:
        raise InvalidInput(
            "Say which channel to show the product for (channel=web, app, store, …).",
            errors=[{"parameter": "channel", "in": "query", "detail": "required for back-office keys"}],
        )
    with ctx.reader() as uow:
        return service.product_view(
            uow,
            ref,
            channel=shown_on,
            locale=content_locale(ctx, locale),
            territory=territory_of(ctx, territory),
        )


# -- files ---------------------------------------------------------------------------------------------------


@router.post(
    "/import",
    summary="Import a CSV, JSON or JSON Lines file (one row per variant); bad rows are reported, good rows kept",
)
async def import_file(
    ctx: Writer, file: Annotated[UploadFile, File(description="Columns as `comptoir catalog export` writes")]
) -> ImportReport:
    fmt = exchange.detect_format(file.filename, file.content_type)
    data = await file.read()

    def run() -> ImportReport:
        with ctx.uow() as uow:
            report = service.import_rows(uow, exchange.read_rows(io.BytesIO(data), fmt))
            uow.commit()
        return report

    return await run_in_threadpool(run)


@router.get(
    "/export",
    summary="The whole catalogue as a file that imports back unchanged",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The catalogue in the format asked for",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/json": {},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
def export_file(ctx: StaffReader, format: Literal["csv", "json", "jsonl"] = "csv") -> StreamingResponse:
    def chunks() -> Iterator[bytes]:
        # Spooled: small catalogues stay in memory, big ones go to a temporary file, never all in RAM.
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+b") as spool:
            text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            with ctx.reader() as uow:
                exchange.write_rows(text, format, exchange.export_columns(uow), exchange.export_rows(uow))
            text.flush()
            spool.seek(0)
            while block := spool.read(64 * 1024):
                yield block
            text.detach()

    media = {"csv": "text/csv", "json": "application/json", "jsonl": "application/x-ndjson"}[format]
    return StreamingResponse(
        chunks(),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="catalog.{format}"'},
    )
