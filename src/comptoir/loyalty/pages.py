"""loyalty: the staff page — find a member, see their balance, tier, expiring points and history,
correct the balance with a reason. Same services as the API; the correction is a POST form."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.core.access import Role
from comptoir.core.api import RequestContext
from comptoir.core.errors import Forbidden
from comptoir.core.i18n import translations
from comptoir.core.web import Pages, page_language, require_page
from comptoir.customers import service as customers_service
from comptoir.loyalty import policies, service
from comptoir.loyalty.schemas import AdjustmentIn

pages = Pages(__package__ or "comptoir.loyalty")
router = APIRouter(prefix="/pages/loyalty", include_in_schema=False)
PageReader = Annotated[RequestContext, Depends(require_page("loyalty", "read"))]
# Points are adjusted by hand by the back office and the service desk only, as in the API.
PageWriter = Annotated[
    RequestContext,
    Depends(require_page("loyalty", "write", roles=[Role.BACK_OFFICE, Role.ADMIN, Role.SERVICE_AGENT])),
]

# (title message id, path) of this domain's entry pages, linked from the page menu.
PAGES: list[tuple[str, str]] = [("Loyalty accounts", "/pages/loyalty")]


def kind_labels(lang: str) -> dict[str, str]:
    _ = translations(__package__ or "comptoir.loyalty", lang).gettext
    return {
        "earn": _("Points earned"),
        "redeem": _("Points spent"),
        "refund": _("Redemption given back"),
        "expire": _("Points expired"),
        "reverse": _("Points taken back"),
        "adjust": _("Correction by staff"),
        "merge_in": _("Merged account"),
        "merge_out": _("Moved to merged account"),
        "title": _("Loyalty accounts"),
    }


@router.get("", response_class=HTMLResponse)
def find_member(
    request: Request, ctx: PageReader, q: Annotated[str, Query(max_length=200)] = ""
) -> HTMLResponse:
    hits: list[Any] = []
    if q.strip():
        with ctx.reader() as uow:
            hits = customers_service.search(uow, q.strip(), limit=20)
    return pages.response(request, "loyalty/find.html", q=q, hits=hits)


@router.get("/{customer_id}", response_class=HTMLResponse, response_model=None)
def member_page(
    request: Request,
    customer_id: str,
    ctx: PageReader,
    cursor: str | None = None,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    with ctx.reader() as uow:
        resolved = service.resolve_customer(uow, customer_id)
        if resolved != customer_id:
            return RedirectResponse(f"/pages/loyalty/{resolved}", status_code=303)
        account = service.account(uow, resolved)
        history = service.history(uow, resolved, cursor=cursor, limit=25)
        programme = service.programme_rules(uow)
    return pages.response(
        request,
        "loyalty/member.html",
        account=account,
        history=history,
        programme=programme,
        labels=kind_labels(page_language(request)),
        staff=ctx.actor.channel_kind not in policies.CUSTOMER_FACING,
        message=message,
        error=error,
    )


@router.post("/{customer_id}/adjust", response_model=None)
def adjust(
    request: Request,
    customer_id: str,
    ctx: PageWriter,
    points: Annotated[str, Form()],
    reason: Annotated[str, Form()],
) -> Response:
    _ = translations(__package__ or "comptoir.loyalty", page_language(request)).gettext
    if ctx.actor.channel_kind in policies.CUSTOMER_FACING:
        raise Forbidden("This operation is for staff (back office, stores, call centre).", slug="staff-only")
    try:
        command = AdjustmentIn.model_validate({"points": points, "reason": reason})
        with ctx.uow() as uow:
            service.adjust(uow, customer_id, command)
            uow.commit()
    except ValidationError:
        error = _("Give a whole number of points other than 0 and a reason of at least 3 characters.")
        return member_page(request, customer_id, ctx, error=error)
    except service.InsufficientPoints as exc:
        balance = exc.extensions.get("balance", 0)
        error = _("Not enough points: the balance is %(points)s.") % {"points": balance}
        return member_page(request, customer_id, ctx, error=error)
    return RedirectResponse(f"/pages/loyalty/{customer_id}?message=adjusted", status_code=303)
