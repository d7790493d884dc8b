"""carts: the seller's tablet cart now lives in the seller app (``/seller/cart``: scan, quantities,
coupons, then the sale or the order). ``/pages/carts`` sends staff there, keeping the customer."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import RedirectResponse

from comptoir.core.api import RequestContext
from comptoir.core.web import require_page

router = APIRouter(prefix="/pages/carts", include_in_schema=False)
PageReader = Annotated[RequestContext, Depends(require_page("carts", "read"))]

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("Customer carts", "/pages/carts")]


@router.get("")
def tablet(ctx: PageReader, customer_id: str = "", q: str = "") -> RedirectResponse:
    """The customer's cart in the seller app (or finding the customer first)."""
    if customer_id:
        return RedirectResponse("/seller/cart?" + urlencode({"customer_id": customer_id}), status_code=303)
    return RedirectResponse("/seller/customers" + ("?" + urlencode({"q": q}) if q else ""), status_code=303)
