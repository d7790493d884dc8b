"""returns: the counter's returns page now lives in the seller app (``/seller/returns``: find the order
by its number, its receipt or the customer, then take the goods back and refund). ``/pages/returns``
sends staff there."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse

from comptoir.core.api import RequestContext
from comptoir.core.i18n import N_
from comptoir.core.web import require_page

router = APIRouter(prefix="/pages/returns", include_in_schema=False)
StaffReader = Annotated[RequestContext, Depends(require_page("returns", "read"))]

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [(N_("Returns"), "/pages/returns")]


@router.get("")
def find(ctx: StaffReader, q: str = "") -> RedirectResponse:
    return RedirectResponse("/seller/returns" + ("?" + urlencode({"q": q}) if q else ""), status_code=303)


@router.get("/orders/{order_id}")
def order_page(order_id: str, ctx: StaffReader) -> RedirectResponse:
    return RedirectResponse(f"/seller/returns/orders/{order_id}", status_code=303)
