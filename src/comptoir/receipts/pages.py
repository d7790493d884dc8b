"""receipts: the customer's signed links (no API key) and the staff's receipts page.

``/pages/receipts/r/<token>`` shows the receipt (``.pdf`` for the PDF); a tampered or forged token is
refused with 404, as if the receipt did not exist. ``/pages/receipts/consent/<token>`` asks the
customer to confirm e-receipts by e-mail, and records their consent when they do.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from comptoir.core.api import RequestContext, app_state
from comptoir.core.context import Actor
from comptoir.core.errors import NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.core.web import Pages, Public, require_page
from comptoir.receipts import render, service

pages = Pages(__package__ or "comptoir.receipts")
router = APIRouter(prefix="/pages/receipts", include_in_schema=False)

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("E-receipts", "/pages/receipts")]
PUBLIC = Actor(key_id=None, channel="web", scopes=frozenset())


def _invalid() -> NotFound:
    return NotFound("This receipt link is invalid.", slug="receipt-link-invalid")


def _lang(request: Request, default: str) -> str:
    return request.query_params.get("lang") if request.query_params.get("lang") in ("fr", "en") else default  # type: ignore[return-value]


@router.get("/r/{token}.pdf")
def receipt_pdf(request: Request, token: str, _: Public) -> Response:
    state = app_state(request)
    with UnitOfWork(state.db, PUBLIC, read_only=True) as uow:
        found = service.receipt_by_token(uow, state.settings, token)
    if found is None:
        raise _invalid()
    body = render.pdf(found.document, _lang(request, found.locale))
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{found.number}.pdf"', "Cache-Control": "private"},
    )


@router.get("/r/{token}", response_class=HTMLResponse)
def receipt_html(request: Request, token: str, _: Public) -> HTMLResponse:
    state = app_state(request)
    with UnitOfWork(state.db, PUBLIC, read_only=True) as uow:
        found = service.receipt_by_token(uow, state.settings, token)
    if found is None:
        raise _invalid()
    html = render.html(found.document, _lang(request, found.locale), url=found.url)
    return HTMLResponse(html, headers={"Cache-Control": "private", "X-Robots-Tag": "noindex"})


@router.get("/consent/{token}", response_class=HTMLResponse)
def consent_form(request: Request, token: str, _: Public) -> HTMLResponse:
    state = app_state(request)
    if service.consent_claims(state.settings, token) is None:
        raise _invalid()
    return pages.response(request, "receipts/consent.html", token=token, done=False)


@router.post("/consent/{token}", response_class=HTMLResponse)
def consent_given(request: Request, token: str, _: Public) -> HTMLResponse:
    state = app_state(request)
    with UnitOfWork(state.db, PUBLIC) as uow:
        service.grant_consent(uow, state.settings, token)
        uow.commit()
    return pages.response(request, "receipts/consent.html", token=token, done=True)


@router.get("", response_class=HTMLResponse)
def recent(
    request: Request, ctx: Annotated[RequestContext, Depends(require_page("receipts", "read"))]
) -> HTMLResponse:
    with ctx.reader() as uow:
        receipts = service.receipts_of(uow, ctx.settings, place_id=ctx.actor.store_id, limit=50)
    return pages.response(request, "receipts/list.html", receipts=receipts)
