"""The customer's account home, loyalty (tier, points, history, vouchers and rewards), consents and
contact preferences, personal details, and their data: download it (GDPR export) or delete the
account (erasure) — each on the domain's service, for the signed-in customer only.
"""

import json
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from comptoir.carts import service as carts_service
from comptoir.core import clock
from comptoir.core.errors import InvalidInput, Problem
from comptoir.customers import service as customers_service
from comptoir.customers.schemas import AddressIn, ConsentIn, CustomerPatch
from comptoir.loyalty import service as loyalty_service
from comptoir.orders import service as orders_service
from comptoir.pricing import service as pricing_service
from comptoir.storefront.account_common import (
    CHANNELS,
    GENERAL_ERROR,
    N_,
    PURPOSES,
    channel_name,
    places,
    problem_message,
    render,
    say,
)
from comptoir.storefront.rendering import ShopRoute, catalog_locale
from comptoir.storefront.session import ShopperContext, SignedInShopper, forget_customer

router = APIRouter(prefix="/shop/account", include_in_schema=False, route_class=ShopRoute)
CONSENT_SOURCE = "web"
DETAIL_FIELDS = ("given_name", "family_name", "phone", "birth_date", "street", "postcode", "city")


def _me(shop: ShopperContext) -> str:
    assert shop.customer_id is not None  # SignedInShopper
    return shop.customer_id


@router.get("", response_class=HTMLResponse)
def home(request: Request, shop: SignedInShopper) -> HTMLResponse:
    """The account's home: who is signed in, their card, their latest orders, the sections."""
    customer_id = _me(shop)
    with shop.ctx.reader() as uow:
        me = customers_service.get_customer(uow, customer_id)
        card = loyalty_service.account(uow, customer_id)
        recent = orders_service.orders_of(uow, customer_id, limit=3)
        known = places(uow, [o.channel.split(":", 1)[1] for o in recent if o.channel.startswith("store:")])
    rows = [{"order": o, "where": channel_name(o.channel, known, shop.lang)} for o in recent]
    return render(request, shop, "storefront/account/home.html", me=me, card=card, rows=rows, section="home")


# -- loyalty ----------------------------------------------------------------------------------------------


def _loyalty_page(
    request: Request, shop: ShopperContext, *, message: str | None = None, error: str | None = None
) -> HTMLResponse:
    customer_id = _me(shop)
    with shop.ctx.reader() as uow:
        card = loyalty_service.account(uow, customer_id)
        history = loyalty_service.history(uow, customer_id, limit=20)
        vouchers = pricing_service.coupons_of(uow, customer_id)
        rewards = loyalty_service.rewards(uow)
    return render(
        request,
        shop,
        "storefront/account/loyalty.html",
        status_code=422 if error else 200,
        card=card,
        history=history.items,
        vouchers=vouchers,
        rewards=rewards,
        reference=secrets.token_urlsafe(12),
        message=message,
        error=error,
        section="loyalty",
    )


@router.get("/loyalty", response_class=HTMLResponse)
def loyalty(request: Request, shop: SignedInShopper) -> HTMLResponse:
    return _loyalty_page(request, shop)


@router.post("/loyalty/rewards", response_class=HTMLResponse)
def exchange_reward(
    request: Request,
    shop: SignedInShopper,
    reward: Annotated[str, Form(max_length=40)],
    reference: Annotated[str, Form(min_length=8, max_length=100)],
) -> HTMLResponse:
    """Points for a voucher (idempotent by the form's reference: a double click spends once)."""
    try:
        with shop.ctx.uow() as uow:
            out = loyalty_service.exchange_reward(uow, _me(shop), reward, reference, "web")
            uow.commit()
    except Problem as problem:
        if problem.slug == "insufficient-points":
            error = say(shop.lang, N_("You do not have enough points for this reward yet."))
        else:
            error = problem_message(problem, shop.lang)
        return _loyalty_page(request, shop, error=error)
    message = say(shop.lang, N_("Your voucher is ready: give its code at checkout, online or in a shop."))
    return _loyalty_page(request, shop, message=f"{message} {out.coupon_code}")


# -- wishlist --------------------------------------------------------------------------------------------


@router.get("/wishlist", response_class=HTMLResponse)
def wishlist(request: Request, shop: SignedInShopper) -> HTMLResponse:
    with shop.ctx.reader() as uow:
        found = carts_service.wishlist(uow, _me(shop), catalog_locale(shop.lang))
    return render(request, shop, "storefront/account/wishlist.html", items=found.items, section="wishlist")


@router.post("/wishlist/remove")
def remove_from_wishlist(
    shop: SignedInShopper, sku: Annotated[str, Form(min_length=1, max_length=64)]
) -> Response:
    with shop.ctx.uow() as uow:
        carts_service.remove_from_wishlist(uow, _me(shop), sku)
        uow.commit()
    return RedirectResponse("/shop/account/wishlist", status_code=303)


# -- consents and contact preferences ---------------------------------------------------------------------


def _current_consents(shop: ShopperContext) -> set[tuple[str, str]]:
    with shop.ctx.reader() as uow:
        ledger = customers_service.consents_of(uow, _me(shop))
    return {(s.purpose, s.channel) for s in ledger.current if s.granted}


@router.get("/preferences", response_class=HTMLResponse)
def preferences(request: Request, shop: SignedInShopper, saved: int = 0) -> HTMLResponse:
    return render(
        request,
        shop,
        "storefront/account/preferences.html",
        granted=_current_consents(shop),
        purposes=PURPOSES,
        channels=CHANNELS,
        saved=bool(saved),
        section="preferences",
    )


@router.post("/preferences", response_model=None)
async def save_preferences(request: Request, shop: SignedInShopper) -> Response:
    """Record a statement for each purpose and channel whose box changed (the ledger keeps the history)."""
    form = await request.form()
    wanted = {tuple(str(v).split(":", 1)) for v in form.getlist("consent") if ":" in str(v)}
    before = _current_consents(shop)
    now = clock.now()
    statements = [
        ConsentIn(
            purpose=purpose,
            channel=channel,
            granted=(purpose, channel) in wanted,
            stated_at=now,
            proof={"form": "storefront-preferences"},
        )
        for purpose in PURPOSES
        for channel in CHANNELS
        if ((purpose, channel) in wanted) != ((purpose, channel) in before)
    ]
    if statements:
        with shop.ctx.uow() as uow:
            customers_service.record_consents(uow, _me(shop), statements, CONSENT_SOURCE)
            uow.commit()
    return RedirectResponse("/shop/account/preferences?saved=1", status_code=303)


# -- personal details -------------------------------------------------------------------------------------


def _details_page(
    request: Request,
    shop: ShopperContext,
    values: dict[str, str] | None = None,
    *,
    status_code: int = 200,
    error: str | None = None,
    saved: bool = False,
) -> HTMLResponse:
    with shop.ctx.reader() as uow:
        me = customers_service.get_customer(uow, _me(shop))
    if values is None:
        address = me.address
        values = {
            "given_name": me.given_name or "",
            "family_name": me.family_name or "",
            "phone": me.phone or "",
            "birth_date": me.birth_date.isoformat() if me.birth_date else "",
            "street": (address.street if address else None) or "",
            "postcode": (address.postcode if address else None) or "",
            "city": (address.city if address else None) or "",
        }
    return render(
        request,
        shop,
        "storefront/account/details.html",
        status_code=status_code,
        me=me,
        values=values,
        error=error,
        saved=saved,
        section="details",
    )


@router.get("/details", response_class=HTMLResponse)
def details(request: Request, shop: SignedInShopper, saved: int = 0) -> HTMLResponse:
    return _details_page(request, shop, saved=bool(saved))


@router.post("/details", response_model=None)
async def save_details(request: Request, shop: SignedInShopper) -> Response:
    """Rectify the record (only what was filled in changes; the version guards a concurrent change)."""
    form = await request.form()
    values = {k: str(form.get(k) or "").strip()[:300] for k in DETAIL_FIELDS}
    version = str(form.get("version") or "")
    try:
        address = (
            AddressIn(street=values["street"], postcode=values["postcode"], city=values["city"])
            if values["street"] or values["postcode"] or values["city"]
            else None
        )
        patch = CustomerPatch(
            given_name=values["given_name"] or None,
            family_name=values["family_name"] or None,
            phone=values["phone"] or None,
            birth_date=values["birth_date"] or None,
            address=address,
        )
    except ValidationError as exc:
        where = str(exc.errors()[0]["loc"][0]) if exc.errors() else ""
        fields = {"birth_date": "birth_date", "street": "address/postcode", "postcode": "address/postcode"}
        key = fields.get(where)
        message = problem_message(_field_problem(key), shop.lang) if key else say(shop.lang, GENERAL_ERROR)
        return _details_page(request, shop, values, error=message, status_code=422)
    try:
        with shop.ctx.uow() as uow:
            customers_service.rectify(uow, _me(shop), patch, int(version) if version.isdigit() else None)
            uow.commit()
    except Problem as problem:
        return _details_page(
            request, shop, values, error=problem_message(problem, shop.lang), status_code=problem.status
        )
    return RedirectResponse("/shop/account/details?saved=1", status_code=303)


def _field_problem(field: str) -> Problem:
    return InvalidInput("", field=field)


# -- my data: export, erasure, sessions ---------------------------------------------------------------------


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request, shop: SignedInShopper) -> HTMLResponse:
    return render(request, shop, "storefront/account/privacy.html", error=None, section="privacy")


@router.get("/privacy/export")
def export(shop: SignedInShopper) -> Response:
    """Everything held on the customer (GDPR article 15), as a JSON file to download."""
    ctx = shop.ctx
    with ctx.reader() as uow:
        document = customers_service.export(
            uow, _me(shop), ctx.state.customer_exports or ctx.state.customer_sections
        )
    body = json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2)
    filename = f"my-data-{clock.now():%Y-%m-%d}.json"
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.post("/privacy/delete", response_model=None)
def delete_account(
    request: Request, shop: SignedInShopper, confirm: Annotated[str, Form(max_length=10)] = ""
) -> Response:
    """Erase the customer (GDPR article 17) once they ticked the confirmation; signs them out."""
    if confirm != "yes":
        error = say(shop.lang, N_("Tick the box to confirm that you want your account deleted."))
        return render(
            request, shop, "storefront/account/privacy.html", status_code=422, error=error, section="privacy"
        )
    with shop.ctx.uow() as uow:
        customers_service.erase(uow, _me(shop), shop.ctx.settings)
        uow.commit()
    response = render(request, shop, "storefront/account/deleted.html")
    forget_customer(response)
    return response


@router.post("/sign-out-everywhere")
def sign_out_everywhere(shop: SignedInShopper) -> Response:
    """Every session of the customer ends (on every device), then this browser forgets it."""
    with shop.ctx.uow() as uow:
        customers_service.sign_out_everywhere(uow, _me(shop))
        uow.commit()
    response = RedirectResponse("/shop/sign-in", status_code=303)
    forget_customer(response)
    return response
