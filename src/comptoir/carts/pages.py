"""carts: the seller's tablet page — find the customer, see the cart they have (whichever channel
started it), start one for them, add and remove lines. The customer finishes it on the website or
the app: it is the same cart. Same services as the API; changes are POST forms, redirected back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.carts import service
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.catalog import service as catalog_service
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound, Problem
from comptoir.core.i18n import translations
from comptoir.core.web import Pages, page_language, require_page
from comptoir.customers import service as customers_service
from comptoir.inventory import service as inventory_service
from comptoir.inventory.schemas import StockLevelOut

pages = Pages(__package__ or "comptoir.carts")
router = APIRouter(prefix="/pages/carts", include_in_schema=False)
PageReader = Annotated[RequestContext, Depends(require_page("carts", "read"))]
PageWriter = Annotated[RequestContext, Depends(require_page("carts", "write"))]

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("Customer carts", "/pages/carts")]


def channel_label(channel: str, lang: str) -> str:
    _ = translations(__package__ or "comptoir.carts", lang).gettext
    if channel.startswith("store:"):
        return _("Shop %(store)s") % {"store": channel.split(":", 1)[1]}
    return {
        "web": _("Website"),
        "app": _("Mobile app"),
        "call-centre": _("Call centre"),
        "live": _("Live shopping"),
        "back-office": _("Back office"),
        "system": _("Automatic"),
    }.get(channel, channel)


def _render(
    request: Request,
    ctx: RequestContext,
    *,
    customer_id: str | None,
    q: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = page_language(request)
    customer = None
    cart = None
    names: dict[str, str] = {}
    here: dict[str, StockLevelOut] = {}
    hits: list[Any] = []
    with ctx.reader() as uow:
        if customer_id:
            try:
                customer = customers_service.get_customer(uow, customer_id)
            except NotFound:
                customer = None
            if customer is not None:
                cart = service.current_cart(uow, customer.id)
                if cart is not None:
                    skus = [x.sku for x in cart.lines]
                    variants = catalog_service.get_variants(uow, skus, lang)
                    names = {sku: v.name for sku, v in variants.items()}
                    if ctx.actor.store_id is not None:  # the seller's shop: what is on its shelves
                        levels = inventory_service.stock_levels(uow, skus, [ctx.actor.store_id])
                        here = {sku: rows[0] for sku, rows in levels.items() if rows}
        elif q.strip():
            hits = customers_service.search(uow, q.strip(), limit=10)
    line_totals = {p.line_id: p.total for p in cart.priced.lines} if cart and cart.priced else {}
    return pages.response(
        request,
        "carts/tablet.html",
        status_code=status_code,
        customer=customer,
        cart=cart,
        names=names,
        here=here,
        store_id=ctx.actor.store_id,
        line_totals=line_totals,
        hits=hits,
        q=q,
        error=error,
        channel_label=lambda c: channel_label(c, lang),
    )


def _back(customer_id: str) -> RedirectResponse:
    return RedirectResponse(f"/pages/carts?customer_id={customer_id}", status_code=303)


@router.get("", response_class=HTMLResponse)
def tablet(request: Request, ctx: PageReader, customer_id: str | None = None, q: str = "") -> HTMLResponse:
    return _render(request, ctx, customer_id=customer_id, q=q)


@router.post("/start", response_model=None)
def start(
    request: Request,
    ctx: PageWriter,
    customer_id: Annotated[str, Form()],
    sku: Annotated[str, Form()] = "",
    quantity: Annotated[int, Form()] = 1,
) -> Response:
    try:
        lines = [LineIn(sku=sku.strip(), quantity=quantity)] if sku.strip() else []
        with ctx.uow() as uow:
            out, _ = service.create_cart(uow, CartIn(customer_id=customer_id, lines=lines))
            uow.commit()
    except (Problem, ValidationError) as exc:
        return _failed(request, ctx, customer_id, exc)
    return _back(out.customer_id or customer_id)


@router.post("/{cart_id}/lines", response_model=None)
def add_line(
    request: Request,
    cart_id: str,
    ctx: PageWriter,
    customer_id: Annotated[str, Form()],
    sku: Annotated[str, Form()],
    quantity: Annotated[int, Form()] = 1,
) -> Response:
    try:
        with ctx.uow() as uow:
            service.add_line(uow, cart_id, LineIn(sku=sku.strip(), quantity=quantity))
            uow.commit()
    except (Problem, ValidationError) as exc:
        return _failed(request, ctx, customer_id, exc)
    return _back(customer_id)


@router.post("/{cart_id}/lines/{line_id}/remove", response_model=None)
def remove_line(
    request: Request, cart_id: str, line_id: str, ctx: PageWriter, customer_id: Annotated[str, Form()]
) -> Response:
    try:
        with ctx.uow() as uow:
            service.remove_line(uow, cart_id, line_id)
            uow.commit()
    except Problem as exc:
        return _failed(request, ctx, customer_id, exc)
    return _back(customer_id)


def _failed(
    request: Request, ctx: RequestContext, customer_id: str, exc: Problem | ValidationError
) -> HTMLResponse:
    _ = translations(__package__ or "comptoir.carts", page_language(request)).gettext
    if isinstance(exc, ValidationError):
        message = _("Check the SKU and the quantity (1 to 99).")
        status = 422
    else:
        message = exc.detail
        status = exc.status
    return _render(request, ctx, customer_id=customer_id, error=message, status_code=status)
