"""The seller's customer pages: find a customer as you type, then their 360° view laid out for a seller."""

import re
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from comptoir.core.api import RequestContext
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import require_page
from comptoir.customers import service as customers_service
from comptoir.customers.schemas import CustomerOut
from comptoir.orders import service as orders_service
from comptoir.receipts import service as receipts_service
from comptoir.seller import sections
from comptoir.seller.common import SellerRoute, gettext, keep_language, render, shop_of

router = APIRouter(prefix="/seller/customers", include_in_schema=False, route_class=SellerRoute)
Reader = Annotated[RequestContext, Depends(require_page("customers", "read"))]
Writer = Annotated[RequestContext, Depends(require_page("customers", "write"))]
# An order number (CMD-7K2M9QXA) or a receipt number (T-CMD-7K2M9QXA), as read out or scanned.
NUMBER = re.compile(r"^\s*(T[\s-]*)?CMD[\s-]*[0-9A-Z]{8}\s*$", re.IGNORECASE)


@dataclass
class Found:
    """One customer in the results, and what found them."""

    id: str
    name: str
    email: str | None
    phone: str | None
    town: str
    loyalty_card: str | None
    segments: list[str] = field(default_factory=list)
    found_by: list[str] = field(default_factory=list)


def _found(customer: CustomerOut, found_by: str) -> Found:
    town = (
        " ".join(x for x in (customer.address.postcode, customer.address.city) if x)
        if customer.address
        else ""
    )
    return Found(
        customer.id,
        customer.display_name,
        customer.email,
        customer.phone,
        town,
        customer.loyalty_card,
        list(customer.segments),
        [found_by],
    )


def find_customers(uow: UnitOfWork, query: str) -> list[Found]:
    """Customers by a receipt or order number first (exact), then by name, e-mail, phone or card."""
    query = query.strip()
    if not query:
        return []
    found: list[Found] = []
    receipt = receipts_service.sale_of_receipt(uow, query)
    order = orders_service.find_order_by_number(uow, query)
    for customer_id, how in (
        (receipt[1] if receipt else None, "receipt"),
        (order and order.customer_id, "order"),
    ):
        if customer_id and all(f.id != customer_id for f in found):
            try:
                found.append(_found(customers_service.get_customer(uow, customer_id), how))
            except NotFound:
                continue
    if NUMBER.match(query):  # an order or receipt number: names that merely sound alike are noise
        return found
    for hit in customers_service.search(uow, query, limit=15):
        if any(f.id == hit.customer.id for f in found):
            continue
        c = hit.customer
        town = " ".join(x for x in (c.postcode, c.city) if x)
        found.append(
            Found(
                c.id, c.display_name, c.email, c.phone, town, c.loyalty_card, list(c.segments), hit.matched_on
            )
        )
    return found


@router.get("")
def search_page(request: Request, ctx: Reader, q: str = "") -> Response:
    with ctx.reader() as uow:
        found = find_customers(uow, q)
    return render(
        request, "seller/customers.html", active="customer", q=q, found=found, searched=bool(q.strip())
    )


@router.get("/results")
def results(request: Request, ctx: Reader, q: str = "") -> Response:
    with ctx.reader() as uow:
        found = find_customers(uow, q)
    return render(request, "seller/_customer_results.html", q=q, found=found, searched=bool(q.strip()))


def _customer_page(
    request: Request, ctx: RequestContext, customer_id: str, *, fragment: bool = False, **note: object
) -> Response:
    """The customer's 360° page, or only its notes (``fragment``: what the notes form swaps in)."""
    shop = shop_of(ctx)
    with ctx.reader() as uow:
        data = customers_service.view_360(uow, customer_id, ctx.state.customer_sections)
        shown = sections.present(uow, request, data.sections, shop=shop)
    return render(
        request,
        "seller/sections/notes.html" if fragment else "seller/customer.html",
        status_code=422 if note.get("note_error") else 200,
        active="customer",
        customer=data.customer,
        s=shown,
        shop=shop,
        places=shown["places"],
        notes_action=keep_language(request, f"/seller/customers/{data.customer.id}/notes"),
        **note,
    )


@router.get("/{customer_id}")
def view(request: Request, customer_id: str, ctx: Reader) -> Response:
    return _customer_page(request, ctx, customer_id)


@router.post("/{customer_id}/notes")
def add_note(
    request: Request, customer_id: str, ctx: Writer, body: Annotated[str, Form(max_length=20000)] = ""
) -> Response:
    """A note for the colleagues: the notes again (HTMX), or back to the customer's page."""
    fragment = request.headers.get("hx-request") == "true"
    _ = gettext(request)
    error = None
    try:
        with ctx.uow() as uow:
            customers_service.add_note(uow, customer_id, body, ctx.actor)
            uow.commit()
    except InvalidInput:
        error = (
            _("Write the note before adding it.")
            if not body.strip()
            else _("A note holds at most 2000 characters: shorten it.")
        )
    if error:
        return _customer_page(request, ctx, customer_id, fragment=fragment, note_error=error, note_body=body)
    if fragment:
        return _customer_page(request, ctx, customer_id, fragment=True, note_saved=True)
    return RedirectResponse(keep_language(request, f"/seller/customers/{customer_id}#notes"), 303)
