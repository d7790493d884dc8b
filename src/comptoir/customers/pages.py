"""The service desk's customer pages: find a customer (typos forgiven), their single record with its
sources, consents and merges, and the duplicates queue. The seller's 360° view (orders, loyalty,
returns, carts) is in the seller app (``/seller/customers/<id>``), linked from here.

Built on the same services as the API, with HTMX: the search answers as the seller types, and
accepting a duplicate or undoing a merge updates the page in place.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from comptoir.core.access import Role
from comptoir.core.api import RequestContext
from comptoir.core.errors import NotFound
from comptoir.core.i18n import translations
from comptoir.core.web import Pages, page_language, require_page
from comptoir.customers import consents, merging, normalisation, profiles, search
from comptoir.customers.normalisation import PERSON_FIELDS

pages = Pages(__package__ or "comptoir.customers")
router = APIRouter(prefix="/pages/customers", include_in_schema=False)
PageReader = Annotated[RequestContext, Depends(require_page("customers", "read"))]
# Deciding duplicates and undoing merges is the back office's and the service desk's, as in the API.
DeskWriter = Annotated[
    RequestContext,
    Depends(require_page("customers", "write", roles=[Role.BACK_OFFICE, Role.ADMIN, Role.SERVICE_AGENT])),
]


def labels(lang: str) -> dict[str, dict[str, str]]:
    """Words of the domain shown to sellers, translated once per page."""
    _ = translations(__package__, lang).gettext
    return {
        "source": {
            "pos": _("Shop till"),
            "web": _("Website"),
            "app": _("Mobile app"),
            "call-centre": _("Call centre"),
            "eticket": _("E-receipt"),
            "account": _("Customer account"),
            "staff": _("Seller"),
            "rectification": _("Rectification"),
        },
        "field": {
            "given_name": _("First name"),
            "family_name": _("Last name"),
            "email": _("E-mail"),
            "phone": _("Phone"),
            "birth_date": _("Birth date"),
            "street": _("Street"),
            "postcode": _("Postcode"),
            "city": _("City"),
            "country": _("Country"),
            "loyalty_card": _("Loyalty card"),
        },
        "purpose": {
            "marketing": _("Offers and news"),
            "profiling": _("Personalisation"),
            "e-receipt": _("E-receipts"),
            "partners": _("Partners' offers"),
            "satisfaction-surveys": _("Satisfaction surveys"),
        },
        "channel": {
            "email": _("E-mail"),
            "sms": _("SMS"),
            "push": _("Push"),
            "post": _("Post"),
            "phone": _("Phone"),
        },
        "reason": {
            "ingest": _("automatic"),
            "staff": _("by staff"),
            "review": _("review accepted"),
            "bulk": _("initial load"),
        },
        "comparison": {
            "given": _("First name"),
            "family": _("Last name"),
            "order": _("Name order"),
            "birth": _("Birth date"),
            "street": _("Street"),
            "locality": _("Postcode and town"),
            "email": _("E-mail"),
            "phone": _("Phone"),
            "loyalty": _("Loyalty card"),
        },
        "level": {
            "missing": _("missing on one side"),
            "exact": _("the same"),
            "near": _("close (a typo, a nickname)"),
            "weak": _("loosely alike"),
            "close": _("less than a year apart"),
            "other": _("different"),
            "as-written": _("as written"),
            "swapped": _("first and last names swapped"),
            "both": _("same postcode and town"),
            "one": _("same postcode or town"),
            "neither": _("different postcode and town"),
        },
        "decision": {
            "new": _("new customer"),
            "matched": _("matched"),
            "same-source-record": _("new version"),
            "attached": _("attached"),
            "bulk": _("initial load"),
        },
    }


pages.globals["tel"] = normalisation.phone_display


def _level_name(field: str, level: int) -> str:
    from comptoir.customers.comparisons import level_names  # numerical code loads with the review queue

    return level_names(field)[level]


pages.globals["level_name"] = _level_name


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.get("", response_class=HTMLResponse)
def search_page(request: Request, ctx: PageReader, q: str = "") -> HTMLResponse:
    with ctx.reader() as uow:
        hits = search.search(uow, q) if q else []
        open_reviews = merging.list_reviews(uow, status="open", cursor=None, limit=1).items
    return pages.response(request, "customers/search.html", q=q, hits=hits, has_reviews=bool(open_reviews))


@router.get("/results", response_class=HTMLResponse)
def search_results(request: Request, ctx: PageReader, q: str = "") -> HTMLResponse:
    with ctx.reader() as uow:
        hits = search.search(uow, q) if q.strip() else []
    return pages.response(request, "customers/_results.html", q=q, hits=hits)


@router.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, ctx: PageReader, cursor: str | None = None) -> HTMLResponse:
    from comptoir.customers import match_models  # the model, with the review queue

    with ctx.reader() as uow:
        page = merging.list_reviews(uow, status="open", cursor=cursor, limit=30)
        pairs = [(r.customer_a.id, r.customer_b.id) for r in page.items]
        evidence = dict(
            zip((r.id for r in page.items), match_models.review_evidence(uow, pairs), strict=True)
        )
    lang = page_language(request)
    return pages.response(request, "customers/reviews.html", page=page, evidence=evidence, words=labels(lang))


@router.post("/reviews/{review_id}/{decision}", response_model=None)
def decide_review(request: Request, review_id: str, decision: str, ctx: DeskWriter) -> Response:
    if decision not in ("accept", "reject"):
        raise NotFound(f"No decision {decision!r}: accept or reject.")
    with ctx.uow() as uow:
        review = (
            merging.accept_review(uow, review_id)
            if decision == "accept"
            else merging.reject_review(uow, review_id)
        )
        uow.commit()
    if _is_htmx(request):
        return pages.response(request, "customers/_review.html", review=review, decided=True)
    return RedirectResponse("/pages/customers/reviews", status_code=303)


@router.post("/merges/{merge_id}/undo", response_model=None)
def undo_merge(request: Request, merge_id: str, ctx: DeskWriter) -> Response:
    with ctx.uow() as uow:
        row = merging.unmerge(uow, merge_id)
        survivor = row.survivor_id
        uow.commit()
    target = f"/pages/customers/{survivor}"
    if _is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.get("/{customer_id}", response_class=HTMLResponse, response_model=None)
def customer_page(request: Request, customer_id: str, ctx: PageReader) -> Response:
    with ctx.reader() as uow:
        resolved = profiles.resolve_id(uow, customer_id)
        if resolved != customer_id:
            return RedirectResponse(f"/pages/customers/{resolved}", status_code=303)
        view = profiles.view_360(uow, resolved, {})  # the other domains' sections: the seller app's view
        sources = profiles.sources_of(uow, resolved)
        ledger = consents.consents_of(uow, resolved)
        merges = merging.merges_of(uow, resolved)
        reviews = merging.reviews_involving(uow, resolved)
        identifiers = profiles.identifiers_of(uow, resolved)
    lang = page_language(request)
    by_id = {s.id: s for s in sources}
    lineage: dict[str, Any] = {f: by_id.get(r) for f, r in view.customer.lineage.items()}
    return pages.response(
        request,
        "customers/view.html",
        customer=view.customer,
        lineage=lineage,
        fields=PERSON_FIELDS,
        sources=sources,
        ledger=ledger,
        merges=merges,
        reviews=reviews,
        identifiers=identifiers,
        words=labels(lang),
    )
